"""The parts of an Excel workbook a recipient list needs, streamed from its zip."""

from __future__ import annotations

import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree import ElementTree as ET
from xml.parsers import expat

from lettergen.errors import RecipientsError
from lettergen.inputs.textfiles import read_bytes

_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Number formats that pad with zeros, like Excel's "Zip Code" (00000): 1000 shows as 01000.
_ZERO_PADDED = re.compile(r"\A0+\Z")
# Excel writes some control characters in text as _xHHHH_ (a line break's \r as _x000D_).
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Up to this many shared strings stay in memory; a larger table goes to a temporary file.
_STRINGS_IN_MEMORY = 20_000
DATE = "date"


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open ``path`` as a zip archive, or raise a RecipientsError saying why not."""
    if not path.is_file():
        read_bytes(path, RecipientsError)  # raises "file not found" or "is a folder"
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise RecipientsError(
            "not an Excel workbook (.xlsx is a zip file; this one is not)", path=path
        ) from None
    except OSError as exc:
        raise RecipientsError(f"cannot read: {exc.strerror or exc}", path=path) from None


class Workbook:
    """The parts of a workbook a recipient list needs: sheets, date system, number formats."""

    def __init__(self, archive: zipfile.ZipFile, path: Path) -> None:
        self.archive = archive
        self.path = path
        main = self._relations("_rels/.rels")
        workbook = next(
            (target for kind, target in main.values() if kind.endswith("/officeDocument")),
            "xl/workbook.xml",
        )
        root = self._xml(workbook)
        # The namespace of the file: Excel's usual one, or that of "Strict Open XML".
        self.ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        relations = self._relations(_rels_of(workbook))
        self.sheets: list[tuple[str, str]] = []
        for element in root.iter(f"{self.ns}sheet"):
            rel = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
            kind, target = relations.get(rel or "", ("", ""))
            if kind.endswith("/worksheet"):
                self.sheets.append((element.get("name", ""), target))
        properties = root.find(f"{self.ns}workbookPr")
        self.date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.strings_part = next(
            (t for k, t in relations.values() if k.endswith("/sharedStrings")), None
        )
        self.styles_part = next((t for k, t in relations.values() if k.endswith("/styles")), None)
        self.formats = self._formats()

    def error(self, message: str) -> RecipientsError:
        """Return an error about a damaged workbook."""
        return RecipientsError(f"cannot read this workbook: {message}", path=self.path)

    def open(self, part: str) -> IO[bytes]:
        """Open a part of the zip for reading."""
        try:
            return self.archive.open(part)
        except KeyError:
            raise self.error(f"it has no part '{part}'") from None
        except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
            raise self.error(str(exc)) from None

    def _xml(self, part: str) -> ET.Element:
        with self.open(part) as stream:
            try:
                return ET.parse(stream).getroot()
            except ET.ParseError as exc:
                raise self.error(f"{part}: {exc}") from None

    def _relations(self, part: str) -> dict[str, tuple[str, str]]:
        """Return ``{id: (type, zip path of the target)}`` of a relationships part."""
        if part not in self.archive.NameToInfo:
            return {}
        base = PurePosixPath(part).parent.parent
        found: dict[str, tuple[str, str]] = {}
        for element in self._xml(part).iter(f"{_PACKAGE_RELS}Relationship"):
            target = element.get("Target", "")
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = _normalise(str(base / target))
            found[element.get("Id", "")] = (element.get("Type", ""), resolved)
        return found

    def sheet(self, name: str | None) -> tuple[str, str, bool]:
        """Return the zip part and title of the sheet named ``name`` (else the first one)."""
        if not self.sheets:
            raise RecipientsError("the workbook has no worksheet", path=self.path)
        several = len(self.sheets) > 1
        if name is None:
            title, part = self.sheets[0]
            return part, title, several
        for exact in (True, False):
            for title, part in self.sheets:
                if title == name if exact else title.casefold() == name.casefold():
                    return part, title, several
        names = ", ".join(repr(title) for title, _ in self.sheets)
        raise RecipientsError(
            f"no sheet named '{name}' (sheets: {names}); check --sheet", path=self.path
        )

    def _formats(self) -> list[str | int | None]:
        """Return, per cell style, ``"date"``, the width of a zero-padded format, or None."""
        if self.styles_part is None or self.styles_part not in self.archive.NameToInfo:
            return []
        # openpyxl loads only when a workbook is read: `lettergen --help` stays fast
        # (tests/test_lazy_imports.py).
        from openpyxl.styles.numbers import (  # openpyxl's own rules for what is a date
            BUILTIN_FORMATS,
            is_date_format,
            is_timedelta_format,
        )

        root = self._xml(self.styles_part)
        ns = self.ns
        custom = {
            element.get("numFmtId", ""): element.get("formatCode", "")
            for element in root.iter(f"{ns}numFmt")
        }
        kinds: list[str | int | None] = []
        xfs = root.find(f"{ns}cellXfs")
        for xf in [] if xfs is None else xfs.iter(f"{ns}xf"):
            number = xf.get("numFmtId", "0")
            code = custom.get(number)
            if code is None:
                code = BUILTIN_FORMATS.get(int(number), "General") if number.isdigit() else ""
            if is_timedelta_format(code):
                kinds.append(None)
            elif is_date_format(code):
                kinds.append(DATE)
            elif _ZERO_PADDED.match(code):
                kinds.append(len(code))
            else:
                kinds.append(None)
        return kinds

    def name(self, local: str) -> str:
        """Return an element name as expat reports it (``uri}local``)."""
        return f"{self.ns[1:]}{local}" if self.ns else local

    def parse(self, part: str, handler: Handler) -> Iterator[None]:
        """Feed ``part`` to ``handler`` in chunks; yield after each chunk is parsed.

        expat calls the handler's methods directly, which is about twice as fast as building
        ElementTree elements; only the current row or string is ever held.
        """
        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.data
        with self.open(part) as stream:
            try:
                while True:
                    chunk = stream.read(1 << 16)
                    parser.Parse(chunk, not chunk)
                    yield
                    if not chunk:
                        return
            except expat.ExpatError as exc:
                raise self.error(f"{part}: {exc}") from None
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise self.error(f"{part}: {exc}") from None

    def shared_strings(self) -> SharedStrings:
        """Read the workbook's shared strings (streamed, spilled to disk when many)."""
        table = SharedStrings()
        if self.strings_part is None or self.strings_part not in self.archive.NameToInfo:
            return table
        try:
            for _ in self.parse(self.strings_part, _StringsHandler(self, table)):
                pass
        except BaseException:
            table.close()
            raise
        return table


class Handler:
    """Receives expat's events for one part of a workbook."""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """An element starts."""

    def end(self, name: str) -> None:
        """An element ends."""

    def data(self, text: str) -> None:
        """Text inside the current element."""


class TextCollector(Handler):
    """Collects the text of ``<t>`` elements, rich text runs included, phonetic guides not."""

    def __init__(self, book: Workbook) -> None:
        self.t, self.phonetic = book.name("t"), book.name("rPh")
        self.parts: list[str] | None = None
        self.collecting: list[str] | None = None
        self.in_phonetic = False

    def start_text(self, name: str) -> None:
        if name == self.t and self.parts is not None and not self.in_phonetic:
            self.collecting = []
        elif name == self.phonetic:
            # <rPh> holds phonetic guides (Japanese furigana), not text of the cell.
            self.in_phonetic = True

    def end_text(self, name: str) -> None:
        if name == self.t and self.collecting is not None and self.parts is not None:
            self.parts.append("".join(self.collecting))
            self.collecting = None
        elif name == self.phonetic:
            self.in_phonetic = False

    def data(self, text: str) -> None:
        if self.collecting is not None:
            self.collecting.append(text)

    def text(self) -> str:
        """Return the text collected since ``parts`` was set, and stop collecting."""
        text = "".join(self.parts or ())
        self.parts = None
        return unescape(text)


class _StringsHandler(TextCollector):
    """Fills a :class:`SharedStrings` from ``xl/sharedStrings.xml``."""

    def __init__(self, book: Workbook, table: SharedStrings) -> None:
        super().__init__(book)
        self.item = book.name("si")
        self.table = table

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == self.item:
            self.parts = []
        else:
            self.start_text(name)

    def end(self, name: str) -> None:
        if name == self.item:
            self.table.append(self.text())
        else:
            self.end_text(name)


def _rels_of(part: str) -> str:
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / f"{path.name}.rels")


def _normalise(path: str) -> str:
    """Resolve ``..`` in a zip path."""
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


class SharedStrings:
    """A workbook's shared strings: a list when few, a temporary file when many."""

    def __init__(self) -> None:
        self.items: list[str] | None = []
        self.file: IO[bytes] | None = None
        self.ends = array("q")

    def append(self, text: str) -> None:
        """Add the next string of the table."""
        if self.items is not None:
            self.items.append(text)
            if len(self.items) <= _STRINGS_IN_MEMORY:
                return
            # Too many to keep: from now on every string lives in the file.
            items, self.items = self.items, None
            # Closed by close(), which read_sheet's "with" always calls.
            self.file = tempfile.TemporaryFile(prefix="lettergen-strings-")  # noqa: SIM115
            for item in items:
                self._write(item)
            return
        self._write(text)

    def _write(self, text: str) -> None:
        assert self.file is not None
        self.file.write(text.encode("utf-8"))
        self.ends.append(self.file.tell())

    def __getitem__(self, index: int) -> str:
        if self.items is not None:
            return self.items[index]
        assert self.file is not None
        if index < 0:
            raise IndexError(index)
        end = self.ends[index]
        start = self.ends[index - 1] if index > 0 else 0
        self.file.seek(start)
        return self.file.read(end - start).decode("utf-8")

    def close(self) -> None:
        """Delete the temporary file, if any."""
        if self.file is not None:
            self.file.close()
            self.file = None

    def __enter__(self) -> SharedStrings:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def unescape(text: str) -> str:
    """Return cell text with Excel's ``_xHHHH_`` escapes (a line break's ``\\r``) decoded."""
    return _ESCAPED.sub(_unescape, text) if "_x" in text else text
