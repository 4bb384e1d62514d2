"""Word letters on the letterhead of their language: ``letterhead-NAME.fr.docx`` beside
``letterhead-NAME.docx`` is the letterhead of the letters whose locale is French.

The letterhead's language variants are named as the templates' are (``appeal.fr.txt.j2``
beside ``appeal.txt.j2``): a campaign has one naming rule for every file that comes in languages,
and a template's front matter keeps naming one letterhead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.confine import confined
from lettergen.errors import TemplateError
from lettergen.templating.forms import given_locale
from lettergen.templating.variants import find_variants
from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter


def letterhead_variants(letterhead: Path) -> dict[str, Path]:
    """Return the language variants of ``letterhead`` beside it, by tag (``fr``, ``fr-be``);
    each must lead inside the letterhead's folder."""
    found = find_variants(letterhead)
    for path in found.values():
        confined(
            path.name, [letterhead.parent], key="letterhead", named_in=path, error=TemplateError
        )
    return found


class ByLanguage(Writer):
    """Writes each letter with the writer of its locale's letterhead (``fr-BE``, then ``fr``),
    else with the default writer."""

    def __init__(self, default: Writer, by_tag: dict[str, Writer]) -> None:
        self.default = default
        self.by_tag = by_tag
        self.format = default.format
        self.suffix = default.suffix

    def writer_for(self, letter: Letter) -> Writer:
        """Return the writer of ``letter``'s language."""
        tag = (given_locale(letter.context) or "").replace("_", "-").lower()
        return self.by_tag.get(tag) or self.by_tag.get(tag.split("-")[0]) or self.default

    def check(self, letter: Letter) -> None:
        self.writer_for(letter).check(letter)

    def to_bytes(self, letter: Letter) -> bytes:
        return self.writer_for(letter).to_bytes(letter)

    def build(self, letter: Letter) -> bytes:
        return self.writer_for(letter).build(letter)


def by_language(default: Writer, letterhead: Path | None, make: Callable[[Path], Writer]) -> Writer:
    """Return ``default``, or, when ``letterhead`` has language variants, a writer that takes
    each letter's from them (``make`` makes the writer of one letterhead)."""
    if letterhead is None:
        return default
    variants = letterhead_variants(letterhead)
    if not variants:
        return default
    return ByLanguage(default, {tag: make(path) for tag, path in variants.items()})
