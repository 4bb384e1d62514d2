"""The parts of an Excel workbook a recipient list needs, streamed from its zip."""

from __future__ import annotations

import re
import tempfile
from array import array
from collections.abc import Iterator
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO
from xml.parsers import expat

from lettergen.errors import RecipientsError
from lettergen.inputs.textfiles import read_bytes
from lettergen.packages import Package

_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Number formats that pad with zeros, like Excel's "Zip Code" (00000): 1000 shows as 01000.
_ZERO_PADDED = re.compile(r"\A0+\Z")
# Excel writes some control characters in text as _xHHHH_ (a line break's \r as _x000D_).
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Up to this many shared strings stay in memory; a larger table goes to a temporary file.
_STRINGS_IN_MEMORY = 20_000
# Excel's limits: characters in a cell, columns in a sheet (A to XFD).
MAX_CELL = 32_767
MAX_COLUMNS = 16_384
TOO_LONG = f"holds more than {MAX_CELL:,} characters, Excel's limit for a cell"
DATE = "date"


def open_zip(path: Path) -> Package:
    """Open ``path`` as a workbook's zip, or raise a RecipientsError saying why not."""
    if not path.is_file():
        read_bytes(path, RecipientsError)  # raises "file not found" or "is a folder"
    not_zip = "not an Excel workbook (.xlsx is a zip file; this one is not)"
    return Package(path, partial(RecipientsError, path=path), str(path), not_zip)


class Workbook:
    """The parts of a workbook a recipient list needs: sheets, date system, number formats."""

    def __init__(self, archive: Package, path: Path) -> None:
        self.archive = archive
        self.path = path
        main = self._relations("_rels/.rels")
        workbook = next(
            (target for kind, target in main.values() if kind.endswith("/officeDocument")),
            "xl/workbook.xml",
        )
        root = archive.xml(workbook)
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

    def _relations(self, part: str) -> dict[str, tuple[str, str]]:
        """Return ``{id: (type, zip path of the target)}`` of a relationships part."""
        if not self.archive.has(part):
            return {}
        base = PurePosixPath(part).parent.parent
        found: dict[str, tuple[str, str]] = {}
        for element in self.archive.xml(part).iter(f"{_PACKAGE_RELS}Relationship"):
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
        if self.styles_part is None or not self.archive.has(self.styles_part):
            return []
        # openpyxl loads only when a workbook is read: `lettergen --help` stays fast
        # (tests/test_lazy_imports.py).
        from openpyxl.styles.numbers import (  # openpyxl's own rules for what is a date
            BUILTIN_FORMATS,
            is_date_format,
            is_timedelta_format,
        )

        root = self.archive.xml(self.styles_part)
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
        try:
            yield from self.archive.feed(part, parser)
        except expat.ExpatError as exc:
            raise self.error(f"{part}: {exc}") from None

    def shared_strings(self) -> SharedStrings:
        """Read the workbook's shared strings (streamed, spilled to disk when many)."""
        table = SharedStrings()
        if self.strings_part is None or not self.archive.has(self.strings_part):
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
    """Collects the text of ``<t>`` elements, rich text runs included, phonetic guides not.

    A cell holds at most MAX_CELL characters (Excel's limit); the text collected for one cell
    or string is counted as it comes, so a part that is one endless cell stops early.
    """

    def __init__(self, book: Workbook) -> None:
        self.t, self.phonetic = book.name("t"), book.name("rPh")
        self.parts: list[str] | None = None
        self.collecting: list[str] | None = None
        self.in_phonetic = False
        # Characters collected for the current cell or string (see begin).
        self.length = 0

    def begin(self) -> None:
        """A new cell or shared string starts: count its text from zero."""
        self.length = 0

    def too_long(self) -> RecipientsError:
        """Return the error for a cell or string longer than MAX_CELL characters."""
        return RecipientsError(f"a cell {TOO_LONG}")

    def checked(self, text: str) -> str:
        """Return a cell's decoded text, refusing it over MAX_CELL characters."""
        if len(text) > MAX_CELL:
            raise self.too_long()
        return text

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
            self.length += len(text)
            # An _xHHHH_ escape is 7 characters for one: past this, the cell is too long.
            if self.length > 7 * MAX_CELL:
                raise self.too_long()

    def text(self) -> str:
        """Return the text collected since ``parts`` was set, and stop collecting."""
        text = "".join(self.parts or ())
        self.parts = None
        return self.checked(unescape(text))


class _StringsHandler(TextCollector):
    """Fills a :class:`SharedStrings` from ``xl/sharedStrings.xml``."""

    def __init__(self, book: Workbook, table: SharedStrings) -> None:
        super().__init__(book)
        self.book = book
        self.item = book.name("si")
        self.table = table

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == self.item:
            self.parts = []
            self.begin()
        else:
            self.start_text(name)

    def end(self, name: str) -> None:
        if name == self.item:
            self.table.append(self.text())
        else:
            self.end_text(name)

    def too_long(self) -> RecipientsError:
        return self.book.error(
            f"{self.book.strings_part}: shared string {len(self.table)} {TOO_LONG}"
        )


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

    def __len__(self) -> int:
        return len(self.items) if self.items is not None else len(self.ends)

    def _write(self, text: str) -> None:
        assert self.file is not None
        self.file.write(text.encode("utf-8"))
        self.ends.append(self.file.tell())

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self):
            raise IndexError(index)  # -1 is no string: the last one is not meant
        if self.items is not None:
            return self.items[index]
        assert self.file is not None
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
