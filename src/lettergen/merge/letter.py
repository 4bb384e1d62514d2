"""A letter: the record it is for, its file stem, its text and what it was rendered from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.inputs.recipients import Record

if TYPE_CHECKING:
    from lettergen.merge.word import WordParts


@dataclass(slots=True)
class Letter:
    """One rendered letter: who it is for, its file stem and its text."""

    record: Record
    name: str
    text: str
    context: dict[str, Any] = field(repr=False, default_factory=dict)
    # The template (default or language variant) this letter was rendered from.
    template: Path | None = None
    # Its document, headers and footers, for a letter from a Word template.
    word: WordParts | None = field(repr=False, default=None)
