"""Reading a letterhead: the Word document whose page setup, styles, header and footer every
letter inherits.

A letterhead is read once per run: its ``word/document.xml`` is cut into the XML before and after
the body, and its other members stay deflated, to be copied byte for byte into each letter (see
:mod:`.zipwriter`). :mod:`.letterhead_builder` makes the default one.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from lettergen.confine import confined
from lettergen.errors import OutputError, TemplateError, Warn, ignore_warning
from lettergen.ooxml import CT_NS, PKG_RELS_NS, R_NS, W_NS, letter_section
from lettergen.packages import open_document, parse_part
from lettergen.writers.properties import APP, CORE, app_xml, core_xml
from lettergen.writers.zipwriter import Archive, Member, package_members

_OFFICE_DOCUMENT = R_NS + "/officeDocument"
_IMAGE = R_NS + "/image"
_STYLES = R_NS + "/styles"
_BODY = "lettergen-body"
# The relationship through which a letter's body draws the signature image.
SIGNATURE_ID = "rIdLettergenSignature"


def letterhead_of(
    meta: Mapping[str, Any], source: Path | None, folders: Sequence[Path] | None = None
) -> Path | None:
    """Return the letterhead a template's front matter names (``letterhead: FILE``), if any:
    a file inside ``folders`` (default: the template's), see :mod:`lettergen.confine`."""
    value = meta.get("letterhead")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TemplateError(
            "front matter 'letterhead' must be the path of a .docx file",
            path=source,
            field="letterhead",
        )
    if source is None:
        return Path(value)
    return confined(
        value,
        folders or [source.parent],
        key="letterhead",
        named_in=source,
        error=TemplateError,
        base=source.parent,
    )


class Letterhead:
    """A letterhead's parts, read once: the document cut around its body, the other members."""

    def __init__(self, data: bytes, path: Path | None, warn: Warn = ignore_warning) -> None:
        from lxml import etree

        self.path = path
        where = f"{path}: letterhead" if path else "the default letterhead"
        with open_document(data, self.error, where, warn) as package:
            try:
                members = package_members(package)
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
        letter_section(section)
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

        return parse_part(self.content(name), name, self.error)

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
            Id=SIGNATURE_ID,
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

    def describe(self, title: str, author: str, when: dt.datetime) -> None:
        """Give the letters their own title, author and date, in place of the letterhead's
        (only where the letterhead has those parts, as every Word document does)."""
        for name, data in ((CORE, core_xml(title, author, when)), (APP, app_xml())):
            if name in self.members:
                self.members[name] = Member.deflate(name, data)

    def archive(self) -> Archive:
        """Return the zip of every member but the main document, laid out once."""
        return Archive(self.fixed_members())

    def fixed_members(self) -> list[Member]:
        """Return every member but the main document (the same in every letter)."""
        return [m for name, m in self.members.items() if name != self.document_name]


def read_letterhead(path: Path | None, warn: Warn = ignore_warning) -> Letterhead:
    """Read the letterhead at ``path`` (None: the default one); ``warn`` hears what was mended."""
    if path is None:
        from lettergen.writers.letterhead_builder import build_letterhead

        return Letterhead(build_letterhead(), None)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OutputError(f"cannot read the letterhead: {exc.strerror}", path=path) from None
    return Letterhead(data, path, warn)
