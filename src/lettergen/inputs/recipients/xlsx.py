"""Excel workbooks (``.xlsx``) as recipient lists: one sheet, a header row, one record per row.

Rows stream from the zip: expat parses the sheet's XML as it is read and each row is dropped
once it has become a record, and a large shared-string table (Excel keeps every distinct text
of a workbook there) waits in a temporary file rather than in memory (openpyxl's read-only mode
keeps that whole table in memory). Dates and number formats are read with openpyxl's own rules,
so cells mean what they mean there.

Record lines are the sheet's row numbers, the numbers Excel shows, so a message sends the user
to the right row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from lettergen.errors import RecipientsError
from lettergen.inputs.recipients.columns import table_keys
from lettergen.inputs.recipients.record import Warn, record_id, set_dotted, text_cell
from lettergen.inputs.recipients.workbook import (
    DATE,
    MAX_COLUMNS,
    TOO_LONG,
    SharedStrings,
    TextCollector,
    Workbook,
    open_zip,
    unescape,
)

_CELL_REF = re.compile(r"\A\$?([A-Za-z]{1,3})\$?\d*\Z")


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
    :class:`~lettergen.inputs.recipients.record.CellText` (which a loop takes line by
    line), empty cells as ``""``. A cell holding an error (``#N/A``) is an error naming its
    row and cell.
    """
    with open_zip(path) as archive:
        book = Workbook(archive, path)
        part, title, several = book.sheet(sheet)
        # A sheet is named in messages only when there is a choice of sheets.
        where = f"sheet '{title}': " if several else ""
        with book.shared_strings() as strings:
            rows = _rows(book, part, strings, title)
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


def _rows(
    book: Workbook, part: str, strings: SharedStrings, title: str
) -> Iterator[tuple[int, list[Any]]]:
    """Yield ``(row number, cell values by column)`` for each row of a sheet, as it is read."""
    handler = _SheetHandler(book, strings, title)
    for _ in book.parse(part, handler):
        yield from handler.ready
        handler.ready.clear()


class _SheetHandler(TextCollector):
    """Turns a sheet's ``<row>`` and ``<c>`` elements into lists of cell values."""

    def __init__(self, book: Workbook, strings: SharedStrings, title: str) -> None:
        super().__init__(book)
        self.book = book
        self.strings = strings
        self.title = title
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
            self.begin()
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
                if column >= MAX_COLUMNS:
                    raise self._cell_error(
                        f"lies past column XFD, the last of {MAX_COLUMNS:,} Excel has; "
                        "keep recipients' fields within the first columns"
                    )
                values = self.values
                if column >= len(values):
                    values.extend([None] * (column + 1 - len(values)))
                values[column] = value
            self.column += 1
        elif name == self.value_tag:
            self.collecting = None
        elif name == self.row_tag:
            # A row without a value is empty and skipped: a million of them cost only parsing.
            if self.values:
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
                count = len(self.strings)
                held = f"0 to {count - 1}" if count else "none"
                raise self._cell_error(
                    f"names shared string {text}, which does not exist (the workbook's shared "
                    f"strings are {held}); the file is damaged or was not written by Excel: "
                    "open it in Excel and save it again"
                ) from None
        if kind == "str":
            return self.checked(unescape(text))
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

    def _cell_error(self, message: str) -> RecipientsError:
        """Return an error about the current cell naming its sheet, row and column."""
        column = _column_letters(self.column)
        return RecipientsError(
            f"sheet '{self.title}', row {self.number}, column {column}: cell "
            f"{column}{self.number} {message}",
            path=self.book.path,
            line=self.number,
        )

    def too_long(self) -> RecipientsError:
        return self._cell_error(TOO_LONG)

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
        if fmt == DATE:
            return self._date(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(fmt, int) and isinstance(value, int) and value >= 0:
            return str(value).zfill(fmt)
        return value

    def _date(self, value: float) -> Any:
        # openpyxl loads only when a workbook is read: `lettergen --help` stays fast
        # (tests/test_lazy_imports.py).
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


def _column_index(letters: str, book: Workbook) -> int:
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
