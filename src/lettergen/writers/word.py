"""Word letters (``.docx``) from text templates, on a letterhead, written fast.

Everything that is the same for every letter is done once, when the writer is made: the
letterhead is read, its ``word/document.xml`` is cut into the XML before and after the body, and
its other members stay deflated, to be copied byte for byte into each letter (see
:mod:`.zipwriter`). Per letter only the body's paragraphs are built, as text: one ``w:p`` per
block of lines, ``w:br`` between the lines of a block (see :mod:`lettergen.writers.blocks`).
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

from lettergen.errors import (
    OutputError,
    SenderError,
    TemplateError,
)
from lettergen.merge.values import forbidden_character
from lettergen.ooxml import CT_NS, PKG_RELS_NS, R_NS, W_NS, find_forbidden
from lettergen.writers.blocks import Layout, Rule, blocks, layout, parse_rules
from lettergen.writers.combined import check_combine_target
from lettergen.writers.zipwriter import Archive, Member, read_members

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter

_OFFICE_DOCUMENT = R_NS + "/officeDocument"
_IMAGE = R_NS + "/image"
_STYLES = R_NS + "/styles"
_BODY = "lettergen-body"
_SIGNATURE_ID = "rIdLettergenSignature"
# A signature is drawn 4.5 cm wide, and never taller than 2.5 cm (EMU: 360,000 per cm).
_SIGNATURE_WIDTH = 4.5 * 360_000
_SIGNATURE_HEIGHT = 2.5 * 360_000
# Where a combined document ends one letter's section (see CombinedDocument).
SECTION = "\x00"

# Hebrew, Arabic, Syriac, Thaana, NKo and their presentation forms.
_RTL_SCRIPT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
_TAB = '</w:t><w:tab/><w:t xml:space="preserve">'


def letterhead_of(meta: Mapping[str, Any], source: Path | None) -> Path | None:
    """Return the letterhead a template's front matter names (``letterhead: FILE``), if any."""
    value = meta.get("letterhead")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TemplateError(
            "front matter 'letterhead' must be the path of a .docx file",
            path=source,
            field="letterhead",
        )
    return (source.parent if source else Path()) / value


class Letterhead:
    """A letterhead's parts, read once: the document cut around its body, the other members."""

    def __init__(self, data: bytes, path: Path | None) -> None:
        from lxml import etree

        self.path = path
        try:
            members = read_members(data)
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise self.error(f"not a Word document (.docx): {exc}") from None
        self.members = {member.name: member for member in members}
        self.document_name = self._main_part()
        root = self.xml(self.document_name)
        if root.nsmap.get("w") != W_NS:
            raise self.error("its main document does not use the usual 'w:' prefix")
        body = root.find(f"{{{W_NS}}}body")
        if body is None:
            raise self.error(f"{self.document_name} has no body")
        # The letterhead's own body text is not kept: only the final section properties
        # (page size, margins, header and footer references) are.
        section = body.find(f"{{{W_NS}}}sectPr")
        for child in list(body):
            if child is not section:
                body.remove(child)
        if section is None:
            section = etree.SubElement(body, f"{{{W_NS}}}sectPr")
        section.addprevious(etree.Element(f"{{{W_NS}}}{_BODY}"))
        self.before, self.after = self._cut(root)
        # A combined document restarts page numbers with each letter.
        _restart_page_numbers(section)
        self.combined_before, self.combined_after = self._cut(root)
        self.section = etree.tostring(section, encoding="unicode")
        self.styles = self._styles()

    def error(self, message: str) -> OutputError:
        """Return an error about this letterhead."""
        return OutputError(f"letterhead: {message}", path=self.path)

    def content(self, name: str) -> bytes:
        """Return the uncompressed bytes of member ``name``."""
        member = self.members.get(name)
        if member is None:
            raise self.error(f"it has no part {name}")
        try:
            return member.content()
        except zlib.error:
            raise self.error(f"its part {name} is damaged") from None

    def xml(self, name: str) -> Any:
        """Return member ``name`` parsed as XML."""
        from lxml import etree

        try:
            return etree.fromstring(self.content(name), _parser())
        except etree.XMLSyntaxError as exc:
            raise self.error(f"its part {name} is not well-formed XML: {exc}") from None

    def _main_part(self) -> str:
        for target in self._targets("_rels/.rels", _OFFICE_DOCUMENT):
            return target
        raise self.error("it has no main document part")

    def _targets(self, rels: str, kind: str) -> list[str]:

        if rels not in self.members:
            return []
        base = PurePosixPath(rels).parent.parent
        found = []
        for rel in self.xml(rels):
            if rel.get("Type") == kind and rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                found.append(target.lstrip("/") if target.startswith("/") else str(base / target))
        return found

    def rels_name(self) -> str:
        """Return the name of the main document's relationships part."""
        document = PurePosixPath(self.document_name)
        return str(document.parent / "_rels" / f"{document.name}.rels")

    def _cut(self, root: Any) -> tuple[str, str]:
        from lxml import etree

        xml = etree.tostring(root, encoding="unicode")
        before, after = xml.split(f"<w:{_BODY}/>")
        declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        return declaration + before, after

    def _styles(self) -> dict[str, str]:
        """Return the paragraph styles by name and by id (lower case) -> style id."""

        found: dict[str, str] = {}
        for name in self._targets(self.rels_name(), _STYLES):
            for style in self.xml(name).iter(f"{{{W_NS}}}style"):
                if style.get(f"{{{W_NS}}}type") != "paragraph":
                    continue
                style_id = style.get(f"{{{W_NS}}}styleId", "")
                label = style.find(f"{{{W_NS}}}name")
                found[style_id.lower()] = style_id
                if label is not None:
                    found[label.get(f"{{{W_NS}}}val", "").lower()] = style_id
        return found

    def add_image(self, data: bytes, extension: str, content_type: str) -> str:
        """Add an image to the package once; return its part name."""
        from lxml import etree

        media = str(PurePosixPath(self.document_name).parent / "media" / f"signature.{extension}")
        rels_name = self.rels_name()
        if rels_name in self.members:
            rels = self.xml(rels_name)
        else:
            rels = etree.Element(f"{{{PKG_RELS_NS}}}Relationships", nsmap={None: PKG_RELS_NS})
        etree.SubElement(
            rels,
            f"{{{PKG_RELS_NS}}}Relationship",
            Id=_SIGNATURE_ID,
            Type=_IMAGE,
            Target=f"media/signature.{extension}",
        )
        types = self.xml("[Content_Types].xml")
        known = {d.get("Extension", "").lower() for d in types.iter(f"{{{CT_NS}}}Default")}
        if extension not in known:
            default = etree.Element(
                f"{{{CT_NS}}}Default", Extension=extension, ContentType=content_type
            )
            types.insert(0, default)
        for name, root in ((rels_name, rels), ("[Content_Types].xml", types)):
            xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            self.members[name] = Member.deflate(name, xml)
        # Images are compressed already: stored, not deflated.
        self.members[media] = Member(media, zipfile.ZIP_STORED, zlib.crc32(data), len(data), data)
        return media

    def archive(self) -> Archive:
        """Return the zip of every member but the main document, laid out once."""
        return Archive(m for name, m in self.members.items() if name != self.document_name)


def _parser() -> Any:
    """Return an XML parser that loads nothing from outside the letterhead."""
    from lxml import etree

    # A letterhead may come from anyone: no entities expanded, no files or network read.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _restart_page_numbers(section: Any) -> None:
    from lxml import etree

    tag = f"{{{W_NS}}}pgNumType"
    numbering = section.find(tag)
    if numbering is None:
        numbering = etree.Element(tag)
        later = {"cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi"}
        later |= {"rtlGutter", "docGrid", "printerSettings", "sectPrChange"}
        follower = next((c for c in section if etree.QName(c).localname in later), None)
        if follower is None:
            section.append(numbering)
        else:
            follower.addprevious(numbering)
    numbering.set(f"{{{W_NS}}}start", "1")


def _read_letterhead(path: Path | None) -> Letterhead:
    if path is None:
        from lettergen.writers.default_letterhead import build_letterhead

        return Letterhead(build_letterhead(), None)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OutputError(f"cannot read the letterhead: {exc.strerror}", path=path) from None
    return Letterhead(data, path)


def _signature_drawing(width: int, height: int) -> str:
    """Return the run drawing the signature inline, with ``{id}`` for its drawing number."""
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    pic = "http://schemas.openxmlformats.org/drawingml/2006/picture"
    wp = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
    return (
        f'<w:r><w:drawing><wp:inline xmlns:wp="{wp}" distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{width}" cy="{height}"/><wp:docPr id="{{id}}" name="Signature {{id}}"/>'
        f'<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{a}" noChangeAspect="1"/>'
        f'</wp:cNvGraphicFramePr><a:graphic xmlns:a="{a}"><a:graphicData uri="{pic}">'
        f'<pic:pic xmlns:pic="{pic}"><pic:nvPicPr><pic:cNvPr id="0" name="signature"/>'
        f"<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill>"
        f'<a:blip xmlns:r="{R_NS}" r:embed="{_SIGNATURE_ID}"/><a:stretch><a:fillRect/></a:stretch>'
        f'</pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/>'
        f'</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        f"</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )


class DocxWriter:
    """Writes each letter as a ``.docx`` on a letterhead (default: a clean A4 page)."""

    format = "docx"
    suffix = ".docx"

    def __init__(
        self,
        letterhead: Path | None = None,
        *,
        rules: Sequence[Rule] = (),
        signature: str | Path | None = None,
        source: Path | None = None,
    ) -> None:
        self.source = source
        self.rules = list(rules)
        self.letterhead = _read_letterhead(letterhead)
        self.styles: dict[str, str] = {}
        self._check_styles(self.rules, source)
        # Layout rules of each template a letter came from (language variants have their own).
        self._rules: dict[Path | None, list[Rule]] = {}
        self.drawing = self._signature(Path(signature)) if signature else None
        self.archive = self.letterhead.archive()
        self.document_name = self.letterhead.document_name

    @classmethod
    def for_template(
        cls,
        meta: Mapping[str, Any],
        source: Path | None,
        *,
        letterhead: Path | None = None,
        signature: str | Path | None = None,
    ) -> DocxWriter:
        """Return the writer a template's front matter asks for (``--letterhead`` wins)."""
        return cls(
            letterhead or letterhead_of(meta, source),
            rules=parse_rules(meta.get("blocks"), source or Path()),
            signature=signature,
            source=source,
        )

    def _check_styles(self, rules: Sequence[Rule], source: Path | None) -> None:
        for rule in rules:
            if rule.style is None:
                continue
            style_id = self.letterhead.styles.get(rule.style.lower())
            if style_id is None:
                where = self.letterhead.path or "the default letterhead"
                raise TemplateError(
                    f"front matter 'blocks' rule {rule.number}: {where} has no paragraph style "
                    f"'{rule.style}'",
                    path=source,
                )
            self.styles[rule.style] = style_id

    def rules_for(self, letter: Letter) -> list[Rule]:
        """Return the layout rules of the template ``letter`` was rendered from."""
        key = letter.template
        found = self._rules.get(key)
        if found is None:
            meta = letter.context.get("letter")
            if key is None or key == self.source or not isinstance(meta, Mapping):
                found = self.rules
            else:
                found = parse_rules(meta.get("blocks"), key)
                self._check_styles(found, key)
            self._rules[key] = found
        return found

    def _signature(self, path: Path) -> str:
        from docx.image.exceptions import UnrecognizedImageError
        from docx.image.image import Image

        try:
            data = path.read_bytes()
            image = Image.from_blob(data)
        except OSError as exc:
            raise SenderError(
                f"cannot read the signature image: {exc.strerror}", path=path
            ) from None
        except UnrecognizedImageError:
            raise SenderError("the signature image is not a PNG or JPEG", path=path) from None
        extension = {"image/png": "png", "image/jpeg": "jpeg"}.get(image.content_type)
        if extension is None or not image.px_width or not image.px_height:
            raise SenderError("the signature image is not a PNG or JPEG", path=path)
        self.letterhead.add_image(data, extension, image.content_type)
        width, height = _SIGNATURE_WIDTH, _SIGNATURE_WIDTH * image.px_height / image.px_width
        if height > _SIGNATURE_HEIGHT:
            width, height = width * _SIGNATURE_HEIGHT / height, _SIGNATURE_HEIGHT
        return _signature_drawing(int(width), int(height))

    def check(self, letter: Letter) -> None:
        """Raise a LettergenError if ``letter`` cannot become a valid Word document."""
        self._check_text(letter)
        rules = self.rules_for(letter)
        if rules:
            self._layout(letter, blocks(letter.text), rules)

    def _check_text(self, letter: Letter) -> None:
        bad = find_forbidden(letter.text)
        if bad is not None:
            raise forbidden_character(letter.record, letter.context, bad, template=self.source)

    def _layout(self, letter: Letter, found: list[str], rules: list[Rule]) -> list[Layout | None]:
        """Return the layout of each block, or raise the error of a rule that picks none."""
        try:
            return list(layout(found, rules))
        except LookupError as exc:
            raise TemplateError(
                f"{exc} picks no block of this letter",
                path=letter.template or self.source,
                record=letter.record.id,
            ) from None

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the whole ``.docx`` file of ``letter``."""
        before, after = self.letterhead.before, self.letterhead.after
        document = before + self.body(letter) + after
        return self.archive.build(self.document_name, document.encode("utf-8"))

    def build(self, letter: Letter) -> bytes:
        """Check ``letter`` (as :meth:`check`) and return its file, in one go."""
        self._check_text(letter)
        return self.to_bytes(letter)

    def body(self, letter: Letter, *, drawing_id: int = 1, section: str = "") -> str:
        """Return the body XML of ``letter``: its paragraphs.

        ``section`` goes at the end of the last paragraph's properties (a combined document
        ends each letter's section there).
        """
        found = blocks(letter.text) or [""]
        rules = self.rules_for(letter)
        layouts: list[Layout | None] = self._layout(letter, found, rules) if rules else []
        layouts += [None] * (len(found) - len(layouts))
        drawings = [""] * len(found)
        if self.drawing:
            drawing = self.drawing.replace("{id}", str(drawing_id))
            index, insert = self._signature_place(found, layouts, letter)
            if insert:
                # No empty paragraph there to hold it: the image gets one of its own.
                found.insert(index, "")
                layouts.insert(index, None)
                drawings.insert(index, "")
            drawings[index] = drawing
        last = len(found) - 1
        # Most letters hold no right-to-left script: one search spares a look at each block.
        rtl = _has_rtl(letter.text)
        return "".join(
            self._paragraph(block, layouts[i], section if i == last else "", drawings[i], rtl)
            for i, block in enumerate(found)
        )

    def _signature_place(
        self, found: list[str], layouts: list[Layout | None], letter: Letter
    ) -> tuple[int, bool]:
        """Return where the signature image goes: a paragraph index, and whether to insert one.

        The place is right after a block whose rule says ``signature``; else the widest run of
        empty paragraphs (the space left to sign), the last one if tied; else just before the
        last block that starts with the signatory's name; else the end.
        """
        for index, item in enumerate(layouts):
            if item is not None and item.signature_after:
                after = index + 1
                return after, after >= len(found) or bool(found[after])
        best, best_width, width = -1, 0, 0
        for index, block in enumerate(found):
            width = 0 if block else width + 1
            if width and width >= best_width:
                best, best_width = index - width + 1, width
        if best >= 0:
            return best, False
        sender = letter.context.get("sender")
        name = str(sender.get("name") or "") if isinstance(sender, Mapping) else ""
        for index in range(len(found) - 1, -1, -1):
            if name and found[index] and found[index].startswith(name):
                return index, True
        return len(found), True

    def _paragraph(
        self, block: str, item: Layout | None, extra: str, drawing: str, rtl: bool
    ) -> str:
        rtl = rtl and bool(block) and _is_rtl(block)
        properties = (self._properties(item, rtl) if item is not None or rtl else "") + extra
        head = f"<w:p><w:pPr>{properties}</w:pPr>" if properties else "<w:p>"
        if not block:
            return f"{head}{drawing}</w:p>"
        # str.replace runs in C; escaping the block at once beats escaping line by line.
        text = block.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace("\n", _BREAK)
        if "\t" in text:
            text = text.replace("\t", _TAB)
        run = "<w:r><w:rPr><w:rtl/></w:rPr>" if rtl else "<w:r>"
        return f'{head}{drawing}{run}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'

    def _properties(self, item: Layout | None, rtl: bool) -> str:
        # The schema fixes the order: pStyle, keepNext, keepLines, bidi, jc.
        parts = []
        if item is not None:
            if item.style is not None:
                parts.append(f'<w:pStyle w:val="{self.styles[item.style]}"/>')
            if item.keep_next:
                parts.append("<w:keepNext/>")
            if item.keep_lines:
                parts.append("<w:keepLines/>")
        if rtl:
            parts.append("<w:bidi/>")
        if item is not None and item.align is not None:
            parts.append(f'<w:jc w:val="{item.align}"/>')
        return "".join(parts)


def _has_rtl(text: str) -> bool:
    """Tell whether ``text`` holds any right-to-left script."""
    try:
        # Latin-1 text (most letters in Europe) holds no right-to-left script.
        text.encode("latin-1")
    except UnicodeEncodeError:
        return _RTL_SCRIPT.search(text) is not None
    return False


def _is_rtl(text: str) -> bool:
    """Tell whether a paragraph reads right to left: its first strong character does."""
    if not _RTL_SCRIPT.search(text):
        return False
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def combine_writer(
    writers: Sequence[object],
    target: Path,
    *,
    force: bool,
    meta: Mapping[str, Any],
    source: Path | None,
    letterhead: Path | None = None,
    signature: str | Path | None = None,
) -> DocxWriter:
    """Return the writer for ``--combine target``: the run's DOCX writer, or a new one.

    Raises an error when ``target`` is no ``.docx`` name, or exists and ``force`` is not given.
    """
    check_combine_target(target, force=force)
    for writer in writers:
        if isinstance(writer, DocxWriter):
            return writer
    return DocxWriter.for_template(meta, source, letterhead=letterhead, signature=signature)


class CombinedDocument:
    """One ``.docx`` holding many letters, each in its own section (so on its own pages).

    Letters are streamed into a temporary file, renamed into place by :meth:`close`; each
    section repeats the letterhead's page setup, header and footer and restarts page numbers.
    """

    def __init__(self, writer: DocxWriter, target: Path) -> None:
        self.writer = writer
        self._open(target, writer.archive, writer.document_name, writer.letterhead.combined_before)

    def _open(self, target: Path, archive: Archive, document: str, before: str) -> None:
        """Prepare to stream ``document`` of ``archive`` into a temporary file beside ``target``.

        The file is made on the first :meth:`add`: until then :meth:`body` may be asked for
        (in a run's first pass) without anything being written.
        """
        self.target = target
        self.temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        self.pending: str | None = None
        self.handle: BinaryIO | None = None
        self._start = (archive, document, before)

    def _begin(self) -> None:
        archive, document, before = self._start
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.temporary, "wb")  # noqa: SIM115 - closed by close/abort
            self.member = archive.stream(self.handle, document)
            self.member.write(before.encode("utf-8"))
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write: {exc.strerror}", path=self.target) from None

    def body(self, letter: Letter, number: int) -> str:
        """Return the body XML of ``letter``, the ``number``-th of the document, for :meth:`add`."""
        return self.writer.body(letter, drawing_id=number, section=SECTION)

    def add(self, body: str) -> None:
        """Append one letter's body (from :meth:`body`) after the letters added so far."""
        if self.handle is None:
            self._begin()
        # A letter's section ends in its last paragraph, whose properties wait for the next one.
        if self.pending is not None:
            self._write(self._with_break(self.pending))
        self.pending = body

    def _with_break(self, body: str) -> str:
        """Return a letter's body ending with the section break that starts a new page."""
        return body.replace(SECTION, self.writer.letterhead.section)

    def _ending(self) -> str:
        """Return the XML after the last letter: its body, then the document's end."""
        last = self.pending.replace(SECTION, "") if self.pending is not None else "<w:p/>"
        return last + self.writer.letterhead.combined_after

    def _write(self, xml: str) -> None:
        try:
            self.member.write(xml.encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=self.target) from None

    def close(self) -> None:
        """Finish the document and put it in place."""
        if self.handle is None:
            self._begin()
        assert self.handle is not None
        self._write(self._ending())
        try:
            self.member.close()
            self.handle.close()
            os.replace(self.temporary, self.target)
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write: {exc.strerror}", path=self.target) from None

    def abort(self) -> None:
        """Drop the unfinished document."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None
            self.temporary.unlink(missing_ok=True)
