"""Printed values as WordprocessingML text: escaped, line breaks and tabs as Word writes them.

Every value a Word template prints goes through here, so that ``S&D`` stays ``S&D`` (even
through ``| safe``) and a character XML 1.0 forbids is refused instead of making a corrupt file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from lettergen.ooxml import FORBIDDEN, describe_char

_NEWLINES = re.compile(r"\r\n?|\n")


class ForbiddenCharacterError(ValueError):
    """A value holds a character that an XML 1.0 document (a .docx) cannot contain."""

    def __init__(self, char: str) -> None:
        super().__init__(f"holds {describe_char(char)}")
        self.char = char


def xml_finalizer(prefix: str | None) -> Callable[[Any], str]:
    """Return the function that turns every printed value into escaped WordprocessingML text.

    ``prefix`` is the part's prefix for the WordprocessingML namespace (``w`` in Word's files);
    None for a part of plain XML text (document properties): line breaks and tabs are spaces.
    """
    br = f'</{prefix}:t><{prefix}:br/><{prefix}:t xml:space="preserve">' if prefix else " "
    tab = f'</{prefix}:t><{prefix}:tab/><{prefix}:t xml:space="preserve">' if prefix else " "

    def finalize(value: Any) -> str:
        # ``| e`` (or ``| safe``) made HTML of the value: a letter shows the characters typed,
        # escaped once, here, for XML. What comes out is marked safe, so that autoescaping
        # (``{% autoescape true %}``) does not escape it a second time.
        text = value.unescape() if isinstance(value, Markup) else str(value)
        bad = FORBIDDEN.search(text)
        if bad:
            raise ForbiddenCharacterError(bad.group())
        if "&" in text:
            text = text.replace("&", "&amp;")
        if "<" in text:
            text = text.replace("<", "&lt;")
        if ">" in text:
            text = text.replace(">", "&gt;")
        if "\n" in text or "\r" in text:
            text = _NEWLINES.sub(br, text)
        if "\t" in text:
            text = text.replace("\t", tab)
        return Markup(text)

    return finalize


def _as_typed(value: Any) -> str:
    return str(value)


def typed_escapes(env: Any) -> Any:
    """Make ``| e``, ``| escape`` and ``| forceescape`` keep a value as typed in ``env`` (a Word
    template's): its text is escaped once, for XML, by :func:`xml_finalizer`; the letter's
    plain text then says what the document shows. Returns ``env``."""
    env.filters = {**env.filters, "e": _as_typed, "escape": _as_typed, "forceescape": _as_typed}
    return env
