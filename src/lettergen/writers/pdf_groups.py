"""Many PDF letters from one LibreOffice import: letters alike but for their text go together.

Most of a PDF letter's time is LibreOffice reading the DOCX, and most of what it reads is the
package around the text: styles, letterhead, fonts, numbering, alike in every letter of a run.
Letters whose packages differ only in ``word/document.xml`` and ``docProps/`` go into one DOCX
(:func:`combine_letters`), each letter in a section of its own that starts a new page and
numbers its pages from 1, and begun by a bookmark. LibreOffice converts that document once,
exporting the bookmarks as named destinations, which say on which page each letter begins;
:func:`split` cuts the PDF there (with pypdf) and gives each letter its own title, author,
subject and keywords back, as LibreOffice would have written them converting the letter alone.

A letter whose text depends on the document around it is converted alone (:func:`group_key`
gives it no group): a field other than ``PAGE`` (``NUMPAGES`` would count every letter of the
group), endnotes (they gather at the document's end), or more than one section.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from lettergen.ooxml import letter_section

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{_W_NS}}}"
DOCUMENT = "word/document.xml"
CORE = "docProps/core.xml"
# Parts that differ from letter to letter without changing how the others are laid out.
_OWN = frozenset({DOCUMENT, CORE, "docProps/app.xml", "docProps/custom.xml"})
_HEADERS = re.compile(r"word/(header|footer)\d*\.xml")
# Field instructions in a part: simple fields' attribute, complex fields' instruction text.
_INSTRUCTION = re.compile(rb'w:instr="([^"]*)"|<w:instrText[^>]*>([^<]*)<')
_ENDNOTE = b"<w:endnoteReference"
# The name of the bookmark that begins the ``n``-th letter of a combined document, and how its
# named destination reads in the PDF (LibreOffice renames a bookmark it copies into a frame,
# "NAME Copy 1", and escapes the space), letters and digits only, so that no escaping blurs it.
BOOKMARK = "LettergenLetter{}Begins"
_DESTINATION = re.compile(r"/?LettergenLetter(\d+)Begins")
_CORE_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
}
# The PDF's document information LibreOffice takes from a DOCX's core properties.
_INFO = {"/Title": "dc:title", "/Author": "dc:creator", "/Subject": "dc:subject"}
_KEYWORDS = "cp:keywords"


# How many letters at most go into one combined document.
LETTERS = 20


class GroupError(Exception):
    """A combined document's PDF could not be cut into its letters."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _fields_alone(xml: bytes) -> bool:
    """Whether the part's fields are all ``PAGE``, whose value is the same in any document."""
    for simple, text in _INSTRUCTION.findall(xml):
        words = (simple or text).split()
        if words and words[0].upper() != b"PAGE":
            return False
    return True


def group_key(docx: bytes) -> str | None:
    """Return what a letter must share with others to be converted with them, or None when it
    must be converted alone (see the module's docstring, and a package it cannot read: that is
    for LibreOffice, alone, to judge)."""
    try:
        return _group_key(docx)
    except (zipfile.BadZipFile, KeyError):
        return None


def _group_key(docx: bytes) -> str | None:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        infos = archive.infolist()
        document = archive.read(DOCUMENT)
        if document.count(b"<w:sectPr") != 1 or _ENDNOTE in document:
            return None
        if not _fields_alone(document):
            return None
        shared = hashlib.sha256()
        for info in sorted(infos, key=lambda i: i.filename):
            if info.filename in _OWN:
                continue
            if _HEADERS.fullmatch(info.filename) and not _fields_alone(archive.read(info)):
                return None
            shared.update(f"{info.filename}\0{info.CRC}\0{info.file_size}\n".encode())
    # The document's root start tag declares the namespaces every letter's body uses.
    shared.update(document[: document.find(b"<w:body")])
    return shared.hexdigest()


def _letter_body(document: bytes, number: int, last: bool) -> list[etree._Element]:
    """Return the body of one letter for the combined document: a bookmark first, and its
    section's properties at its end (in its last paragraph, but for the document's last)."""
    body = etree.fromstring(document, _parser()).find(f"{_W}body")
    if body is None:
        raise GroupError("a letter has no body")
    children = list(body)
    section = children.pop() if children and children[-1].tag == f"{_W}sectPr" else None
    if section is None:
        raise GroupError("a letter has no section properties")
    letter_section(section)
    name = BOOKMARK.format(number)
    mark = str(900_000_000 + number)
    start = etree.Element(f"{_W}bookmarkStart", {f"{_W}id": mark, f"{_W}name": name})
    end = etree.Element(f"{_W}bookmarkEnd", {f"{_W}id": mark})
    first = children[0] if children else None
    if first is not None and first.tag == f"{_W}p":
        at = 1 if len(first) and first[0].tag == f"{_W}pPr" else 0
        first.insert(at, end)
        first.insert(at, start)
    else:
        children[:0] = [start, end]
    if last:
        return [*children, section]
    if not children or children[-1].tag != f"{_W}p":
        children.append(etree.Element(f"{_W}p"))
    paragraph = children[-1]
    properties = paragraph.find(f"{_W}pPr")
    if properties is None:
        properties = etree.Element(f"{_W}pPr")
        paragraph.insert(0, properties)
    change = properties.find(f"{_W}pPrChange")
    if change is not None:
        change.addprevious(section)
    else:
        properties.append(section)
    return children


def combine_letters(letters: Sequence[bytes]) -> bytes:
    """Return one DOCX holding ``letters`` (which share a :func:`group_key`), in order."""
    first = etree.fromstring(_read(letters[0], DOCUMENT), _parser())
    body = first.find(f"{_W}body")
    assert body is not None
    for child in list(body):
        body.remove(child)
    for number, letter in enumerate(letters):
        for element in _letter_body(_read(letter, DOCUMENT), number, number == len(letters) - 1):
            body.append(element)
    document = etree.tostring(first, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(letters[0])) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target,
    ):
        for info in source.infolist():
            data = document if info.filename == DOCUMENT else source.read(info)
            target.writestr(info.filename, data)
    return out.getvalue()


def _read(docx: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read(name)


def properties(docx: bytes) -> dict[str, str]:
    """Return the PDF document information LibreOffice makes of a letter's core properties."""
    try:
        core = etree.fromstring(_read(docx, CORE), _parser())
    except KeyError:
        return {}
    info = {}
    for key, path in {**_INFO, "/Keywords": _KEYWORDS}.items():
        value = core.findtext(path, namespaces=_CORE_NS)
        if value:
            info[key] = value
    return info


def split(pdf: Path, targets: Sequence[Path], infos: Sequence[dict[str, str]]) -> None:
    """Cut the PDF of a combined document into its letters' PDFs ``targets``, in order, each
    with its document information ``infos``; raise GroupError if the letters' first pages
    cannot be told."""
    # Here, not above: a preview, which cuts no PDF, need not wait for pypdf to load.
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError
    from pypdf.generic import NameObject

    try:
        reader = PdfReader(pdf)
        firsts: dict[int, int] = {}
        for name, destination in reader.named_destinations.items():
            if (match := _DESTINATION.match(name)) is not None:
                page = reader.get_destination_page_number(destination)
                number = int(match[1])
                if page is not None:
                    firsts[number] = min(page, firsts.get(number, page))
        starts = [firsts.get(number, -1) for number in range(len(targets))]
        pages = len(reader.pages)
        if starts[0] != 0 or any(b <= a for a, b in itertools.pairwise(starts)):
            raise GroupError("the letters of a combined document do not follow each other")
        root = reader.root_object
        for target, info, first, after in zip(
            targets, infos, starts, [*starts[1:], pages], strict=True
        ):
            writer = PdfWriter()
            for page in range(first, after):
                writer.add_page(reader.pages[page])
            for key in ("/Lang", "/ViewerPreferences"):
                if key in root:
                    writer.root_object[NameObject(key)] = root[key].clone(writer)
            shared = {k: v for k, v in (reader.metadata or {}).items() if k not in _OWN_INFO}
            writer.add_metadata({**shared, **info})
            with open(target, "wb") as handle:
                writer.write(handle)
    except (PyPdfError, OSError, ValueError, KeyError) as error:
        raise GroupError(f"a combined document's PDF could not be cut: {error}") from None


# Document information that is each letter's own, not the combined document's.
_OWN_INFO = frozenset({*_INFO, "/Keywords"})
