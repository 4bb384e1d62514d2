"""Excel workbooks (``.xlsx``) as recipient lists: one sheet, a header row, one record per row.

openpyxl reads the workbook in read-only mode, which streams the sheet's rows from the zip
instead of building the whole sheet in memory. Record lines are the sheet's row numbers, the
numbers Excel shows, so a message sends the user to the right row.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import RecipientsError
from .recipients import Warn, record_id, set_dotted, table_keys, text_cell
from .textfiles import read_bytes

# Number formats that pad with zeros, like Excel's "Zip Code" (00000): 1000 shows as 01000.
_ZERO_PADDED = re.compile(r"\A0+\Z")


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
    :class:`datetime.date`, whole numbers as ``int`` (as text, zero-padded, when the cell's
    format pads with zeros), text as :class:`~lettergen.recipients.CellText` (which a loop
    takes line by line), empty cells as ``""``.
    """
    workbook = _open(path)
    try:
        worksheet = _choose(workbook, path, sheet)
        # Some programs write wrong sheet dimensions; ignoring them reads every row there is.
        worksheet.reset_dimensions()
        # A sheet is named in messages only when there is a choice of sheets.
        where = f"sheet '{worksheet.title}': " if len(workbook.worksheets) > 1 else ""
        rows = enumerate(worksheet.iter_rows(), start=1)
        keys: list[str] | None = None
        count = 0
        for number, row in rows:
            if keys is None:
                if any(_filled(cell.value) for cell in row):
                    keys = table_keys(
                        [cell.value for cell in row], path, number, field_map, warn, where
                    )
                continue
            record = _record(row, keys, path, number, where, count + 1)
            if record is not None:
                count += 1
                yield number, record
    finally:
        workbook.close()


def _open(path: Path) -> Any:
    """Open ``path`` as a read-only workbook, or raise a RecipientsError saying why not."""
    from openpyxl import load_workbook  # slow to import: only runs that read .xlsx pay

    if not path.is_file():
        read_bytes(path, RecipientsError)  # raises "file not found" or "is a folder"
    try:
        # data_only: a formula cell gives the value Excel last calculated, not "=A2&B2".
        return load_workbook(path, read_only=True, data_only=True)
    except zipfile.BadZipFile:
        raise RecipientsError(
            "not an Excel workbook (.xlsx is a zip file; this one is not)", path=path
        ) from None
    except OSError as exc:
        raise RecipientsError(f"cannot read: {exc.strerror or exc}", path=path) from None
    except Exception as exc:
        # openpyxl raises many kinds of error for a damaged workbook; each is the file's fault.
        raise RecipientsError(f"cannot read this workbook: {exc}", path=path) from None


def _choose(workbook: Any, path: Path, sheet: str | None) -> Any:
    """Return the sheet named ``sheet`` (exactly, else ignoring case), or the first sheet."""
    sheets = list(workbook.worksheets)
    if not sheets:
        raise RecipientsError("the workbook has no worksheet", path=path)
    if sheet is None:
        return sheets[0]
    for candidate in sheets:
        if candidate.title == sheet:
            return candidate
    for candidate in sheets:
        if candidate.title.casefold() == sheet.casefold():
            return candidate
    names = ", ".join(repr(s.title) for s in sheets)
    raise RecipientsError(f"no sheet named '{sheet}' (sheets: {names}); check --sheet", path=path)


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _record(
    row: tuple[Any, ...], keys: list[str], path: Path, number: int, where: str, ordinal: int
) -> dict[str, Any] | None:
    """Return the fields of one sheet row (the ``ordinal``-th record), or None if it is empty."""
    width = len(keys)
    for cell in row[width:]:
        if _filled(cell.value):
            raise RecipientsError(
                f"{where}cell {cell.coordinate} holds {cell.value!r} but its column has no header",
                path=path,
                line=number,
            )
    if not any(_filled(cell.value) for cell in row[:width]):
        return None
    record: dict[str, Any] = {}
    broken: list[tuple[str, Any]] = []
    for index, key in enumerate(keys):
        if not key:
            continue
        cell = row[index] if index < len(row) else None
        if cell is not None and cell.data_type == "e":
            broken.append((key, cell))
            continue
        set_dotted(record, key, "" if cell is None else _value(cell))
    if broken:
        # "#N/A" or "#DIV/0!" in a letter would be worse than no letter.
        key, cell = broken[0]
        raise RecipientsError(
            f"{where}cell {cell.coordinate} holds the spreadsheet error {cell.value}",
            path=path,
            line=number,
            record=record_id(record, path, number, ordinal),
            field=key,
        )
    return record


def _value(cell: Any) -> Any:
    """Return a cell's value as a field: see :func:`read_sheet`."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return text_cell(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        # Excel stores dates as date-times; a date typed in a cell has no time of day.
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number_format = cell.number_format
        if _ZERO_PADDED.match(number_format):
            return str(value).zfill(len(number_format))
    return value
