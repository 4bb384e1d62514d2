"""Output formats: each writer turns a rendered letter into the bytes of one file.

Writers know nothing of Jinja2 or records' files; they get a :class:`~lettergen.merge.Letter`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import UsageError

if TYPE_CHECKING:
    from ..merge import Letter

FORMATS = ("txt",)


class Writer(Protocol):
    """Turns letters into files of one format."""

    format: str
    suffix: str

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the whole file for ``letter``."""
        ...


def make_writers(formats: Sequence[str], *, letterhead: Path | None = None) -> list[Writer]:
    """Return one writer per requested format, in order, without duplicates."""
    writers: list[Writer] = []
    for fmt in dict.fromkeys(f.lower() for f in formats):
        if fmt == "txt":
            from .text import TextWriter

            writers.append(TextWriter())
        else:
            raise UsageError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    return writers
