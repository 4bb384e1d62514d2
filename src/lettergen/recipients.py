"""Recipient lists: YAML, JSON and CSV files read into records that remember where they stand.

This module knows nothing of templates; it turns files into :class:`Record` objects, one at a
time, so that a list of 100,000 officials never has to sit in memory at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import RecipientsError
from .naming import slugify
from .textfiles import construct, decode, load_yaml, node_line, read_bytes, read_text

Warn = Callable[[str], None]


@dataclass(slots=True)
class Record:
    """One recipient: its fields, its id and the place in a file it comes from."""

    id: str
    fields: dict[str, Any]
    path: Path
    line: int

    @property
    def location(self) -> str:
        """``path:line`` of the record, for messages."""
        return f"{self.path}:{self.line}"

    def error(self, message: str, field: str | None = None) -> RecipientsError:
        """Return an error about this record (and one of its fields)."""
        return RecipientsError(message, path=self.path, line=self.line, record=self.id, field=field)


def _ignore(message: str) -> None:
    """Drop a warning (the default when the caller does not listen)."""


def read_recipients(
    paths: Iterable[Path],
    *,
    encoding: str | None = None,
    warn: Warn = _ignore,
) -> Iterator[Record]:
    """Yield the records of every file in ``paths``, in order, with unique ids.

    Raises :class:`RecipientsError` for an unreadable file, a record that is not a mapping,
    or an id given twice (naming both places).
    """
    seen: dict[str, str] = {}
    for path in paths:
        for record in read_file(path, encoding=encoding, warn=warn):
            first = seen.get(record.id)
            if first is not None:
                raise record.error(f"duplicate id; first used at {first}", field="id")
            seen[record.id] = record.location
            yield record


def read_file(path: Path, *, encoding: str | None = None, warn: Warn = _ignore) -> Iterator[Record]:
    """Yield the records of one recipients file, chosen by its extension."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        rows: Iterator[tuple[int, Any]] = _yaml_rows(path, encoding)
    elif suffix == ".json":
        rows = _json_rows(path, encoding)
    elif suffix in (".csv", ".tsv", ".txt"):
        rows = _csv_rows(path, encoding, warn)
    else:
        raise RecipientsError(
            f"unknown recipients format '{suffix or path.name}' "
            "(expected .yaml, .yml, .json or .csv)",
            path=path,
        )
    for number, (line, data) in enumerate(rows, start=1):
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else f"'{data}'"
            raise RecipientsError(
                f"record {number} is {kind}, not a mapping of fields", path=path, line=line
            )
        yield Record(id=_record_id(data, path, line, number), fields=data, path=path, line=line)


def _record_id(data: dict[str, Any], path: Path, line: int, number: int) -> str:
    """Return the record's own ``id``, or one derived from its name, or ``<file>-<n>``."""
    given = data.get("id")
    if given is not None and str(given).strip():
        return str(given).strip()
    for key in ("name", "full_name", "last_name", "organisation", "organization", "title"):
        value = data.get(key)
        if isinstance(value, str) and slugify(value):
            first = data.get("first_name")
            if key == "last_name" and isinstance(first, str):
                return slugify(f"{first} {value}")
            return slugify(value)
    return f"{slugify(path.stem) or 'record'}-{number}"


# -- YAML ------------------------------------------------------------------------------------


def _yaml_rows(path: Path, encoding: str | None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for each record of a YAML list (or ``recipients:`` list)."""
    text = read_text(path, RecipientsError, encoding)
    root = load_yaml(text, path, RecipientsError)
    if root is None:
        return
    items = _yaml_list(root, path)
    for item in items:
        yield node_line(item), construct(item, path, RecipientsError)


def _yaml_list(root: yaml.Node, path: Path) -> list[yaml.Node]:
    """Return the record nodes of a document: the list itself or its ``recipients:`` key."""
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "recipients":
                root = value
                break
        else:
            raise RecipientsError(
                "expected a list of recipients, or a mapping with a 'recipients:' list",
                path=path,
                line=node_line(root),
            )
    if not isinstance(root, yaml.SequenceNode):
        raise RecipientsError("expected a list of recipients", path=path, line=node_line(root))
    return list(root.value)


# -- JSON ------------------------------------------------------------------------------------

_RECIPIENTS_KEY = re.compile(r'\A\s*\{.*?"recipients"\s*:\s*(?=\[)', re.DOTALL)


def _json_rows(path: Path, encoding: str | None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for each record of a JSON array (or ``{"recipients": [...]}``)."""
    text = read_text(path, RecipientsError, encoding)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecipientsError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    if isinstance(value, dict) and isinstance(value.get("recipients"), list):
        value = value["recipients"]
        match = _RECIPIENTS_KEY.match(text)
        start = match.end() if match else None
    elif isinstance(value, list):
        start = text.index("[")
    else:
        raise RecipientsError(
            'expected a list of recipients, or an object with a "recipients" list', path=path
        )
    lines = _json_item_lines(text, start) if start is not None else []
    for i, item in enumerate(value):
        yield (lines[i] if i < len(lines) else 1), item


def _json_item_lines(text: str, start: int) -> list[int]:
    """Return the line of each element of the JSON array that opens at ``text[start]``."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    pos = start + 1
    line = text.count("\n", 0, pos) + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            if text[pos] == "\n":
                line += 1
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(line)
        _, end = decoder.raw_decode(text, pos)
        line += text.count("\n", pos, end)
        pos = end


# -- CSV -------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t")


def _csv_rows(path: Path, encoding: str | None, warn: Warn) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, fields)`` for each data row of a CSV file with a header row.

    Comma, semicolon (Excel in European locales) and tab delimiters are recognised from the
    header. Dotted headers (``address.city``) give nested fields.
    """
    try:
        handle = path.open("rb")
    except OSError:
        read_bytes(path, RecipientsError)  # raises the right message
        raise
    with handle:
        stream = io.TextIOWrapper(handle, encoding=encoding or "utf-8-sig", newline="")
        try:
            yield from _csv_records(stream, path, warn)
        except UnicodeDecodeError:
            # Decoding is streamed; on failure, decode the whole file once to name the line.
            decode(read_bytes(path, RecipientsError), path, encoding, RecipientsError)
            raise
        except LookupError:
            raise RecipientsError(f"unknown encoding '{encoding}'", path=path) from None
        except csv.Error as exc:
            raise RecipientsError(f"invalid CSV: {exc}", path=path) from None


def _csv_records(stream: io.TextIOWrapper, path: Path, warn: Warn) -> Iterator[tuple[int, Any]]:
    first = stream.readline()
    if not first.strip():
        return
    delimiter = max(_DELIMITERS, key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    keys = _csv_header(header, path, warn)
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    end_line = 1
    for row in _rows_or_error(reader, path):
        start_line = end_line + 1
        end_line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(keys):
            raise RecipientsError(
                f"row has {len(row)} cells but the header has {len(keys)}",
                path=path,
                line=start_line,
            )
        record: dict[str, Any] = {}
        for key, cell in zip(keys, row + [""] * (len(keys) - len(row)), strict=True):
            if key:
                if "\r" in cell:
                    # A line break inside a quoted cell keeps Excel's \r\n; letters use \n.
                    cell = cell.replace("\r\n", "\n").replace("\r", "\n")
                _set_dotted(record, key, cell)
        yield start_line, record


def _rows_or_error(reader: Any, path: Path) -> Iterator[list[str]]:
    """Yield a csv reader's rows; a malformed row is an error naming its line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # +1: the header line was read before the reader started counting.
            line = reader.line_num + 1
            raise RecipientsError(f"invalid CSV: {exc}", path=path, line=line) from None
        yield row


def _csv_header(header: list[str], path: Path, warn: Warn) -> list[str]:
    """Return the header's field names, trimmed (with a warning), checked for duplicates."""
    keys: list[str] = []
    for number, cell in enumerate(header, start=1):
        key = cell.strip()
        if key != cell:
            warn(
                f"{path}:1: warning: header cell {number} {cell!r} has stray spaces; "
                f"read as {key!r}"
            )
        if key and key in keys:
            raise RecipientsError(f"column '{key}' appears twice in the header", path=path, line=1)
        keys.append(key)
    return keys


def _set_dotted(record: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` under ``key``, where ``a.b`` makes ``record['a']['b']``."""
    if "." not in key:
        record[key] = value
        return
    *parents, last = key.split(".")
    target = record
    for part in parents:
        child = target.setdefault(part, {})
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[last] = value
