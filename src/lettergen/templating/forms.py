"""Filters that print a recipient's conventional forms of address: ``{{ recipient | salutation }}``.

A record's own field wins (``salutation: Dear Laurent,`` stays); a record without one gets what
protocol writes for its office and gender in the letter's language (``Monsieur le Ministre,`` in
the French variant, ``Dear Minister,`` in the English). A record whose title names no office the
knowledge base knows, and that has no field of its own, is an error naming the field to add:
guessing "Dear Sir or Madam," to a minister would be worse than stopping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2

from lettergen.protocol.knowledge import FORM_KEYS
from lettergen.protocol.proposals import propose, record_title


def given_locale(context: jinja2.runtime.Context | Mapping[str, Any]) -> str | None:
    """The ``locale`` the letter's front matter (or its language variant's) gives, if any."""
    letter = context.get("letter")
    locale = letter.get("locale") if isinstance(letter, Mapping) else None
    return str(locale) if locale else None


def letter_locale(context: jinja2.runtime.Context | Mapping[str, Any]) -> str:
    """The letter's ``locale`` (its front matter's, or its language variant's), else ``en``."""
    return given_locale(context) or "en"


def _form_filter(key: str) -> Callable[..., str]:
    @jinja2.pass_context
    def form(context: jinja2.runtime.Context, recipient: Any) -> str:
        if not isinstance(recipient, Mapping):
            raise ValueError(f"{key}: expected a recipient (recipient | {key})")
        own = recipient.get(key)
        if isinstance(own, str) and own.strip():
            return own.strip()
        language = letter_locale(context)
        proposal = propose(recipient, language)
        proposed = proposal.get(key) if proposal else None
        if proposed is None:
            title = record_title(recipient)
            about = f"the title '{title}'" if title else "no title"
            raise ValueError(
                f"{key}: the record has no '{key}' field and {about} names no office whose "
                f"{key.replace('_', ' ')} lettergen knows in '{language}'; give the record the "
                f"field '{key}'"
            )
        return proposed

    form.__name__ = key
    form.__doc__ = f"The recipient's {key.replace('_', ' ')}: their own field, else protocol's."
    return form


# The filters, by name: salutation, form_of_address, closing, address_style.
FORM_FILTERS: Mapping[str, Callable[..., str]] = {key: _form_filter(key) for key in FORM_KEYS}
