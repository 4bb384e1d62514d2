"""Office files from other people, opened safely: Word templates, letterheads and workbooks.

A ``.docx`` or ``.xlsx`` is a zip of XML parts, and lettergen reads such files from campaign
partners and spreadsheets mailed around, then copies a Word document's members into every
letter it sends. Every zip and XML part lettergen reads is opened here, under one set of rules:

- member names stay inside the package (no ``..``, no absolute path, no backslash, no drive);
- a member may not inflate beyond a cap, nor far beyond its compressed size (zip bombs), and is
  read in chunks against that cap, so a bomb is refused before it fills memory;
- a Word document's members are checked against their checksums once, when it is opened, since
  they are then copied as they are into every letter;
- no XML part may declare a DTD (``<!DOCTYPE``): Word and Excel never write one, and its
  entities could pull in other files or expand to gigabytes;
- a Word document carrying a macro project or ActiveX control, or a field that loads from
  outside (``INCLUDEPICTURE "http://..."``), is refused (see :meth:`Package.refuse_macros`);
- a Word document's external relationships are removed with a warning, hyperlinks to web and
  mail addresses excepted (see :meth:`Package.strip_external_links`).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from lettergen.errors import LettergenError, Warn, ignore_warning
from lettergen.ooxml import R_NS, W_NS

# A part read whole (a document, styles, a workbook's own part) inflates to at most this.
MAX_PART = 64 << 20
# A part read as a stream (a worksheet, a shared-string table) or an image.
MAX_MEMBER = 512 << 20
# Members this large must not inflate to more than MAX_RATIO times their compressed size:
# Office XML deflates 5 to 30 times, a zip bomb about 1,000 times.
RATIO_FROM = 1 << 20
MAX_RATIO = 200
MAX_MEMBERS = 10_000
# All members together (many members each under the caps add up).
MAX_TOTAL = 1 << 30
_CHUNK = 1 << 16

# Where a package's relationships point from: the part itself, or the package (``_rels/.rels``).
_RELS = re.compile(r"\A(?:(.*)/)?_rels/([^/]*)\.rels\Z")
_DRIVE = re.compile(r"\A[A-Za-z]:")
_VML_NS = "urn:schemas-microsoft-com:office:office"
# External targets a letter may keep: links the reader follows by clicking, fetching nothing.
_CLICKED = ("http://", "https://", "mailto:")
_NOT_ZIP = "not a Word document (.docx): not a zip file"
_SAVE_AGAIN = "open it in Word and save it as 'Word Document (.docx)'"

_W_FLD_SIMPLE = f"{{{W_NS}}}fldSimple"
_W_INSTR = f"{{{W_NS}}}instr"
_W_INSTR_TEXT = f"{{{W_NS}}}instrText"
# A field instruction that loads a file or address: its name, then what it loads.
_FETCHING_FIELD = re.compile(
    r"(?:^|\s)(INCLUDEPICTURE|INCLUDETEXT|LINK|DDEAUTO|DDE)\s+(\"[^\"]*\"|\S+)", re.IGNORECASE
)

Fail = Callable[[str], LettergenError]


def _xml_parser() -> Any:
    """Return an lxml parser that expands no entity and reads nothing outside the part."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse_part(data: bytes, name: str, fail: Fail) -> Any:
    """Return the root of the XML part ``name`` (its bytes ``data``), refusing a DTD."""
    from lxml import etree

    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise fail(f"its part {name} is not well-formed XML: {exc}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise fail(_dtd_message(name))
    return root


def _dtd_message(name: str) -> str:
    return (
        f"its part {name} declares a DTD (<!DOCTYPE ...>), which Word and Excel never write "
        "(its entities could pull in other files); lettergen refuses it: save the file again "
        "in Word or Excel, or ask whoever sent it for a clean copy"
    )


def check_name(name: str) -> str | None:
    """Return why ``name`` is no safe member name (it would land outside the package), or None."""
    bare = name[:-1] if name.endswith("/") else name
    if "\\" in name:
        return "holds a backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "is an absolute path"
    if not bare or "\0" in name or any(p in ("", ".", "..") for p in bare.split("/")):
        return "leaves the package (an empty, '.' or '..' step)"
    return None


class Package:
    """An Office file's zip, opened once; its parts read under caps and checks.

    ``fail`` turns a message into the error of the file's role (a template, a letterhead, a
    recipient list); every message names the part. ``source`` is the file's bytes (a Word
    document, read whole and copied from) or its path (a workbook, streamed); ``not_zip`` is
    the message when it is no zip at all.
    """

    def __init__(
        self, source: bytes | Path, fail: Fail, where: str = "", not_zip: str = _NOT_ZIP
    ) -> None:
        self.fail = fail
        # How warnings name the file (``path`` or ``path: letterhead``).
        self.where = where
        self.data = source if isinstance(source, bytes) else None
        # Parts rewritten here (external links removed): name -> new content.
        self.changed: dict[str, bytes] = {}
        try:
            opened = io.BytesIO(source) if isinstance(source, bytes) else source
            self.zip = zipfile.ZipFile(opened)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError):
            raise fail(not_zip) from None
        except OSError as exc:
            raise fail(f"cannot read: {exc.strerror or exc}") from None
        if len(infos) > MAX_MEMBERS:
            self.zip.close()
            raise fail(f"it holds {len(infos)} members, more than {MAX_MEMBERS:,}")
        self.infos: dict[str, zipfile.ZipInfo] = {}
        try:
            for info in infos:
                self._check_member(info)
            if sum(info.file_size for info in infos) > MAX_TOTAL:
                raise fail(
                    f"its members inflate to more than {MAX_TOTAL >> 20:,} MB in all; "
                    "lettergen refuses it"
                )
        except LettergenError:
            self.zip.close()
            raise

    def _check_member(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        problem = check_name(name)
        if problem:
            raise self.fail(
                f"member name {name!r} {problem}: such a file, unpacked, writes outside its "
                "folder; lettergen refuses it"
            )
        if name in self.infos:
            raise self.fail(f"it holds two members named {name!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self.fail(f"its member {name} uses an unsupported compression")
        if info.flag_bits & 0x1:
            raise self.fail(f"its member {name} is encrypted")
        if info.file_size > MAX_MEMBER:
            raise self.fail(self._too_large(name, MAX_MEMBER))
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise self.fail(
                f"its member {name} would inflate {info.file_size // max(info.compress_size, 1):,}"
                f" times (from {info.compress_size:,} to {info.file_size:,} bytes), as a zip "
                f"bomb does; lettergen refuses members that inflate over {MAX_RATIO} times"
            )
        self.infos[name] = info

    def _too_large(self, name: str, cap: int) -> str:
        return f"its member {name} inflates to more than {cap >> 20} MB; lettergen refuses it"

    def close(self) -> None:
        """Close the zip."""
        self.zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, name: str) -> bool:
        """Tell whether the package holds member ``name``."""
        return name in self.infos

    @property
    def names(self) -> list[str]:
        """The members' names, in the zip's order."""
        return list(self.infos)

    def open(self, name: str) -> IO[bytes]:
        """Open member ``name`` for reading (the zip checks its checksum at the end)."""
        info = self.infos.get(name)
        if info is None:
            raise self.fail(f"it has no part {name}")
        try:
            return self.zip.open(info)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, ValueError) as exc:
            raise self._damaged(name, exc) from None

    def _damaged(self, name: str, exc: BaseException) -> LettergenError:
        if isinstance(exc, zlib.error):
            reason = "its compressed bytes do not inflate"
        elif "CRC" in str(exc):
            reason = "its checksum does not match its bytes"
        else:
            reason = str(exc)
        return self.fail(
            f"its part {name} is damaged ({reason}); lettergen copies no damaged part into "
            "letters: save the file again, or ask whoever sent it for a clean copy"
        )

    def chunks(self, name: str, cap: int = MAX_MEMBER) -> Iterator[bytes]:
        """Yield member ``name``'s bytes in chunks, refusing it past ``cap`` or when damaged."""
        read = 0
        with self.open(name) as stream:
            while True:
                try:
                    chunk = stream.read(_CHUNK)
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                    raise self._damaged(name, exc) from None
                if not chunk:
                    return
                read += len(chunk)
                if read > cap:
                    raise self.fail(self._too_large(name, cap))
                yield chunk

    def read(self, name: str) -> bytes:
        """Return member ``name``'s bytes (as rewritten here, if it was), under MAX_PART."""
        if name in self.changed:
            return self.changed[name]
        return b"".join(self.chunks(name, MAX_PART))

    def xml(self, name: str) -> Any:
        """Return the root of XML part ``name``, parsed without entities and with no DTD."""
        return parse_part(self.read(name), name, self.fail)

    def feed(self, name: str, parser: Any) -> Iterator[None]:
        """Feed part ``name`` to an expat ``parser`` in chunks, yielding after each one.

        A DTD is refused as soon as expat meets it. expat's own errors reach the caller.
        """

        def refuse(*_: object) -> None:
            raise self.fail(_dtd_message(name))

        parser.StartDoctypeDeclHandler = refuse
        for chunk in self.chunks(name):
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
        yield

    # -- Word documents, whose members are copied into letters -----------------------------

    def check_document(self, warn: Warn = ignore_warning) -> None:
        """Make a Word document fit to be copied into letters, or refuse it.

        Every member is read once against its checksum (they are copied as they are), every
        XML part is parsed (no DTD), macros and fields that fetch are refused, and external
        links removed.
        """
        for name in self.infos:
            if name.endswith("/"):
                continue
            if name.endswith((".xml", ".rels")):
                root = parse_part(self.read(name), name, self.fail)
                self._refuse_fetching_fields(name, root)
            else:
                for _ in self.chunks(name):
                    pass
        self.refuse_macros()
        self.strip_external_links(warn)

    def refuse_macros(self) -> None:
        """Refuse a document holding a macro project (``vbaProject.bin``, a ``.docm``) or an
        ActiveX control (``word/activeX/``), code run inside the document.

        Refused rather than removed: a macro project is code the document's author meant to
        run, lettergen cannot tell what the document loses without it, and a document whose
        content types say "macro-enabled" would need them rewritten too. Word removes macros
        itself when the file is saved as a plain ``.docx``: one step for the user, no guess.
        """
        for name in self.infos:
            if PurePosixPath(name).name.lower() in ("vbaproject.bin", "vbadata.xml"):
                raise self.fail(self._macro_message(name, "holds a macro project (VBA)"))
            if "/activex/" in f"/{name.lower()}":
                raise self.fail(
                    f"its part {name} is an ActiveX control (code run inside the document); "
                    "lettergen does not pass code on to recipients: delete the control in Word "
                    "(Developer > Design Mode) and save the document again"
                )
        types = "[Content_Types].xml"
        if not self.has(types):
            return
        for element in self.xml(types):
            kind = element.get("ContentType", "")
            if "macroenabled" in kind.lower() or "vbaproject" in kind.lower():
                part = element.get("PartName") or f"*.{element.get('Extension', '')}"
                raise self.fail(
                    self._macro_message(
                        types, f"says {part} is {kind}, a macro-enabled document (a .docm)"
                    )
                )

    def _refuse_fetching_fields(self, name: str, root: Any) -> None:
        """Refuse a field that loads something from outside when Word updates it.

        ``INCLUDEPICTURE "http://..."``, ``INCLUDETEXT``, ``LINK`` and ``DDE`` fields are not
        relationships: their target sits in the field's instruction, where removing it would
        leave a broken field. They are rare in letters and a known way to track a reader, so
        the document is refused and the user removes the field in Word.
        """
        instructions = [e.get(_W_INSTR, "") for e in root.iter(_W_FLD_SIMPLE)]
        for paragraph in root.iter(f"{{{W_NS}}}p"):
            text = "".join(e.text or "" for e in paragraph.iter(_W_INSTR_TEXT))
            if text:
                instructions.append(text)
        for instruction in instructions:
            found = _FETCHING_FIELD.search(instruction)
            if found:
                field, target = found.group(1).upper(), found.group(2).strip('"')
                raise self.fail(
                    f"its part {name} holds a {field} field, which loads {target} from "
                    "outside when Word updates it; lettergen "
                    "sends no letter that fetches anything: remove the field in Word (for a "
                    "picture, paste the picture itself) and save the document again"
                )

    def _macro_message(self, part: str, what: str) -> str:
        return (
            f"its part {part} {what}; lettergen does not pass macros on to recipients: "
            f"{_SAVE_AGAIN}, which leaves the macros out, and use that file"
        )

    def strip_external_links(self, warn: Warn) -> None:
        """Remove relationships to targets outside the package, with a warning for each.

        An image, template or object linked by ``TargetMode="External"`` is fetched when the
        letter is opened: the letter would tell a server (or a file share) who read it and
        when. Hyperlinks to web and mail addresses stay: they are the letter's text, followed
        only when the reader clicks. What pointed at a removed relationship loses the
        reference (a linked picture shows empty; Word forgets the attached template).
        """
        for rels in [n for n in self.infos if _RELS.match(n)]:
            root = self.xml(rels)
            removed: set[str] = set()
            for rel in list(root):
                if rel.get("TargetMode", "").lower() != "external":
                    continue
                kind = rel.get("Type", "").rsplit("/", 1)[-1]
                target = rel.get("Target", "")
                if kind == "hyperlink" and target.lower().startswith(_CLICKED):
                    continue
                root.remove(rel)
                removed.add(rel.get("Id", ""))
                warn(
                    f"{self.where}: warning: {rels}: removed the external {kind} link "
                    f"{rel.get('Id', '')} to {target}: a letter must fetch nothing when opened"
                )
            if removed:
                self.changed[rels] = _serialise(root)
                match = _RELS.match(rels)
                assert match is not None
                source = "/".join(p for p in (match.group(1), match.group(2)) if p)
                if match.group(2) and self.has(source) and source.endswith(".xml"):
                    self.changed[source] = _serialise(_drop_references(self.xml(source), removed))


def _drop_references(root: Any, removed: set[str]) -> Any:
    """Remove the references to relationships ``removed`` from a part's tree."""
    namespaces = (f"{{{R_NS}}}", f"{{{_VML_NS}}}")
    template = f"{{{W_NS}}}attachedTemplate"
    for element in list(root.iter()):
        for key, value in list(element.attrib.items()):
            if value in removed and key.startswith(namespaces):
                del element.attrib[key]
                if element.tag == template and element.getparent() is not None:
                    element.getparent().remove(element)
    return root


def _serialise(root: Any) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def open_document(data: bytes, fail: Fail, where: str = "", warn: Warn = ignore_warning) -> Package:
    """Open a Word document (its bytes) to copy from: checked whole, see check_document."""
    package = Package(data, fail, where)
    try:
        package.check_document(warn)
    except BaseException:
        package.close()
        raise
    return package
