"""Word mail-merge documents for the tests, written the way Word's Mailings tab writes them.

A field is a simple field (``w:fldSimple``) or a complex one (``w:fldChar`` begin, the
instruction in ``w:instrText`` runs, separate, the display runs such as ``«FirstName»``, end);
complex fields nest (:class:`Nested`). Instructions and display texts may be given in pieces,
each piece its own run, as Word splits them after edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIL_MERGE_SOURCE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/mailMergeSource"
)


@dataclass
class Nested:
    """A complex field inside another field's instruction: its instruction and display."""

    instruction: Sequence[str | Nested]
    display: str


def _run(paragraph: Any, bold: bool = False) -> Any:
    run = etree.SubElement(paragraph._p, qn("w:r"))
    if bold:
        properties = etree.SubElement(run, qn("w:rPr"))
        etree.SubElement(properties, qn("w:b"))
    return run


def text(paragraph: Any, value: str, bold: bool = False) -> None:
    """Add a plain run of text."""
    t = etree.SubElement(_run(paragraph, bold), qn("w:t"))
    t.text = value
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def simple(paragraph: Any, instruction: str, display: str, bold: bool = False) -> None:
    """Add a simple field: ``<w:fldSimple w:instr="..."><w:r><w:t>«x»</w:t></w:r>``."""
    field = etree.SubElement(paragraph._p, qn("w:fldSimple"))
    field.set(qn("w:instr"), instruction)
    run = etree.SubElement(field, qn("w:r"))
    properties = etree.SubElement(run, qn("w:rPr"))
    etree.SubElement(properties, qn("w:noProof"))
    if bold:
        etree.SubElement(properties, qn("w:b"))
    etree.SubElement(run, qn("w:t")).text = display


def _char(paragraph: Any, kind: str, bold: bool) -> None:
    etree.SubElement(_run(paragraph, bold), qn("w:fldChar")).set(qn("w:fldCharType"), kind)


def complex_field(
    paragraph: Any,
    instruction: Sequence[str | Nested],
    display: Sequence[str] | str,
    bold: bool = False,
) -> None:
    """Add a complex field; each piece of the instruction and of the display is one run."""
    _char(paragraph, "begin", bold)
    for piece in instruction:
        if isinstance(piece, Nested):
            complex_field(paragraph, piece.instruction, piece.display, bold)
            continue
        instr = etree.SubElement(_run(paragraph, bold), qn("w:instrText"))
        instr.text = piece
        instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    _char(paragraph, "separate", bold)
    for piece in [display] if isinstance(display, str) else display:
        run = _run(paragraph, bold)
        properties = run.find(qn("w:rPr"))
        if properties is None:
            properties = etree.SubElement(run, qn("w:rPr"))
        etree.SubElement(properties, qn("w:noProof"))
        etree.SubElement(run, qn("w:t")).text = piece
    _char(paragraph, "end", bold)


def merge_field(paragraph: Any, name: str, switches: str = "", bold: bool = False) -> None:
    """Add ``{ MERGEFIELD name switches \\* MERGEFORMAT }`` as Word does, split in three runs."""
    complex_field(
        paragraph,
        [" MERGEFIELD ", f"{name} {switches}".rstrip() + " ", "\\* MERGEFORMAT "],
        f"«{name.strip(chr(34))}»",
        bold,
    )


def link_data_source(document: Any, source: str = "C:\\Users\\office\\donors.xlsx") -> None:
    """Give the document Word's ``<w:mailMerge>`` settings, linked to a data source file."""
    part = document.part._settings_part
    settings = part.element
    rid = part.relate_to(f"file:///{source}", MAIL_MERGE_SOURCE, is_external=True)
    merge = etree.SubElement(settings, qn("w:mailMerge"))
    for name, value in (
        ("mainDocumentType", "formLetters"),
        ("linkToQuery", None),
        ("dataType", "native"),
        ("connectString", f"Provider=Microsoft.ACE.OLEDB.12.0;Data Source={source};"),
        ("query", "SELECT * FROM `Sheet1$`"),
    ):
        element = etree.SubElement(merge, qn(f"w:{name}"))
        if value is not None:
            element.set(qn("w:val"), value)
    etree.SubElement(merge, qn("w:dataSource")).set(f"{{{R}}}id", rid)
    # Word puts it after the view and zoom settings; the order matters to Word only.
    zoom = settings.find(qn("w:zoom"))
    if zoom is not None:
        zoom.addnext(merge)


def save(document: Any, path: Path) -> Path:
    document.save(str(path))
    return path
