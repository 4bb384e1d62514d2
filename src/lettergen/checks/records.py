"""Checks on a record's own words: does the way it addresses its recipient fit who they are?

The slip of the founding letter - "Mr Prime Minister, I call on you" to the Minister of Foreign
Affairs - comes as often from the data as from the template: a salutation copied from the row
above, a column filled down, a form left from before a reshuffle. A record says who the
recipient is (title, gender, honorific) and how to address them (salutation, form of address,
closing); these checks find the record that contradicts itself, naming the field and the two
facts that disagree. What is certainly wrong is an error (another office, a gender contradicting
an explicit gender or honorific); what is probably wrong is a warning (an excellency for an
office that has none, a salutation protocol would not write).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from lettergen.checks.findings import Severity
from lettergen.checks.identity import ORG_FIELDS
from lettergen.checks.tally import Tally
from lettergen.inputs.recipients import Record
from lettergen.protocol.genders import gender_field, honorific_gender, presumed_gender
from lettergen.protocol.knowledge import Gender, Held, holds, offices_named, portfolios_named
from lettergen.protocol.languages import salutation_languages
from lettergen.protocol.proposals import TITLE_FIELDS, record_title

# The fields that say how the recipient is addressed, as templates print them.
FORM_FIELDS = ("salutation", "form_of_address", "closing", "vocative", "address_as")
_EXCELLENCY = re.compile(r"excellen|exzellenz|eccellenza|ekscelencj", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:dear|my dear)\s+", re.IGNORECASE)


# Every field the checks read. A record's values of them are the key of what they give: lists
# repeat their offices, forms and ministries, so most records cost one lookup.
_READ = (*FORM_FIELDS, *ORG_FIELDS, *TITLE_FIELDS, "gender", "honorific")
_COPIED = " (the same as the record before it: filled down or copied?)"


class RecordChecks:
    """The checks of one record's fields, against themselves and the row above."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        # The fields of the record checked last: a value repeated from it may be filled down.
        self._previous: Mapping[str, Any] = {}

    def follow(self, record: Record | None) -> None:
        """Take ``record`` as the one before the next (None: the next is the first).

        A part of a run checked in a worker process starts after the last record of the part
        before it, so that "the same as the record before it" reads alike in every process.
        """
        self._previous = record.fields if record is not None else {}

    def check(self, record: Record, language: str | None) -> None:
        """Report the fields of ``record`` that address someone else, or another gender.

        ``language`` is the letter's (its template's ``locale``), None when the template does
        not say: then a salutation's language is not held against it, and protocol's forms are
        looked up in English. A finding on a value the record before it has too says so
        (filled down or copied).
        """
        fields = record.fields
        values = tuple(map(fields.get, _READ))
        try:
            found = _findings(values, language)
        except TypeError:  # a list or mapping among them (YAML): only text is read
            found = _findings(tuple(v if isinstance(v, str) else None for v in values), language)
        previous, self._previous = self._previous, fields
        for severity, key, text, message in found:
            copied = text is not None and _text(previous.get(key)) == text
            message = f"field 'recipient.{key}': {message}{_COPIED if copied else ''}"
            self.tally.add(severity, "record-form", message, record)


# (severity, field, the value found wrong or None, message)
Found = tuple[Severity, str, str | None, str]


@functools.lru_cache(maxsize=4096)
def _findings(values: tuple[Any, ...], language: str | None) -> tuple[Found, ...]:
    """What a record with these values of ``_READ`` gives, in a letter in ``language``."""
    fields = dict(zip(_READ, values, strict=True))
    forms = _texts(fields, FORM_FIELDS)
    organisations = _texts(fields, ORG_FIELDS)
    title = record_title(fields)
    gender_value, honorific = (v if isinstance(v, str) else None for v in values[-2:])
    found: list[Found] = []

    def add(severity: Severity, key: str, message: str) -> None:
        found.append((severity, key, forms.get(key) or organisations.get(key), message))

    gender, said_by = _gender_of(gender_value, honorific)
    if said_by == "contradiction":
        message = f"'{gender_value}' contradicts the honorific '{honorific}'"
        found.append(("error", "gender", None, message))
    own = offices_named(title) if title else ()
    if own:
        held = frozenset().union(*(h.portfolios for h in own if h.office.portfolio))
        for key, text in organisations.items():
            named = _ministry_of(text) if held else frozenset()
            if named and not named & _sits_with(held):
                # "Ministère de la Justice" above the Minister of the Interior's street.
                add(
                    "warning",
                    key,
                    f"'{text}' is the ministry of {_portfolios(named)}, but the record's title "
                    f"is '{title}'",
                )
    for key, text in forms.items():
        said = offices_named(text)
        if own and said and not holds(said, own):
            add(
                "error",
                key,
                f"'{text}' addresses the office of {_offices(said)}, but the record's title "
                f"is '{title}'",
            )
            continue
        presumed = presumed_gender(text)
        if gender is not None and presumed is not None and presumed != gender:
            add(
                "error",
                key,
                f"'{text}' addresses a {_WORDS[presumed]}, but the record's {said_by} says "
                f"{_WORDS[gender]}",
            )
            continue
        if own and _EXCELLENCY.search(text) and not any(h.office.excellency for h in own):
            add(
                "warning",
                key,
                f"'{text}' gives an Excellency to the office of {_offices(own)}, which "
                "protocol does not style so (ambassadors and heads of state are excellencies)",
            )
            continue
        if key != "salutation":
            continue
        written_in = salutation_languages(text)
        letter = (language or "").replace("_", "-").split("-")[0].lower()
        if language and written_in and letter not in written_in:
            add(
                "warning",
                key,
                f"'{text}' opens a letter in {'/'.join(sorted(written_in))}, but this letter is "
                f"in '{letter}'",
            )
            continue
        usual = _usual_salutation(own, gender or "neutral", language or "en")
        if (
            usual is not None
            and any(h.portfolios for h in said)
            # "Dear Foreign Secretary,": an office whose very title names its portfolio.
            and not any(portfolios_named(h.wording) for h in said)
            and not _names_portfolio(usual)
            and _LEADING.sub("", text) != _LEADING.sub("", usual)
        ):
            add(
                "warning",
                key,
                f"'{text}' is not how protocol opens a letter to this office; it writes '{usual}'",
            )
    return tuple(found)


def _usual_salutation(own: tuple[Held, ...], gender: Gender, language: str) -> str | None:
    """The salutation protocol writes to the record's first office, when it names nobody
    (a form with the recipient's name in it is not compared)."""
    if not own:
        return None
    lang = language.replace("_", "-").split("-")[0].lower()
    form = own[0].office.form("salutation", lang, gender)
    return None if form is None or "{" in form else form


_WORDS: dict[Gender, str] = {"female": "woman", "male": "man", "neutral": "person"}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _texts(fields: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    """The non-blank text values of ``keys``, stripped."""
    return {
        key: value.strip()
        for key in keys
        if isinstance(value := fields.get(key), str) and value.strip()
    }


@functools.lru_cache(maxsize=256)
def _gender_of(gender: str | None, honorific: str | None) -> tuple[Gender | None, str]:
    by_field = gender_field(gender)
    by_honorific = honorific_gender(honorific)
    if by_field in ("female", "male") and by_honorific and by_field != by_honorific:
        return None, "contradiction"
    if by_field in ("female", "male"):
        return by_field, "gender"
    if by_honorific:
        return by_honorific, "honorific"
    return None, ""


def _offices(held: tuple[Held, ...]) -> str:
    """How a message names offices: their wordings, ``prime minister``."""
    return " / ".join(dict.fromkeys(h.wording for h in held))


def _portfolios(ids: frozenset[str]) -> str:
    """How a message names portfolios: ``foreign affairs / development``."""
    return " / ".join(sorted(i.replace("_", " ") for i in ids))


# Portfolios whose ministers sit in another's ministry: a minister for Europe in the foreign
# ministry ("Minister of State for Europe, Federal Foreign Office").
_SITS_IN = {"european_affairs": frozenset({"foreign_affairs"})}
# An EU institution's name says "European" without being a ministry of European affairs.
_EU_BODY = re.compile(
    r"\b(?:commission|parliament|council|court|bank|external action|ombudsman|parlement|"
    r"conseil|kommission|parlament|rat|comisi[oó]n|commissione|parlamento|consiglio)\b",
    re.IGNORECASE,
)


def _sits_with(held: frozenset[str]) -> frozenset[str]:
    """The portfolios held, with those whose ministries they sit in."""
    return held.union(*(_SITS_IN.get(portfolio, ()) for portfolio in held))


def _ministry_of(organisation: str) -> frozenset[str]:
    """The portfolios an organisation is the ministry of ("European" in an EU institution's
    name is none)."""
    named = portfolios_named(organisation)
    if "european_affairs" in named and _EU_BODY.search(organisation):
        named = named - {"european_affairs"}
    return named


@functools.lru_cache(maxsize=1024)
def _names_portfolio(text: str) -> bool:
    return any(h.portfolios for h in offices_named(text))
