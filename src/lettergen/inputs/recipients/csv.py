"""CSV (and tab-separated) recipient lists: a header row, one record per row."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from lettergen.errors import RecipientsError
from lettergen.inputs.recipients.columns import table_keys
from lettergen.inputs.recipients.encoding import (
    detect_encoding,
    find_bad_byte,
    text_stream,
)
from lettergen.inputs.recipients.record import (
    CellText,
    Warn,
    set_dotted,
    text_cell,
)

_DELIMITERS = (",", ";", "\t")
_SEP_LINE = re.compile(r"\A\ufeff?sep=([,;\t|])\r?\n?\Z")


def csv_rows(
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
    with text_stream(path, chosen.codec, newline="") as stream:
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
        if len(row) < width:
            # A shifted or truncated export: the cells left would land in the wrong fields.
            raise RecipientsError(
                f"row has {len(row)} cell(s) but the header has {width}: a truncated or "
                "shifted row? Give every column a cell, an empty one if need be (a comma each)",
                path=path,
                line=start_line,
            )
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
