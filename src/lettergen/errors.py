"""The one exception hierarchy of lettergen.

Every error names where the user has to look: ``path:line: record 'id': field 'x': message``.
The command line prints ``str(error)`` and exits with ``error.exit_code``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# Where a run's warnings go: a function that takes one message (the CLI prints it on stderr).
Warn = Callable[[str], None]


def ignore_warning(message: str) -> None:
    """Drop a warning (the default when the caller does not listen)."""


def location(path: Path | None, line: int | None) -> str:
    """``path:line`` (or ``path``, when the line is unknown) of a place in a file, or ``""``.

    Errors and proofreading findings point at places the same way.
    """
    if path is None:
        return ""
    return f"{path}:{line}" if line else str(path)


class LettergenError(Exception):
    """Base class of every error lettergen reports to its user."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
        missing_field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        # The field a template used that the record or profile lacks, when that is the error:
        # the checks count these by field instead of reporting each letter.
        self.missing_field = missing_field
        self.path = Path(path) if path is not None else None
        self.line = line
        self.record = record
        self.field = field

    @property
    def location(self) -> str:
        """``path:line`` (or ``path``) of the place this error is about, or ``""``."""
        return location(self.path, self.line)

    def __str__(self) -> str:
        parts = []
        if self.location:
            parts.append(self.location)
        if self.record is not None:
            parts.append(f"record '{self.record}'")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)


class UsageError(LettergenError):
    """The command line or campaign file asks for something impossible."""

    exit_code = 2


class CampaignError(LettergenError):
    """``lettergen.yaml`` is unreadable or holds a wrong value."""


class RecipientsError(LettergenError):
    """A recipients file is unreadable or a record in it is wrong."""


class SenderError(LettergenError):
    """The signatory profile is unreadable or wrong."""


class TemplateError(LettergenError):
    """A template does not parse, or fails while rendering a letter."""


class OutputError(LettergenError):
    """Letters cannot be written where they were asked to go."""
