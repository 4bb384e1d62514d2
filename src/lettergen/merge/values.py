"""Which value of a letter brought a character in: the field a message names.

A character XML cannot hold (a vertical tab pasted from an Excel cell, a NUL) comes from the
data, and the person who fixes it needs the field: ``recipient.address[1]``. Fields are named as
a template writes them, lists counted from 0 as Jinja counts them, so the name in the message
can be typed into the template or looked up in the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lettergen.errors import LettergenError, TemplateError
from lettergen.inputs.recipients import Record
from lettergen.ooxml import describe_char, find_forbidden

# The roots of a letter's context that hold values from files the user keeps.
_ROOTS = ("recipient", "sender", "letter")


def field_holding(context: Mapping[str, Any], char: str | None = None) -> str | None:
    """Return the field (``recipient.address[1]``) whose value holds ``char``, or None.

    With ``char`` None, the first field holding any character XML cannot hold.
    """
    for root in _ROOTS:
        found = _holding(context.get(root), char, root)
        if found is not None:
            return found
    return None


def _holding(value: Any, char: str | None, path: str) -> str | None:
    if isinstance(value, str):
        holds = char in value if char is not None else find_forbidden(value) is not None
        return path if holds else None
    items: Iterable[tuple[str, Any]]
    if isinstance(value, Mapping):
        # dict.items: the plain values, without Fields wrapping nested mappings on the way.
        pairs = dict.items(value) if isinstance(value, dict) else value.items()
        items = ((f"{path}.{key}", item) for key, item in pairs)
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for child_path, child in items:
        field = _holding(child, char, child_path)
        if field is not None:
            return field
    return None


def forbidden_character(
    record: Record,
    context: Mapping[str, Any],
    char: str,
    *,
    template: Path | None,
    values: Path | None = None,
) -> LettergenError:
    """Return the error for a letter that would hold ``char``, naming the field it came from.

    The error points at the record (its letter is the one that cannot be written) and says
    where a value from elsewhere lives: the signatory profile, or ``values`` (the letter-level
    values of a Word template). A character no value holds is the template's own.
    """
    field = field_holding(context, char)
    if field is None:
        return TemplateError(
            f"the letter holds {describe_char(char)}, which a Word document cannot hold; remove it",
            path=template,
            record=record.id,
        )
    root = field.partition(".")[0].partition("[")[0]
    where = {"sender": " (in the signatory profile)"}
    if values is not None:
        where["letter"] = f" (in {values})"
    return record.error(
        f"holds {describe_char(char)}{where.get(root, '')}, which a Word document cannot hold; "
        "remove it",
        field=field,
    )
