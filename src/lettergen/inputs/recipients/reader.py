"""Recipient lists: YAML, JSON, CSV and XLSX files read into records that remember where they stand.

This module knows nothing of templates; it turns files into :class:`Record` objects, one at a
time, so that a list of 100,000 officials never has to sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from lettergen.errors import RecipientsError
from lettergen.hashset import HashSet
from lettergen.inputs.recipients.columns import rename_keys
from lettergen.inputs.recipients.csv import csv_rows
from lettergen.inputs.recipients.json import json_rows
from lettergen.inputs.recipients.record import (
    Record,
    Warn,
    record_id,
)
from lettergen.inputs.recipients.yaml import yaml_rows

# What a recipients file is named, and what a template never is (``.txt`` may be either);
# with the spreadsheets lettergen cannot read, whose error says how to save them.
DATA_SUFFIXES = frozenset(
    {".yaml", ".yml", ".json", ".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".numbers"}
)


def is_data_file(path: Path) -> bool:
    """Return whether ``path`` is named as a recipients (data) file, never as a template."""
    return path.suffix.lower() in DATA_SUFFIXES


def _ignore(message: str) -> None:
    """Drop a warning (the default when the caller does not listen)."""


def read_recipients(
    paths: Iterable[Path],
    *,
    encoding: str | None = None,
    warn: Warn = _ignore,
    sheet: str | None = None,
    field_map: Mapping[str, str] | None = None,
) -> Iterator[Record]:
    """Yield the records of every file in ``paths``, in order, with unique ids.

    ``sheet`` names the worksheet of ``.xlsx`` files (default: the first); ``field_map`` renames
    columns (or top-level keys) to template fields, ``{"Post code": "postcode"}``.
    Raises :class:`RecipientsError` for an unreadable file, a record that is not a mapping,
    or an id given twice (naming both places).
    """
    paths = list(paths)
    if sheet is not None and not any(p.suffix.lower() in (".xlsx", ".xlsm") for p in paths):
        warn(f"warning: --sheet '{sheet}': no .xlsx recipients file to take it from; ignored")
    seen = HashSet()
    for path in paths:
        records = read_file(path, encoding=encoding, warn=warn, sheet=sheet, field_map=field_map)
        for record in records:
            if seen.add_key(record.id):
                # Only the id's hash was kept: read again to find (and confirm) the first use.
                first = _first_use(paths, record, encoding, sheet, field_map)
                if first is not None:
                    raise record.error(f"duplicate id; first used at {first}", field="id")
            yield record


def _first_use(
    paths: list[Path],
    duplicate: Record,
    encoding: str | None,
    sheet: str | None,
    field_map: Mapping[str, str] | None,
) -> str | None:
    """Return where ``duplicate.id`` was first used before ``duplicate``, or None."""
    for path in paths:
        for record in read_file(path, encoding=encoding, sheet=sheet, field_map=field_map):
            if record.path == duplicate.path and record.line == duplicate.line:
                return None
            if record.id == duplicate.id:
                return record.location
    return None


def read_file(
    path: Path,
    *,
    encoding: str | None = None,
    warn: Warn = _ignore,
    sheet: str | None = None,
    field_map: Mapping[str, str] | None = None,
    columns: frozenset[str] | None = None,
) -> Iterator[Record]:
    """Yield the records of one recipients file, chosen by its extension.

    With ``columns``, a CSV file of plain headers gives only those fields, as plain text
    (a lighter reading, for the checks' look at who the recipients are); other files give
    every field.
    """
    suffix = path.suffix.lower()
    mapping = dict(field_map or {})
    if suffix in (".yaml", ".yml"):
        rows: Iterator[tuple[int, Any]] = yaml_rows(path, encoding)
    elif suffix == ".json":
        rows = json_rows(path, encoding)
    elif suffix in (".csv", ".tsv", ".txt"):
        rows = csv_rows(path, encoding, warn, mapping, columns)
    elif suffix in (".xlsx", ".xlsm"):
        from lettergen.inputs.recipients.xlsx import (
            read_sheet,  # openpyxl loads only for spreadsheets
        )

        rows = read_sheet(path, sheet=sheet, warn=warn, field_map=mapping)
    elif suffix in (".xls", ".ods", ".numbers"):
        raise RecipientsError(
            f"cannot read '{suffix}' spreadsheets; save the list as .xlsx "
            "(Excel Workbook) or as CSV",
            path=path,
        )
    else:
        raise RecipientsError(
            f"unknown recipients format '{suffix or path.name}' "
            "(expected .yaml, .yml, .json, .csv or .xlsx)",
            path=path,
        )
    tabular = suffix not in (".yaml", ".yml", ".json")
    for number, (line, data) in enumerate(rows, start=1):
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else f"'{data}'"
            raise RecipientsError(
                f"record {number} is {kind}, not a mapping of fields", path=path, line=line
            )
        if mapping and not tabular:
            rename_keys(data, mapping, path, line)
        yield Record(id=record_id(data, path, line, number), fields=data, path=path, line=line)
