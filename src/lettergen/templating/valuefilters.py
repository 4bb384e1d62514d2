"""Filters that print a letter's values as a letter writes them: dates in the letter's
language (``{{ date | format_date }}``: 25 May 2015, 25 mai 2015) and lines of an address
(``{% for line in recipient.address | lines %}``)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import jinja2

from lettergen.templating.forms import letter_locale


def _locale(context: jinja2.runtime.Context) -> str:
    locale = letter_locale(context)
    # Babel's bare "en" is US English ("May 25, 2015"); letters from Europe expect "25 May 2015".
    return "en_GB" if locale in ("en", "en-GB") else locale.replace("-", "_")


@jinja2.pass_context
def format_date_filter(
    context: jinja2.runtime.Context, value: Any, format: str = "long", locale: str | None = None
) -> str:
    """Format a date in the letter's locale: ``25 May 2015``, ``25 mai 2015``, ``25. Mai 2015``."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"format_date: '{value}' is not a YYYY-MM-DD date") from None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise ValueError(f"format_date: expected a date, got {type(value).__name__}")
    return _format_date(value, format, locale or _locale(context))


@functools.lru_cache(maxsize=256)
def _format_date(value: dt.date, format: str, locale: str) -> str:
    # The letters of a run nearly always share one date: Babel (a fifth of the time of a text
    # letter) then works once per run, not once per letter.
    from babel.dates import format_date  # Babel is slow to import; only dated letters pay.

    return str(format_date(value, format=format, locale=locale))


def lines_filter(value: Any) -> list[str]:
    """Return a value as a list of lines: a list stays a list, a multi-line text is split."""
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if value is None:
        return []
    return [line for line in str(value).splitlines() if line.strip()]
