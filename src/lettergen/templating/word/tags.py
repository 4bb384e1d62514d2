"""Jinja tags in a Word paragraph's text: where each starts and ends, what block it opens."""

from __future__ import annotations

import re

# Word's autocorrect turns quotes typed inside a tag into typographic ones; Jinja needs ASCII.
_SMART_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


# Placeholders for tags while lxml serialises a part (characters of a private-use plane).
PLACEHOLDER_START, PLACEHOLDER_END = "\U000f0000", "\U000f0001"


TAG_PLACEHOLDER = re.compile(f"{PLACEHOLDER_START}(\\d+){PLACEHOLDER_END}")


_TAG_START = re.compile(r"\{[{%#]")


_CLOSERS = {"{": "}}", "%": "%}", "#": "#}"}


_BLOCK_OPENERS = frozenset(
    ("if", "for", "macro", "call", "filter", "with", "block", "autoescape", "raw", "trans")
)


# docxtpl's tags: ``{%p if %}`` (a paragraph), ``{%tr for %}`` (a table row), ``{%r %}`` and
# ``{{r x }}`` (a run), ``{#p #}`` / ``{#tr #}`` (a paragraph or row deleted). lettergen's own
# control paragraphs and rows mean the same, so the letter is dropped. ``{%tc %}`` (a column
# loop) has no such meaning and is refused.
_DOCXTPL_PREFIX = re.compile(r"\{([{%#])([-+]?)(p|tr|tc|r)(?=\s)")

# docxtpl's way to print a tag's braces: ``{_{`` is ``{{`` and ``}_}`` is ``}}``.
DOCXTPL_BRACES = (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}"))

# docxtpl's table tags that change a cell's XML, and what to do in lettergen instead.
_DOCXTPL_CELL_TAGS = re.compile(r"\{%[-+]?\s*(colspan|cellbg|hm|vm)\b")
_CELL_TAG_WAYS = {
    "colspan": "merge the cells in Word",
    "cellbg": "shade the cell in Word, or keep one row per shading inside '{% if %}' rows",
    "hm": "merge the cells in Word",
    "vm": "merge the cells in Word",
}

SHOWN = 70  # characters of a paragraph quoted in an error message


def literal(text: str) -> str:
    """Return Jinja source that prints ``text`` as it is."""
    if "{{" in text or "{%" in text or "{#" in text or text.endswith("{"):
        return "{% raw %}" + text + "{% endraw %}"
    return text


def find_tags(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` of every Jinja tag in ``text``.

    Raises :class:`ValueError` (with the offending start) for a tag that is never closed.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        match = _TAG_START.search(text, pos)
        if match is None:
            return spans
        start = match.start()
        docxtpl = _DOCXTPL_PREFIX.match(text, start)
        if docxtpl is not None and docxtpl.group(3) == "tc":
            raise ValueError(
                "docxtpl's column loop '{%tc %}' is not supported: loop over rows ('{%tr for "
                "%}' or a row holding only '{% for %}'), or make one template per column count"
            )
        cell = _DOCXTPL_CELL_TAGS.match(text, start)
        if cell is not None:
            word = cell.group(1)
            raise ValueError(f"docxtpl's '{{% {word} %}}' is not supported: {_CELL_TAG_WAYS[word]}")
        closer = _CLOSERS[text[start + 1]]
        end = _closing(text, start + 2, closer, skip_strings=closer != "#}")
        if end < 0:
            raise ValueError(f"'{text[start : start + 2]}' without '{closer}'")
        spans.append((start, end))
        pos = end


def _closing(text: str, pos: int, closer: str, *, skip_strings: bool) -> int:
    """Return the end of ``closer`` after ``pos``, skipping quoted strings; -1 if none."""
    quote = ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif skip_strings and char in "'\"":
            quote = char
        elif text.startswith(closer, pos):
            return pos + len(closer)
        pos += 1
    return -1


def tag_text(raw: str) -> str:
    """Return a tag as Jinja must read it: typographic quotes made plain, and docxtpl's
    ``{%p``, ``{%tr``, ``{%r``, ``{{r``, ``{{p``, ``{#p``, ``{#tr`` read as lettergen's own tags."""
    return _DOCXTPL_PREFIX.sub(r"{\1\2", raw.translate(_SMART_QUOTES), count=1)


def block_kind(tag: str) -> tuple[str, str]:
    """Return (``open``/``middle``/``close``/``""``, keyword) of a ``{% ... %}`` tag."""
    if not tag.startswith("{%"):
        return "", ""
    words = tag[2:-2].strip("-+ \t").split(None, 1)
    word = words[0] if words else ""
    if word.startswith("end"):
        return "close", word[3:]
    if word in ("elif", "else"):
        return "middle", word
    if word == "set":
        return ("open" if "=" not in tag else ""), word
    return ("open" if word in _BLOCK_OPENERS else ""), word
