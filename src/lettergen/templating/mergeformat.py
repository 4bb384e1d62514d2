"""Word's merge-field switches and IF comparisons, as filters for templates made from them.

A Word mail-merge document's fields become tags using these (see
:mod:`lettergen.templating.word.mergecode`): ``{{ recipient.Name | merge_format(case="Upper",
before="Dear ") }}`` and ``{% if recipient.Gender | merge_compare("=", "F") %}``. They print
what Word prints: an empty value prints nothing, not even the ``\\b``/``\\f`` texts around it.
A field the record lacks stays an error (the value is read as text first).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import jinja2

from lettergen.templating.forms import letter_locale


def _text(value: Any) -> str:
    """Return a value as Word prints it; a missing field raises its error here."""
    return "" if value is None else str(value)


def _cases(text: str, cases: str) -> str:
    """Apply Word's case formats (``Upper``, ``Lower``, ``Caps``, ``FirstCap``) in order."""
    for case in cases.split():
        text = _case(text, case)
    return text


def _case(text: str, case: str) -> str:
    if case == "Upper":
        return text.upper()
    if case == "Lower":
        return text.lower()
    if case == "FirstCap":
        return text[:1].upper() + text[1:]
    if case == "Caps":
        return re.sub(r"(?<![\w'’])(\w)", lambda m: m.group(1).upper(), text)
    return text


def _date(context: jinja2.runtime.Context, value: Any, pattern: str) -> str:
    """Format a record's date (a date, or ISO text ``2026-12-03``) with a Babel pattern."""
    if isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        with contextlib.suppress(ValueError):
            value = dt.datetime.fromisoformat(value).date()
    format_date: Callable[..., str] = context.environment.filters["format_date"]
    try:
        return format_date(context, value, pattern)
    except ValueError as error:
        raise ValueError(f"merge field date picture: {error}") from None


def _number(context: jinja2.runtime.Context, value: Any, picture: str) -> str:
    """Format a record's number with a Word number picture (``#,##0.00``) in the letter's
    language (``1,234.50``, ``1 234,50``)."""
    try:
        number = value if isinstance(value, int | float | Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"merge field number picture: '{value}' is not a number") from None
    from babel.numbers import format_decimal  # Babel is slow to import; only its users pay.

    locale = letter_locale(context).replace("-", "_")
    return str(format_decimal(number, format=picture, locale=locale))


@jinja2.pass_context
def merge_format(
    context: jinja2.runtime.Context,
    value: Any,
    case: str = "",
    date: str = "",
    number: str = "",
    before: str = "",
    after: str = "",
) -> str:
    """Print a merge field's value with its switches: picture, case, then text around it."""
    text = _text(value)
    if not text.strip():
        return ""
    if date:
        text = _date(context, value, date)
    elif number:
        text = _number(context, value, number)
    return before + _cases(text, case) + after


def _as_number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None


def _wildcards(pattern: str) -> re.Pattern[str]:
    """Word's ``*`` (any text) and ``?`` (any character) in an IF comparison's value."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


_OPERATIONS: Mapping[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "<>": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    ">": lambda a, b: bool(a > b),
    "<=": lambda a, b: bool(a <= b),
    ">=": lambda a, b: bool(a >= b),
}


def merge_compare(left: Any, operator: str, right: Any) -> bool:
    """Compare as Word's IF field does: as numbers if both are numbers, else as texts
    (case counts), ``*`` and ``?`` being wildcards for ``=`` and ``<>``."""
    first, second = _text(left), _text(right)
    operation = _OPERATIONS[operator]
    a, b = _as_number(first), _as_number(second)
    if a is not None and b is not None:
        return operation(a, b)
    if operator in ("=", "<>") and ("*" in second or "?" in second):
        matches = _wildcards(second).fullmatch(first) is not None
        return matches if operator == "=" else not matches
    return operation(first, second)


# The filters, by name.
MERGE_FILTERS: Mapping[str, Callable[..., Any]] = {
    "merge_format": merge_format,
    "merge_compare": merge_compare,
}
