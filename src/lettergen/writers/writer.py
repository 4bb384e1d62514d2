"""What every writer does: turn one rendered letter into the bytes of one file of its format."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter


class Writer(ABC):
    """Turns letters into files of one format: every method a run calls on a writer."""

    format: str
    suffix: str

    @abstractmethod
    def to_bytes(self, letter: Letter) -> bytes:
        """Return the whole file for ``letter``."""

    def check(self, letter: Letter) -> None:  # noqa: B027 - most formats take any letter
        """Raise a LettergenError if ``letter`` cannot be written in this format (in the
        first pass, before anything is written); by default every letter can."""

    def build(self, letter: Letter) -> bytes:
        """Check ``letter`` (as :meth:`check`) and return its file, in one go."""
        self.check(letter)
        return self.to_bytes(letter)
