"""One recipient record: its fields, its id, where it stands; the text of a table cell."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lettergen.errors import RecipientsError
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
