"""A letter's text as blocks (paragraphs), and the template's rules for laying blocks out.

A block is a run of non-blank lines; blank lines separate blocks. In a Word document each block
is one paragraph and the lines inside it are line breaks. One blank line between two blocks is
the ordinary paragraph gap; every further blank line (the space left to sign after "Sincerely
yours,") becomes one empty paragraph. That is the whole correspondence between a text letter and
its DOCX, and :func:`text_of` undoes :func:`paragraphs`, so that::

    text_of(paragraphs(text)) == text   # up to blank lines holding only spaces, and \\r\\n

A template's front matter may give blocks a layout, which only the DOCX shows::

    blocks:
      - {at: 1, style: Date}                  # the first block takes the letterhead's style
      - {at: -1, align: right}                # the last block, right-aligned
      - {from: "Sincerely yours,", together: true, signature: true}

``at`` picks one block, ``from`` a block and every block after it, by number (1 is the first,
-1 the last) or by the words the block starts with. ``style`` names a paragraph style of the
letterhead, ``align`` is left, right, center or justify, ``together`` keeps the blocks on one
page, ``signature`` puts the signatory's signature image right after the block. ``place:
address`` puts the block in the address window the front matter's ``address_field`` declares,
``place: info`` in the information block beside it (see :mod:`lettergen.writers.frames`);
``signing: 25`` leaves that many mm to sign below the block (the empty paragraphs after it
take that space), where the signature image goes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lettergen.errors import TemplateError

ALIGNMENTS = {"left": "left", "right": "right", "center": "center", "centre": "center"}
ALIGNMENTS["justify"] = "both"
_LEADING = re.compile(r"(?:[ \t]*\n)*")
_GAPS = re.compile(r"\n((?:[ \t]*\n)+)")
_NEWLINES = re.compile(r"\r\n?")
_KEYS = {"at", "from", "style", "align", "together", "signature", "place", "signing"}
PLACES = ("address", "info")


Paragraph = list[str]
"""The lines of one paragraph; an empty list is an empty paragraph."""


def blocks(text: str) -> list[str]:
    """Split a letter's text into paragraphs, each as its lines joined by newlines.

    A block of lines is one paragraph; each blank line after the first between two blocks
    (and each before the first block) is one empty paragraph, ``""``.
    """
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    lead = _LEADING.match(text)
    assert lead is not None  # the pattern matches the empty string
    found = [""] * lead.group().count("\n")
    body = text[lead.end() :].rstrip()
    if not body:
        return found
    # Split on runs of blank lines, keeping each run: [block, run, block, run, block].
    pieces = _GAPS.split(body)
    found.append(pieces[0])
    for index in range(1, len(pieces), 2):
        # The first blank line of a run is the paragraph gap itself.
        found.extend([""] * (pieces[index].count("\n") - 1))
        found.append(pieces[index + 1])
    return found


def paragraphs(text: str) -> list[Paragraph]:
    """Split a letter's text into paragraphs, each a list of lines (see :func:`blocks`)."""
    return [block.split("\n") if block else [] for block in blocks(text)]


def text_of(found: Sequence[Sequence[str]]) -> str:
    """Return the text letter that the paragraphs ``found`` stand for (see :func:`paragraphs`)."""
    lines: list[str] = []
    seen_block = False
    for paragraph in found:
        if not paragraph:
            lines.append("")
            continue
        if seen_block:
            lines.append("")
        lines.extend(paragraph)
        seen_block = True
    return "\n".join(lines) + "\n" if lines else ""


@dataclass(frozen=True, slots=True)
class Rule:
    """One layout rule of a template's ``blocks:`` front matter."""

    number: int
    select: int | str
    to_end: bool
    style: str | None = None
    align: str | None = None
    together: bool = False
    signature: bool = False
    place: str | None = None
    signing: float | None = None

    def describe(self) -> str:
        """Return how the rule picks blocks, as the template says it."""
        return f"{'from' if self.to_end else 'at'}: {self.select!r}"


@dataclass(slots=True)
class Layout:
    """How one paragraph looks in the DOCX; ``None`` everywhere means plain."""

    style: str | None = None
    align: str | None = None
    keep_next: bool = False
    keep_lines: bool = False
    signature_after: bool = False
    place: str | None = None
    signing: float | None = None


def parse_rules(value: Any, source: Path) -> list[Rule]:
    """Return the rules of a template's ``blocks:`` front matter (``value``), checked."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TemplateError(
            "front matter 'blocks' must be a list of rules like {at: 1, style: Date}",
            path=source,
            field="blocks",
        )
    rules = []
    for number, item in enumerate(value, 1):

        def fail(message: str, number: int = number) -> TemplateError:
            return TemplateError(f"front matter 'blocks' rule {number}: {message}", path=source)

        if not isinstance(item, dict):
            raise fail("a rule is a mapping like {at: 1, style: Date}")
        unknown = sorted(set(map(str, item)) - _KEYS)
        if unknown:
            raise fail(f"unknown key '{unknown[0]}' (known: {', '.join(sorted(_KEYS))})")
        if ("at" in item) == ("from" in item):
            raise fail("give exactly one of 'at' (one block) and 'from' (a block and the rest)")
        select = item["at"] if "at" in item else item["from"]
        if isinstance(select, bool) or not isinstance(select, int | str) or select in (0, ""):
            raise fail("pick a block by number (1 = first, -1 = last) or by its first words")
        style = item.get("style")
        if style is not None and not isinstance(style, str):
            raise fail("'style' is the name of a paragraph style of the letterhead")
        align = item.get("align")
        if align is not None and str(align).lower() not in ALIGNMENTS:
            raise fail(f"'align' is one of left, right, center, justify, not {align!r}")
        for flag in ("together", "signature"):
            if not isinstance(item.get(flag, False), bool):
                raise fail(f"'{flag}' is true or false")
        place = item.get("place")
        if place is not None and place not in PLACES:
            raise fail(f"'place' is address or info, not {place!r}")
        signing = item.get("signing")
        if signing is not None and (
            isinstance(signing, bool) or not isinstance(signing, int | float) or signing <= 0
        ):
            raise fail(f"'signing' is the mm of space left to sign, like 25, not {signing!r}")
        rules.append(
            Rule(
                number=number,
                select=select,
                to_end="from" in item,
                style=style,
                align=ALIGNMENTS[str(align).lower()] if align is not None else None,
                together=bool(item.get("together", False)),
                signature=bool(item.get("signature", False)),
                place=place,
                signing=float(signing) if signing is not None else None,
            )
        )
    return rules


def _find(rule: Rule, found: Sequence[str]) -> int | None:
    if isinstance(rule.select, int):
        index = rule.select - 1 if rule.select > 0 else len(found) + rule.select
        return index if 0 <= index < len(found) else None
    for index, block in enumerate(found):
        if block.lstrip().startswith(rule.select):
            return index
    return None


def layout(found: Sequence[str], rules: Sequence[Rule]) -> list[Layout]:
    """Return the layout of each paragraph in ``found`` (from :func:`blocks`) under ``rules``.

    Raises :class:`LookupError` naming the rule that picks no block of this letter.
    """
    result = [Layout() for _ in found]
    # Rules count blocks, not the empty paragraphs of a signing space.
    positions = [i for i, paragraph in enumerate(found) if paragraph]
    picked = [found[i] for i in positions]
    for rule in rules:
        index = _find(rule, picked)
        if index is None:
            raise LookupError(f"front matter 'blocks' rule {rule.number} ({rule.describe()})")
        first = positions[index]
        last = len(found) - 1 if rule.to_end else first
        for position in range(first, last + 1):
            item = result[position]
            if rule.style is not None:
                item.style = rule.style
            if rule.align is not None:
                item.align = rule.align
            if rule.together:
                item.keep_lines = True
                # Word keeps a paragraph on the page of the next one: all but the last.
                item.keep_next = item.keep_next or position < last
            if rule.place is not None:
                item.place = rule.place
        if rule.signature:
            result[first].signature_after = True
        if rule.signing is not None:
            result[first].signing = rule.signing
    return result
