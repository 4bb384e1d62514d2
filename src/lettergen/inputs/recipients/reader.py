"""Recipient lists: YAML, JSON, CSV and XLSX files read into records that remember where they stand.

This module knows nothing of templates; it turns files into :class:`Record` objects, one at a
time, so that a list of 100,000 officials never has to sit in memory at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from lettergen.errors import RecipientsError
from lettergen.hashset import HashSet
from lettergen.inputs.textfiles import node_line, read_bytes
from lettergen.naming import slugify

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


class CellText(str):
    """The text of a CSV or spreadsheet cell, which a template can also loop over line by line.

    It prints as the cell reads (line breaks kept) and compares equal to that text, but it
    iterates over its non-blank lines, not its characters: ``{% for line in recipient.address %}``,
    ``| first`` and ``| join(", ")`` work alike for a cell (with or without line breaks) and for
    a YAML list of lines, so one template serves both kinds of recipient list.
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[str]:
        return (line for line in self.splitlines() if line.strip())


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
        rows: Iterator[tuple[int, Any]] = _yaml_rows(path, encoding)
    elif suffix == ".json":
        rows = _json_rows(path, encoding)
    elif suffix in (".csv", ".tsv", ".txt"):
        rows = _csv_rows(path, encoding, warn, mapping, columns)
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
            _rename_keys(data, mapping, path, line)
        yield Record(id=record_id(data, path, line, number), fields=data, path=path, line=line)


def record_id(data: dict[str, Any], path: Path, line: int, number: int) -> str:
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


def _rename_keys(data: dict[str, Any], mapping: Mapping[str, str], path: Path, line: int) -> None:
    """Apply the field mapping to the top-level keys of a YAML or JSON record."""
    for source, target in mapping.items():
        if source not in data or source == target:
            continue
        if target in data:
            raise RecipientsError(
                f"field mapping '{source}' -> '{target}': the record has both fields",
                path=path,
                line=line,
            )
        set_dotted(data, target, data.pop(source))


# -- Tables (CSV and spreadsheets) -----------------------------------------------------------


def _normalised(header: str) -> str:
    """Return a header as the field mapping matches it: case and spacing ignored."""
    return " ".join(header.split()).casefold()


def table_keys(
    header: Sequence[Any],
    path: Path,
    line: int,
    field_map: Mapping[str, str],
    warn: Warn,
    where: str = "",
) -> list[str]:
    """Return the field name of each column of a table's header row ("" skips a column).

    Header cells are trimmed (with a warning), renamed by ``field_map`` (matched exactly, else
    ignoring case and spacing), and checked: two columns may not fill the same field, nor may
    ``address`` and ``address.city`` both be columns. ``where`` is added to messages (a sheet).
    A mapped header that the table lacks gives a warning naming the file.
    """
    cells = ["" if cell is None else str(cell) for cell in header]
    keys: list[str] = []
    for number, cell in enumerate(cells, start=1):
        key = cell.strip()
        if key != cell:
            warn(
                f"{path}:{line}: warning: {where}header cell {number} {cell!r} has stray "
                f"spaces; read as {key!r}"
            )
        if key and key in keys:
            raise RecipientsError(
                f"{where}column '{key}' appears twice in the header", path=path, line=line
            )
        keys.append(key)
    if field_map:
        keys = _map_columns(keys, path, line, field_map, warn, where)
    _check_fields(keys, path, line, where)
    return keys


def _map_columns(
    keys: list[str],
    path: Path,
    line: int,
    field_map: Mapping[str, str],
    warn: Warn,
    where: str,
) -> list[str]:
    """Rename the columns named in ``field_map`` to their fields."""
    exact = {key: i for i, key in enumerate(keys) if key}
    loose: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key:
            loose.setdefault(_normalised(key), i)
    mapped = list(keys)
    for source, target in field_map.items():
        index = exact.get(source.strip())
        if index is None:
            index = loose.get(_normalised(source))
        if index is None:
            # A file that already has the field needs no mapping: nothing to warn about.
            if target not in exact:
                columns = ", ".join(repr(key) for key in keys if key)
                warn(
                    f"{path}:{line}: warning: {where}field mapping '{source}' -> '{target}': "
                    f"no column '{source}' in the header (columns: {columns})"
                )
            continue
        mapped[index] = target
    return mapped


def _check_fields(keys: list[str], path: Path, line: int, where: str) -> None:
    """Raise if two columns fill one field (after mapping), or a field and its parent."""
    seen: dict[str, int] = {}
    for number, key in enumerate(keys, start=1):
        if not key:
            continue
        if key in seen:
            raise RecipientsError(
                f"{where}columns {seen[key]} and {number} both give the field '{key}' "
                "(check the field mapping)",
                path=path,
                line=line,
            )
        if "." in key and any(not part for part in key.split(".")):
            raise RecipientsError(
                f"{where}column {number}: '{key}' is not a field name (an empty part between dots)",
                path=path,
                line=line,
            )
        seen[key] = number
    for key in seen:
        parts = key.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent in seen:
                raise RecipientsError(
                    f"{where}column '{key}' would go inside the field '{parent}', which is "
                    "also a column",
                    path=path,
                    line=line,
                )


def _loose(name: str) -> str:
    """Return a name with case, spaces and punctuation gone: "Post code" -> "postcode"."""
    return "".join(char for char in name.casefold() if char.isalnum())


def mapping_hint(field: str, fields: Mapping[str, Any]) -> str:
    """Return a hint for a missing ``recipient.`` field that a column of another name holds.

    A template asking for ``recipient.first_name`` of a spreadsheet with a "First Name" column
    gets ``"; the record has 'First Name': map it with --map 'First Name=first_name' ..."``.
    """
    target = field.removeprefix("recipient.")
    wanted = {_loose(target), _loose(target.rsplit(".", 1)[-1])}
    for key in fields:
        if isinstance(key, str) and key != target and _loose(key) in wanted:
            return (
                f"; the record has '{key}': map it with --map '{key}={target}' "
                "(or 'fields:' in lettergen.yaml)"
            )
    return ""


def text_cell(cell: str) -> CellText:
    """Return the text of a cell as a field value, with ``\\n`` for every line break."""
    if "\r" in cell:
        # A line break inside a quoted cell keeps Excel's \r\n; letters use \n.
        cell = cell.replace("\r\n", "\n").replace("\r", "\n")
    return CellText(cell)


def set_dotted(record: dict[str, Any], key: str, value: Any) -> None:
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


# -- YAML ------------------------------------------------------------------------------------


@contextmanager
def _text_stream(
    path: Path, encoding: str | None, newline: str | None = None
) -> Iterator[io.TextIOWrapper]:
    """Open ``path`` as text in ``encoding``, or in the encoding its byte order mark names."""
    try:
        handle = path.open("rb")
    except OSError:
        read_bytes(path, RecipientsError)  # raises the right message
        raise
    with handle:
        codec = encoding or _bom_codec(handle)
        try:
            stream = io.TextIOWrapper(handle, encoding=codec, newline=newline)
        except LookupError:
            raise RecipientsError(f"unknown encoding '{encoding}'", path=path) from None
        yield stream


def _yaml_rows(path: Path, encoding: str | None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for each record of a YAML list (or ``recipients:`` list).

    The file is parsed as it is read (by libyaml when PyYAML has it) and each record is built
    and handed on before the next is parsed, so a long list never sits in memory at once.
    """
    with _text_stream(path, encoding) as stream:
        loader = _StreamLoader(stream)
        try:
            yield from _yaml_records(loader, path)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            problem = exc.problem or "invalid YAML"
            raise RecipientsError(f"invalid YAML: {problem}", path=path, line=line) from None
        except yaml.YAMLError as exc:
            raise RecipientsError(f"invalid YAML: {exc}", path=path) from None
        except UnicodeDecodeError:
            raise _decode_error(path, stream.encoding, encoding) from None
        finally:
            loader.dispose()


def _yaml_records(loader: Any, path: Path) -> Iterator[tuple[int, Any]]:
    """Walk the events of a document; compose and construct one record at a time."""
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return
    loader.get_event()  # document start
    if loader.check_event(yaml.SequenceStartEvent):
        yield from _yaml_items(loader, path)
    elif loader.check_event(yaml.MappingStartEvent):
        start = loader.get_event()
        found = False
        while not loader.check_event(yaml.MappingEndEvent):
            key = loader.compose_node(None, None)
            if not found and isinstance(key, yaml.ScalarNode) and key.value == "recipients":
                if not loader.check_event(yaml.SequenceStartEvent):
                    line = loader.peek_event().start_mark.line + 1
                    raise RecipientsError("expected a list of recipients", path=path, line=line)
                found = True
                yield from _yaml_items(loader, path)
            else:
                loader.compose_node(None, None)  # another key of the file: not a record
        loader.get_event()
        if not found:
            raise RecipientsError(
                "expected a list of recipients, or a mapping with a 'recipients:' list",
                path=path,
                line=start.start_mark.line + 1,
            )
    else:
        line = loader.peek_event().start_mark.line + 1
        raise RecipientsError("expected a list of recipients", path=path, line=line)
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        line = loader.peek_event().start_mark.line + 1
        raise RecipientsError(
            "expected one YAML document, but found another ('---')", path=path, line=line
        )


def _yaml_items(loader: Any, path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for the items of the sequence whose start event is next."""
    loader.get_event()
    while not loader.check_event(yaml.SequenceEndEvent):
        node = loader.compose_node(None, None)
        yield node_line(node), loader.construct_document(node)
    loader.get_event()


def _stream_loader() -> Any:
    """Return a safe YAML loader that can compose one node at a time (libyaml's if present)."""
    if not getattr(yaml, "__with_libyaml__", False):
        return yaml.SafeLoader  # pure Python: its Composer is already part of it
    from yaml import cyaml

    parser: Any = cyaml.CParser  # type: ignore[attr-defined]

    class CStreamLoader(parser, Composer, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml's parser with PyYAML's composer, which builds one node per call."""

        def __init__(self, stream: Any) -> None:
            parser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return CStreamLoader


_StreamLoader: Any = _stream_loader()


# -- JSON ------------------------------------------------------------------------------------

_JSON_CHUNK = 1 << 16
_JSON_SPACE = " \t\r\n"


class _JsonStream:
    """JSON text read in chunks: values are decoded one at a time from a sliding buffer."""

    def __init__(self, stream: IO[str], path: Path) -> None:
        self.stream = stream
        self.path = path
        self.text = ""
        self.pos = 0
        # Lines are counted as the reading moves on: text[counted] is on line ``line``.
        self.line = 1
        self.counted = 0
        self.done = False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        """Read another chunk, dropping what was consumed; return False at the end."""
        if self.done:
            return False
        chunk = self.stream.read(_JSON_CHUNK)
        if not chunk:
            self.done = True
            return False
        self.line_at(self.pos)
        self.text = self.text[self.pos :] + chunk
        self.pos = self.counted = 0
        return True

    def line_at(self, pos: int) -> int:
        """Return the file line of ``text[pos]`` (``pos`` never behind an earlier call's)."""
        self.line += self.text.count("\n", self.counted, pos)
        self.counted = pos
        return self.line

    def peek(self) -> str:
        """Skip white space; return the next character ("" at the end)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _JSON_SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        """Consume the next character, which must be one of ``chars``."""
        char = self.peek()
        if not char or char not in chars:
            raise self.error(f"Expecting {what}")
        self.pos += 1
        return char

    def value(self) -> tuple[int, Any]:
        """Decode the next value; return its line and the value."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                # The value may only be cut off by the end of the buffer: read on and retry.
                if self._more():
                    continue
                raise RecipientsError(
                    f"invalid JSON: {exc.msg}", path=self.path, line=self.line_at(exc.pos)
                ) from None
            # A number at the buffer's end may go on in the next chunk ("12" then "34").
            if end == len(self.text) and not self.done and self._more():
                continue
            line = self.line_at(self.pos)
            self.pos = end
            return line, value

    def error(self, message: str) -> RecipientsError:
        """Return an "invalid JSON" error at the current position."""
        return RecipientsError(
            f"invalid JSON: {message}", path=self.path, line=self.line_at(self.pos)
        )


def _json_rows(path: Path, encoding: str | None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for each record of a JSON array (or ``{"recipients": [...]}``).

    The file is read in chunks and each record decoded on its own, so a long list never sits
    in memory at once.
    """
    with _text_stream(path, encoding) as stream:
        try:
            yield from _json_records(_JsonStream(stream, path))
        except UnicodeDecodeError:
            raise _decode_error(path, stream.encoding, encoding) from None


def _json_records(json_text: _JsonStream) -> Iterator[tuple[int, Any]]:
    first = json_text.peek()
    if first == "[":
        yield from _json_items(json_text)
    elif first == "{":
        found = False
        json_text.pos += 1
        if json_text.peek() == "}":
            json_text.pos += 1
        else:
            while True:
                _, key = json_text.value()
                if not isinstance(key, str):
                    raise json_text.error("Expecting property name enclosed in double quotes")
                json_text.expect(":", "':' delimiter")
                if key == "recipients" and json_text.peek() == "[":
                    found = True
                    yield from _json_items(json_text)
                else:
                    json_text.value()  # another key of the file: not a record
                if json_text.expect(",}", "',' delimiter") == "}":
                    break
        if not found:
            raise RecipientsError(
                'expected a list of recipients, or an object with a "recipients" list',
                path=json_text.path,
            )
    elif first == "":
        raise json_text.error("Expecting value")
    else:
        json_text.value()  # a syntax error is reported as such
        raise RecipientsError(
            'expected a list of recipients, or an object with a "recipients" list',
            path=json_text.path,
        )
    if json_text.peek():
        raise json_text.error("Extra data")


def _json_items(json_text: _JsonStream) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for the items of the array that opens at the next character."""
    json_text.pos += 1
    if json_text.peek() == "]":
        json_text.pos += 1
        return
    while True:
        yield json_text.value()
        if json_text.expect(",]", "',' delimiter") == "]":
            return


def _decode_error(path: Path, codec: str, encoding: str | None) -> RecipientsError:
    """Return the error for a YAML or JSON file with a byte ``codec`` cannot decode."""
    bad = find_bad_byte(path, codec)
    line, byte = bad if bad is not None else (None, "??")
    if encoding:
        name, hint = encoding, "check the file's encoding (--encoding)"
    elif codec == "utf-8-sig":
        name, hint = "UTF-8", "if it was saved by Excel, try --encoding cp1252"
    else:
        name = f"{_ENCODING_NAMES.get(codec, codec)} (from its byte order mark)"
        hint = "name the file's encoding with --encoding"
    return RecipientsError(f"cannot decode byte 0x{byte} as {name}; {hint}", path=path, line=line)


# -- Encodings -------------------------------------------------------------------------------

# What a message calls an encoding the user did not name.
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
}
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a text file is decoded, and why (for messages)."""

    codec: str
    given: bool = False
    reason: str = ""

    def describe(self) -> str:
        """Name the encoding as a message shows it."""
        if self.given:
            return self.codec
        name = _ENCODING_NAMES.get(self.codec, self.codec)
        return f"{name} ({self.reason})" if self.reason else name


def _bom_codec(handle: io.BufferedReader) -> str:
    """Return the Unicode codec a file's byte order mark names (UTF-8 when it has none)."""
    head = handle.peek(4)[:4]
    # UTF-32's little-endian BOM starts with UTF-16's, so it is tried first.
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def detect_encoding(path: Path, encoding: str | None, warn: Warn) -> Encoding:
    """Return the encoding of a text table: the one given, else from its BOM, else guessed.

    Without a byte order mark, a file that decodes as UTF-8 is UTF-8 (text in any other common
    encoding almost never does); one that does not is taken for Windows-1252, which Excel uses
    for "CSV" in Western Europe, with a warning naming the first non-UTF-8 byte. The UTF-8
    trial streams through the file, so it costs time, never memory.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise RecipientsError(f"unknown encoding '{encoding}'", path=path) from None
        return Encoding(encoding, given=True)
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        read_bytes(path, RecipientsError)  # raises the right message
        raise
    # UTF-32's little-endian BOM starts with UTF-16's, so it is tried first.
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Encoding("utf-32", reason="from its byte order mark")
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", reason="from its byte order mark")
    if head.count(0) * 4 >= len(head) > 0:
        # Text tables never hold NUL characters; many NUL bytes are UTF-16 without a BOM.
        odd = head[1::2].count(0)
        codec = "utf-16-le" if odd >= head[0::2].count(0) else "utf-16-be"
        return Encoding(codec, reason="guessed from its NUL bytes")
    bad = find_bad_byte(path, "utf-8")
    if bad is None:
        return Encoding("utf-8")
    line, byte = bad
    warn(
        f"{path}:{line}: warning: not UTF-8 (byte 0x{byte}); read as Windows-1252; "
        "if letters show wrong accents, name the encoding with --encoding"
    )
    return Encoding("cp1252", reason="guessed, as the file is not UTF-8")


def find_bad_byte(path: Path, codec: str) -> tuple[int, str] | None:
    """Return the line and hex value of the first byte ``codec`` cannot decode, or None.

    Reads the file in chunks, so a file of any size takes little memory.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    lines = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object holds the bytes being decoded, including any held over.
                good = exc.object[: exc.start]
                lines += _newlines(good, exc.encoding)
                return lines + 1, exc.object[exc.start : exc.start + 1].hex()
            lines += text.count("\n")
            if not chunk:
                return None


def _newlines(data: bytes, codec: str) -> int:
    """Count the line feeds in ``data``, bytes that decode without error in ``codec``."""
    if codec.replace("_", "-").lower().startswith(("utf-16", "utf-32")):
        return codecs.decode(data, codec, "replace").count("\n")
    return data.count(b"\n")


# -- CSV -------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t")
_SEP_LINE = re.compile(r"\A\ufeff?sep=([,;\t|])\r?\n?\Z")


def _csv_rows(
    path: Path,
    encoding: str | None,
    warn: Warn,
    field_map: Mapping[str, str],
    columns: frozenset[str] | None = None,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, fields)`` for each data row of a CSV file with a header row.

    The encoding is detected (see :func:`detect_encoding`) unless given. Comma, semicolon (Excel
    in European locales) and tab (Excel's "Unicode text") delimiters are recognised from the
    header. Dotted headers (``address.city``) give nested fields.
    """
    chosen = detect_encoding(path, encoding, warn)
    with _text_stream(path, chosen.codec, newline="") as stream:
        try:
            yield from _csv_records(stream, path, warn, field_map, columns)
        except UnicodeDecodeError:
            # Decoding is streamed; on failure, scan the file again to name the line.
            bad = find_bad_byte(path, chosen.codec)
            line, byte = bad if bad is not None else (None, "??")
            hint = (
                "check the file's encoding (--encoding)"
                if chosen.given
                else "name the file's encoding with --encoding"
            )
            raise RecipientsError(
                f"cannot decode byte 0x{byte} as {chosen.describe()}; {hint}",
                path=path,
                line=line,
            ) from None


def sniff_delimiter(line: str) -> str:
    """Return the delimiter (comma, semicolon or tab) used most, outside quotes, in ``line``."""
    outside = "".join(line.split('"')[::2])
    return max(_DELIMITERS, key=outside.count)


def _csv_records(
    stream: io.TextIOWrapper,
    path: Path,
    warn: Warn,
    field_map: Mapping[str, str],
    columns: frozenset[str] | None = None,
) -> Iterator[tuple[int, Any]]:
    first = stream.readline()
    skipped = 0
    hint = _SEP_LINE.match(first)
    if hint:
        # Excel's "sep=;" first line names the delimiter; the header follows it.
        delimiter = hint.group(1)
        first = stream.readline()
        skipped = 1
    if not first.strip():
        return
    if not hint:
        delimiter = sniff_delimiter(first)
    reader = csv.reader(itertools.chain([first], stream), delimiter=delimiter, strict=True)
    rows = _rows_or_error(reader, path, skipped)
    header = next(rows, None)
    if header is None:
        return
    keys = table_keys(header, path, 1 + skipped, field_map, warn)
    width = len(keys)
    flat = not any("." in key for key in keys if key)
    # Cells as plain text, of the wanted columns only (see read_file).
    plain = False
    if flat and columns is not None:
        plain = True
        keys = [key if key in columns else "" for key in keys]
    end_line = reader.line_num + skipped
    for row in rows:
        start_line = end_line + 1
        end_line = reader.line_num + skipped
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                raise RecipientsError(
                    f"row has {len(row)} cells but the header has {width}",
                    path=path,
                    line=start_line,
                )
            # Excel writes empty cells up to the widest row: ";;" after the data is harmless.
            row = row[:width]
        if not "".join(row).strip():
            continue
        record: dict[str, Any] = {}
        if flat:
            # Plain headers (the usual case): no dotted keys to nest.
            for key, cell in zip(keys, row, strict=False):
                if key:
                    if "\r" in cell:
                        record[key] = text_cell(cell)
                    else:
                        record[key] = cell if plain else CellText(cell)
        else:
            for key, cell in zip(keys, row, strict=False):
                if key:
                    set_dotted(record, key, text_cell(cell))
        # A short row leaves its last fields empty, as a spreadsheet shows them.
        for key in keys[len(row) :]:
            if key:
                set_dotted(record, key, "")
        yield start_line, record


def _rows_or_error(reader: Any, path: Path, skipped: int = 0) -> Iterator[list[str]]:
    """Yield a csv reader's rows; a malformed row is an error naming its line.

    ``skipped`` lines were read before the reader started counting.
    """
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RecipientsError(
                f"invalid CSV: {exc}", path=path, line=reader.line_num + skipped
            ) from None
        yield row
