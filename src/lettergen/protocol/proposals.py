"""The conventional forms of address for one recipient, from the knowledge base.

A record says who the recipient is (title, gender or honorific, name); the letter says in which
language it is written. The proposal is what a protocol office would write: the salutation, the
form of address in the body, the complimentary close and the style of the address line. A record's
own field always wins over a proposal; the proposal fills what the record lacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lettergen.protocol.genders import gender_field, honorific_gender
from lettergen.protocol.knowledge import FORM_KEYS, Gender, Held, offices_named

# The record fields a title is read from, in order of preference.
TITLE_FIELDS = ("title", "position", "office", "function", "job_title", "role")
# Every field a proposal reads: a template printing a proposal uses them all (when present).
READS = (*TITLE_FIELDS, "gender", "honorific", "name", "first_name", "last_name")
_PLACEHOLDER = re.compile(r"\{(name|surname|honorific|portfolio_title)\}")


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the knowledge base proposes for one recipient in one language."""

    office: str  # the office id the proposal is for
    language: str
    gender: Gender
    salutation: str | None
    form_of_address: str | None
    closing: str | None
    address_style: str | None

    def get(self, key: str) -> str | None:
        """The proposed ``key`` form (one of ``FORM_KEYS``)."""
        return getattr(self, key) if key in FORM_KEYS else None


def record_title(fields: Mapping[str, Any]) -> str:
    """The record's title (its office), or ``""``."""
    for key in TITLE_FIELDS:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def record_gender(fields: Mapping[str, Any]) -> Gender:
    """The gender the record states (``gender``, else its honorific), else neutral."""
    stated = gender_field(fields.get("gender")) or honorific_gender(fields.get("honorific"))
    return stated or "neutral"


def record_offices(fields: Mapping[str, Any]) -> tuple[Held, ...]:
    """The offices the record's title names, in order."""
    title = record_title(fields)
    return offices_named(title) if title else ()


def propose(fields: Mapping[str, Any], language: str) -> Proposal | None:
    """The forms the knowledge base proposes for a record's first office, or None.

    None when the title names no office the knowledge base knows, or the office has no forms in
    ``language`` (a language tag such as ``fr-BE`` is looked up as ``fr``).
    """
    offices = record_offices(fields)
    if not offices:
        return None
    office = offices[0].office
    lang = language.replace("_", "-").split("-")[0].lower()
    if lang not in office.forms:
        return None
    gender = record_gender(fields)
    values = {
        "name": _text(fields.get("name"))
        or " ".join(
            _text(fields.get(k)) for k in ("first_name", "last_name") if _text(fields.get(k))
        ),
        "surname": _text(fields.get("last_name")) or _text(fields.get("name")).split(" ")[-1],
        "honorific": _text(fields.get("honorific")),
        "portfolio_title": record_title(fields),
    }

    def fill(key: str) -> str | None:
        form = office.form(key, lang, gender)
        if form is None:
            return None
        return " ".join(_PLACEHOLDER.sub(lambda m: values[m.group(1)], form).split())

    return Proposal(
        office=office.id,
        language=lang,
        gender=gender,
        salutation=fill("salutation"),
        form_of_address=fill("form_of_address"),
        closing=fill("closing"),
        address_style=fill("address_style"),
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
