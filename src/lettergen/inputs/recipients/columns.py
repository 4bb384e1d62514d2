"""Which field each column (or top-level key) fills: the header row, `fields:` and --map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lettergen.errors import RecipientsError
from lettergen.inputs.recipients.record import (
    Warn,
    set_dotted,
)


def rename_keys(data: dict[str, Any], mapping: Mapping[str, str], path: Path, line: int) -> None:
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
