"""Envelopes: one Word document a letter, of the envelope's size, addressed as the post reads it.

The return address (the signatory's name and office) is printed small in the top-left corner;
the recipient's address (the letter's own ``address_block`` lines, so that the envelope always
matches its letter) sits in a frame in the reading zone the post's machines scan: right of the
middle, below the 40 mm franking zone, at least 15 mm from the right and bottom edges.
``-f envelope`` writes ``ID.envelope.docx``; ``-f envelope-pdf`` the same as PDF (LibreOffice).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from lettergen.errors import UsageError, Warn, ignore_warning
from lettergen.templating.addresses import AddressError, address_lines, localised
from lettergen.templating.forms import letter_locale
from lettergen.writers import properties
from lettergen.writers.language import language_tag
from lettergen.writers.pdf import PdfWriter
from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter

# Fonts the post's machines read well (Arial's metrics); installed as fonts-liberation.
FONT = "Liberation Sans"
_TWIPS_PER_MM = 1440 / 25.4


@dataclass(frozen=True, slots=True)
class Envelope:
    """An envelope size and where its addresses go, in millimetres from the top-left corner."""

    name: str
    width: float
    height: float
    margin: float  # the return address, from the left and top edges
    x: float  # the recipient address's frame: left edge, top edge, width and height
    y: float
    w: float
    h: float
    points: float  # type size of the recipient address


# The reading zone of each size: the address's frame starts right of the middle and below the
# franking zone (74 x 40 mm, top right) and ends 15 mm from the right and bottom edges.
ENVELOPES: Mapping[str, Envelope] = {
    "DL": Envelope("DL", 220, 110, 10, 90, 50, 115, 45, 10),
    "C5": Envelope("C5", 229, 162, 12, 100, 70, 114, 77, 11),
    "C4": Envelope("C4", 324, 229, 15, 150, 100, 159, 114, 12),
}


def envelope_named(name: str) -> Envelope:
    """The envelope preset ``name`` (DL, C5, C4: any case), or a UsageError listing them."""
    found = ENVELOPES.get(name.strip().upper())
    if found is None:
        raise UsageError(f"--envelope: unknown size '{name}' (choose from {', '.join(ENVELOPES)})")
    return found


def recipient_lines(letter: Letter, what: str) -> list[str]:
    """The address block of ``letter`` (as ``recipient | address_block`` prints it), or an
    error naming the record and the field to add."""
    context = letter.context
    try:
        return address_lines(context["recipient"], context)
    except AddressError as exc:
        message = str(exc).removeprefix("address_block: ")
        raise letter.record.error(f"{what}: {message}", field=exc.field) from None


def return_lines(sender: Mapping[str, Any], locale: str) -> list[str]:
    """The signatory's return address: their name, then their (first) office's address."""
    name = localised(sender.get("name"), locale)
    address = sender.get("address")
    offices = sender.get("offices")
    if address is None and isinstance(offices, list) and offices:
        first = offices[0]
        address = first.get("address") if isinstance(first, Mapping) else None
    if isinstance(address, Mapping):
        address = address.get(locale.split("-")[0], address.get("en"))
    if isinstance(address, str):
        address = address.splitlines()
    lines = [localised(line, locale) for line in address] if isinstance(address, list) else []
    return [line for line in (name, *lines) if line]


def new_document(width: float, height: float, margins: Sequence[float]) -> Any:
    """A Word document of one page ``width`` x ``height`` mm with ``margins`` (top, right,
    bottom, left), typed in :data:`FONT`, no header or footer space."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE if width > height else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(width), Mm(height)
    top, right, bottom, left = margins
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
    section.header_distance = section.footer_distance = Mm(0)
    styles = document.styles.element
    for style in list(styles.iterchildren(qn("w:style"))):
        if style.get(qn("w:styleId")) in ("MacroText", "MacroTextChar"):
            styles.remove(style)  # the template's one Courier style, which no envelope uses
    normal = document.styles["Normal"]
    normal.font.name = FONT
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    spacing = normal.paragraph_format
    spacing.space_before = spacing.space_after = Pt(0)
    spacing.line_spacing = 1.0
    return document


def set_language(document: Any, locale: str) -> None:
    """Tag the document's text as ``locale`` (``fr``, ``en-GB``), for spelling and hyphens."""
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), language_tag(locale))
    document.styles["Normal"].element.get_or_add_rPr().append(language)


def add_line(container: Any, text: str, points: float, *, bold: bool = False) -> Any:
    """Add one paragraph of one line of ``text`` to ``container`` (a document or a cell)."""
    paragraph = container.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size = Pt(points)
    run.bold = bold or None
    return paragraph


def saved(document: Any, title: str, author: str, dated: dt.date | None) -> bytes:
    """The document's bytes, its properties saying what it is and who sends it (not
    python-docx's own), dated by the letters' date so that the same inputs give the same bytes."""
    buffer = io.BytesIO()
    document.save(buffer)
    when = dt.datetime.combine(dated or dt.date.today(), dt.time(12), tzinfo=dt.UTC)
    replaced = {
        properties.CORE: properties.core_xml(title, author, when),
        properties.APP: properties.app_xml(),
    }
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = replaced.get(item.filename) or source.read(item.filename)
            target.writestr(item, data)
    return out.getvalue()


def _frame(paragraph: Any, envelope: Envelope) -> None:
    """Put ``paragraph`` in the address frame (consecutive framed paragraphs share one)."""
    frame = OxmlElement("w:framePr")
    for key, value in (
        ("w:w", envelope.w),
        ("w:h", envelope.h),
        ("w:x", envelope.x),
        ("w:y", envelope.y),
    ):
        frame.set(qn(key), str(round(value * _TWIPS_PER_MM)))
    # At least the zone's height: an address longer than the zone grows, never cut off.
    frame.set(qn("w:hRule"), "atLeast")
    frame.set(qn("w:hAnchor"), "page")
    frame.set(qn("w:vAnchor"), "page")
    frame.set(qn("w:wrap"), "around")
    properties_ = paragraph._p.get_or_add_pPr()
    properties_.insert(0, frame)


class EnvelopeWriter(Writer):
    """Writes each letter's envelope as a Word document of the envelope's size."""

    format = "envelope"
    suffix = ".envelope.docx"

    def __init__(
        self, envelope: Envelope, *, author: str = "", dated: dt.date | None = None
    ) -> None:
        self.envelope = envelope
        self.author = author
        self.dated = dated

    def check(self, letter: Letter) -> None:
        """Refuse, in the first pass, a letter whose address the post could not deliver."""
        recipient_lines(letter, "envelope")

    def to_bytes(self, letter: Letter) -> bytes:
        """The envelope of ``letter``: return address top left, recipient in the reading zone."""
        envelope = self.envelope
        lines = recipient_lines(letter, "envelope")
        locale = letter_locale(letter.context)
        sender = letter.context.get("sender") or {}
        margin = envelope.margin
        document = new_document(envelope.width, envelope.height, (margin, margin, margin, margin))
        set_language(document, locale)
        body = document._body._body
        for paragraph in list(body.iterchildren(qn("w:p"))):
            body.remove(paragraph)  # python-docx's empty first paragraph
        for number, line in enumerate(return_lines(sender, locale)):
            add_line(document, line, 8, bold=number == 0)
        for line in lines:
            _frame(add_line(document, line, envelope.points), envelope)
        # Word needs a paragraph after a frame to end the frame on.
        document.add_paragraph()
        name = letter.record.id
        return saved(document, f"Envelope {envelope.name}: {name}", self.author, self.dated)


class EnvelopePdfWriter(PdfWriter):
    """Writes each letter's envelope as PDF: the envelope's DOCX through LibreOffice."""

    format = "envelope-pdf"
    suffix = ".envelope.pdf"

    def __init__(self, envelope: EnvelopeWriter, *, warn: Warn = ignore_warning) -> None:
        super().__init__(envelope, warn=warn)

    @property
    def combine(self) -> Path | None:
        """Envelopes never go into ``--combine``'s PDF of the letters."""
        return None

    @combine.setter
    def combine(self, value: Path | None) -> None:
        del value


def envelope_writer(
    fmt: str,
    envelope: str,
    *,
    author: str = "",
    dated: dt.date | None = None,
    warn: Warn = ignore_warning,
) -> Writer:
    """The writer of ``-f envelope`` (DOCX) or ``-f envelope-pdf`` for the ``envelope`` size."""
    writer = EnvelopeWriter(envelope_named(envelope), author=author, dated=dated)
    return EnvelopePdfWriter(writer, warn=warn) if fmt == "envelope-pdf" else writer
