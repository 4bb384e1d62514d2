"""Excel workbooks (``.xlsx``) as recipient lists: one sheet, a header row, one record per row.

Rows stream from the zip: expat parses the sheet's XML as it is read and each row is dropped
once it has become a record, and a large shared-string table (Excel keeps every distinct text
of a workbook there) waits in a temporary file rather than in memory. openpyxl's read-only mode,
tried first, keeps that whole table in memory: for 100,000 recipients its peak was 156 MB
against 54 MB here, and it took about twice the CPU time per pass (see the README). Dates and
number formats are read with openpyxl's own rules, so cells mean what they mean there.

Record lines are the sheet's row numbers, the numbers Excel shows, so a message sends the user
to the right row.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

from lettergen.errors import RecipientsError
from lettergen.inputs.recipients.reader import Warn, record_id, set_dotted, table_keys, text_cell
from lettergen.inputs.textfiles import read_bytes

_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Number formats that pad with zeros, like Excel's "Zip Code" (00000): 1000 shows as 01000.
_ZERO_PADDED = re.compile(r"\A0+\Z")
# Excel writes some control characters in text as _xHHHH_ (a line break's \r as _x000D_).
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CELL_REF = re.compile(r"\A\$?([A-Za-z]{1,3})\$?\d*\Z")
# Up to this many shared strings stay in memory; a larger table goes to a temporary file.
_STRINGS_IN_MEMORY = 20_000
_DATE = "date"


class _CellError:
    """A cell holding a spreadsheet error such as ``#N/A``."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code


def read_sheet(
    path: Path,
    *,
    sheet: str | None = None,
    warn: Warn,
    field_map: Mapping[str, str],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row number, fields)`` for each data row of one sheet of a workbook.

    The sheet is ``sheet`` (by name) or the first one. Its first non-empty row is the header;
    empty rows are skipped. Cells become field values as the sheet shows them: dates as
    :class:`datetime.date` (or ``datetime`` with a time of day), whole numbers as ``int`` (as
    text, zero-padded, when the cell's format pads with zeros), text as
    :class:`~lettergen.inputs.recipients.reader.CellText` (which a loop takes line by
    line), empty cells as ``""``. A cell holding an error (``#N/A``) is an error naming its
    row and cell.
    """
    with _open_zip(path) as archive:
        book = _Workbook(archive, path)
        part, title, several = book.sheet(sheet)
        # A sheet is named in messages only when there is a choice of sheets.
        where = f"sheet '{title}': " if several else ""
        with book.shared_strings() as strings:
            rows = _rows(book, part, strings)
            keys: list[str] | None = None
            count = 0
            for number, values in rows:
                if keys is None:
                    if any(_filled(value) for value in values):
                        header = [None if isinstance(v, _CellError) else v for v in values]
                        keys = table_keys(header, path, number, field_map, warn, where)
                    continue
                record = _record(values, keys, path, number, where, count + 1)
                if record is not None:
                    count += 1
                    yield number, record


def _open_zip(path: Path) -> zipfile.ZipFile:
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


class _Workbook:
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
                kinds.append(_DATE)
            elif _ZERO_PADDED.match(code):
                kinds.append(len(code))
            else:
                kinds.append(None)
        return kinds

    def name(self, local: str) -> str:
        """Return an element name as expat reports it (``uri}local``)."""
        return f"{self.ns[1:]}{local}" if self.ns else local

    def parse(self, part: str, handler: _Handler) -> Iterator[None]:
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

    def shared_strings(self) -> _SharedStrings:
        """Read the workbook's shared strings (streamed, spilled to disk when many)."""
        table = _SharedStrings()
        if self.strings_part is None or self.strings_part not in self.archive.NameToInfo:
            return table
        try:
            for _ in self.parse(self.strings_part, _StringsHandler(self, table)):
                pass
        except BaseException:
            table.close()
            raise
        return table


class _Handler:
    """Receives expat's events for one part of a workbook."""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """An element starts."""

    def end(self, name: str) -> None:
        """An element ends."""

    def data(self, text: str) -> None:
        """Text inside the current element."""


class _TextCollector(_Handler):
    """Collects the text of ``<t>`` elements, rich text runs included, phonetic guides not."""

    def __init__(self, book: _Workbook) -> None:
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
        return _ESCAPED.sub(_unescape, text) if "_x" in text else text


class _StringsHandler(_TextCollector):
    """Fills a :class:`_SharedStrings` from ``xl/sharedStrings.xml``."""

    def __init__(self, book: _Workbook, table: _SharedStrings) -> None:
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


class _SharedStrings:
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

    def __enter__(self) -> _SharedStrings:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rows(book: _Workbook, part: str, strings: _SharedStrings) -> Iterator[tuple[int, list[Any]]]:
    """Yield ``(row number, cell values by column)`` for each row of a sheet, as it is read."""
    handler = _SheetHandler(book, strings)
    for _ in book.parse(part, handler):
        yield from handler.ready
        handler.ready.clear()


class _SheetHandler(_TextCollector):
    """Turns a sheet's ``<row>`` and ``<c>`` elements into lists of cell values."""

    def __init__(self, book: _Workbook, strings: _SharedStrings) -> None:
        super().__init__(book)
        self.book = book
        self.strings = strings
        self.row_tag, self.cell_tag = book.name("row"), book.name("c")
        self.value_tag, self.inline_tag = book.name("v"), book.name("is")
        self.ready: list[tuple[int, list[Any]]] = []
        self.columns: dict[str, int] = {}
        self.next_row = 1
        self.number = 0
        self.values: list[Any] = []
        self.column = 0
        self.cell: dict[str, str] = {}
        self.value: list[str] | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == self.cell_tag:
            self.cell = attrs
            self.value = None
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                index = self.columns.get(letters)
                if index is None:
                    index = self.columns[letters] = _column_index(letters, self.book)
                self.column = index
        elif name == self.value_tag:
            self.value = []
            self.collecting = self.value
        elif name == self.row_tag:
            given = attrs.get("r")
            self.number = int(given) if given and given.isdigit() else self.next_row
            self.next_row = self.number + 1
            self.values = []
            self.column = 0
        elif name == self.inline_tag:
            self.parts = []
        else:
            self.start_text(name)

    def end(self, name: str) -> None:
        if name == self.cell_tag:
            value = self._value()
            if value is not None:
                column = self.column
                values = self.values
                if column >= len(values):
                    values.extend([None] * (column + 1 - len(values)))
                values[column] = value
            self.column += 1
        elif name == self.value_tag:
            self.collecting = None
        elif name == self.row_tag:
            self.ready.append((self.number, self.values))
        elif name != self.inline_tag:
            self.end_text(name)

    def _value(self) -> Any:
        """Return the value of the cell that just ended, or None when it is empty."""
        kind = self.cell.get("t")
        if kind == "inlineStr":
            return self.text() if self.parts is not None else None
        text = "".join(self.value) if self.value is not None else ""
        if not text:
            return None  # empty, or a formula never calculated
        if kind == "s":
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                raise self._error(f"no shared string {text!r}") from None
        if kind == "str":
            return _ESCAPED.sub(_unescape, text) if "_x" in text else text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "e":
            return _CellError(text)
        if kind == "d":
            return self._iso_date(text)
        return self._number(text)

    def _error(self, message: str) -> RecipientsError:
        ref = self.cell.get("r") or f"{_column_letters(self.column)}{self.number}"
        return self.book.error(f"cell {ref}: {message}")

    def _number(self, text: str) -> Any:
        """Return a number cell as the sheet shows it: a date, a padded code, an int, a float."""
        try:
            value: float | int = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            raise self._error(f"{text!r} is not a number") from None
        style = self.cell.get("s")
        formats = self.book.formats
        fmt = (
            formats[int(style)] if style and style.isdigit() and int(style) < len(formats) else None
        )
        if fmt == _DATE:
            return self._date(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(fmt, int) and isinstance(value, int) and value >= 0:
            return str(value).zfill(fmt)
        return value

    def _date(self, value: float) -> Any:
        from openpyxl.utils.datetime import (  # Excel's calendar quirks, per openpyxl
            CALENDAR_MAC_1904,
            CALENDAR_WINDOWS_1900,
            from_excel,
        )

        epoch = CALENDAR_MAC_1904 if self.book.date1904 else CALENDAR_WINDOWS_1900
        moment = from_excel(value, epoch)
        # Excel stores dates as date-times; a date typed in a cell has no time of day.
        if isinstance(moment, dt.datetime) and moment.time() == dt.time():
            return moment.date()
        return moment

    def _iso_date(self, text: str) -> Any:
        """Return a cell of type ``d`` (an ISO 8601 date-time, as some programs write)."""
        try:
            moment = dt.datetime.fromisoformat(text.rstrip("Z"))
        except ValueError:
            raise self._error(f"{text!r} is not a date") from None
        return moment.date() if moment.time() == dt.time() else moment


def _column_index(letters: str, book: _Workbook) -> int:
    """Return the 0-based index of column ``letters`` (``A`` -> 0, ``AA`` -> 26)."""
    if not _CELL_REF.match(letters):
        raise book.error(f"bad cell reference '{letters}'")
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _column_letters(index: int) -> str:
    """Return the letters of the 0-based column ``index``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _record(
    values: list[Any], keys: list[str], path: Path, number: int, where: str, ordinal: int
) -> dict[str, Any] | None:
    """Return the fields of one sheet row (the ``ordinal``-th record), or None if it is empty."""
    width = len(keys)
    for index in range(width, len(values)):
        value = values[index]
        if _filled(value):
            shown = value.code if isinstance(value, _CellError) else value
            raise RecipientsError(
                f"{where}cell {_column_letters(index)}{number} holds {shown!r} but its column "
                "has no header",
                path=path,
                line=number,
            )
    if not any(_filled(value) for value in values[:width]):
        return None
    record: dict[str, Any] = {}
    broken: list[tuple[str, int, _CellError]] = []
    for index, key in enumerate(keys):
        if not key:
            continue
        value = values[index] if index < len(values) else None
        if value is None:
            value = ""
        elif isinstance(value, str):
            value = text_cell(value)
        elif isinstance(value, _CellError):
            broken.append((key, index, value))
            continue
        set_dotted(record, key, value)
    if broken:
        # "#N/A" or "#DIV/0!" in a letter would be worse than no letter.
        key, index, error = broken[0]
        raise RecipientsError(
            f"{where}cell {_column_letters(index)}{number} holds the spreadsheet error "
            f"{error.code}",
            path=path,
            line=number,
            record=record_id(record, path, number, ordinal),
            field=key,
        )
    return record
