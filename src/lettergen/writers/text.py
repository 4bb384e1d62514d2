"""Plain-text letters, UTF-8, one newline at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter


class TextWriter(Writer):
    """Writes a letter's text as UTF-8."""

    format = "txt"
    suffix = ".txt"

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the letter's text encoded as UTF-8."""
        return letter.text.encode("utf-8")
