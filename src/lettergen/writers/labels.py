"""Address labels: one Word document of the batch's addresses on A4 sheets of sticky labels.

``--labels L7163`` lays every letter's address block (the same lines as the letter's
``recipient | address_block``) on the sheet's labels, in record order, left to right and top to
bottom: a table whose rows and columns have the labels' exact sizes and gaps, on a page whose
margins are the sheet's, so that each address lands on its label when the sheet is printed at
100 %.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from lettergen.errors import OutputError, UsageError
from lettergen.merge.letter import Letter
from lettergen.templating.environment import context_for
from lettergen.writers.envelope import new_document, recipient_lines, saved, set_language
from lettergen.writers.pdf import convert_one, find_soffice

if TYPE_CHECKING:
    from lettergen.merge.render import Merge

A4 = (210.0, 297.0)
# Space inside a label around its text, in millimetres: left, right.
_PADDING = (5.0, 3.0)
_POINTS = 10


@dataclass(frozen=True, slots=True)
class LabelSheet:
    """An A4 sheet of labels, in millimetres: labels across and down, each label's size, the
    distance from one label's edge to the next one's (pitch), and the sheet's top-left margins."""

    name: str
    across: int
    down: int
    width: float
    height: float
    pitch_x: float
    pitch_y: float
    left: float
    top: float

    @property
    def per_sheet(self) -> int:
        """How many labels one sheet holds."""
        return self.across * self.down


# Avery's (and Herma's compatible) address sheets, as LibreOffice's label catalogue measures them.
SHEETS: Mapping[str, LabelSheet] = {
    "L7163": LabelSheet("L7163", 2, 7, 99.06, 38.10, 101.60, 38.10, 4.67, 15.15),
    "L7160": LabelSheet("L7160", 3, 7, 63.50, 38.10, 66.04, 38.10, 7.20, 15.15),
    "L7162": LabelSheet("L7162", 2, 8, 99.06, 33.87, 101.60, 33.87, 4.67, 13.02),
    "L7173": LabelSheet("L7173", 2, 5, 99.06, 57.00, 101.60, 57.00, 4.67, 6.00),
}


def sheet_named(name: str) -> LabelSheet:
    """The label sheet ``name`` (any case), or a UsageError listing those lettergen knows."""
    found = SHEETS.get(name.strip().upper())
    if found is None:
        raise UsageError(
            f"--labels: unknown label sheet '{name}' (choose from {', '.join(SHEETS)})"
        )
    return found


def labels_file_name(sheet: LabelSheet) -> str:
    """The labels document's name in the output folder, beside the letters."""
    return f"labels-{sheet.name}.docx"


def batch_addresses(merge: Merge) -> Iterator[list[str]]:
    """Each chosen record's address block, in record order, as its letter prints it (the
    record's language variant's front matter, the same signatory)."""
    for record in merge.records(quiet=True):
        _, meta = merge.template_for(record)
        context = context_for(record.fields, merge.sender_in(merge.template), meta, merge.date)
        letter = Letter(record=record, name=record.id, text="", context=context)
        yield recipient_lines(letter, "labels")


def _grid(table: Any, columns: Sequence[float]) -> None:
    """Give ``table`` fixed columns of ``columns`` mm, no indent, no borders, no cell margins."""
    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "0")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.append(margins)
    table.autofit = False
    for column, width in zip(table.columns, columns, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


def labels_docx(
    sheet: LabelSheet,
    addresses: Iterable[list[str]],
    *,
    author: str = "",
    dated: dt.date | None = None,
    locale: str = "en",
) -> bytes:
    """The labels document: ``addresses`` in order, one a label, as many sheets as it takes."""
    width, height = A4
    gap = sheet.pitch_x - sheet.width
    used = sheet.left + sheet.across * sheet.width + (sheet.across - 1) * gap
    # The bottom margin is kept small: rows are placed by their exact heights, and one more
    # row never fits below the last.
    bottom = min(5.0, height - sheet.top - sheet.down * sheet.pitch_y)
    document = new_document(width, height, (sheet.top, width - used, bottom, sheet.left))
    set_language(document, locale)
    columns: list[float] = []
    for number in range(sheet.across):
        columns += [sheet.width] if number == 0 else [gap, sheet.width]
    blocks = list(addresses)
    rows = max(1, -(-len(blocks) // sheet.across))
    body = document._body._body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    table = document.add_table(rows=rows, cols=len(columns))
    _grid(table, columns)
    for row_number, row in enumerate(table.rows):
        row.height = Mm(sheet.pitch_y)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        cant_split = OxmlElement("w:cantSplit")
        row._tr.get_or_add_trPr().append(cant_split)
        for column in range(sheet.across):
            cell = row.cells[column * 2]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            index = row_number * sheet.across + column
            lines = blocks[index] if index < len(blocks) else []
            for number, line in enumerate(lines):
                paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
                paragraph.add_run(line).font.size = Pt(_POINTS)
                indent = paragraph.paragraph_format
                indent.left_indent, indent.right_indent = Mm(_PADDING[0]), Mm(_PADDING[1])
    # Word ends a document with a paragraph; this one takes no height worth speaking of.
    document.add_paragraph().paragraph_format.line_spacing = Pt(1)
    title = f"Address labels {sheet.name}: {len(blocks)} address(es)"
    return saved(document, title, author, dated)


@dataclass(frozen=True, slots=True)
class BatchLabels:
    """The labels document of one run (and its PDF, when the run writes PDFs): checked
    before anything is written, built after every letter was, put in place with the letters."""

    sheet: LabelSheet
    targets: tuple[Path, ...]

    @classmethod
    def prepare(cls, name: str, folder: Path, *, force: bool, pdf: bool) -> BatchLabels:
        """Refuse, before the run writes anything, an unknown sheet or labels that exist
        (without ``force``)."""
        sheet = sheet_named(name)
        docx = folder / labels_file_name(sheet)
        targets = (docx, docx.with_suffix(".pdf")) if pdf else (docx,)
        for target in targets:
            if target.exists() and not force:
                raise OutputError(
                    "the labels document already exists; use --force to overwrite it",
                    path=target,
                )
        if pdf:
            find_soffice()
        return cls(sheet, targets)

    def build(self, merge: Merge) -> list[tuple[str, bytes]]:
        """The files' names and bytes (the PDF converted by LibreOffice now, so that a failed
        conversion stops the run before its letters are put in place)."""
        locale = str(merge.template.meta.get("locale") or "en")
        author = str(merge.sender.get("name") or "")
        data = labels_docx(
            self.sheet, batch_addresses(merge), author=author, dated=merge.date, locale=locale
        )
        files = [(self.targets[0].name, data)]
        if len(self.targets) > 1:
            with tempfile.TemporaryDirectory(prefix="lettergen-labels-") as work:
                staged = Path(work) / self.targets[0].name
                staged.write_bytes(data)
                converted = Path(work) / self.targets[1].name
                convert_one(staged, converted)
                files.append((self.targets[1].name, converted.read_bytes()))
        return files
