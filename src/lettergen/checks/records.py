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
from typing import Any

from lettergen.checks.tally import Tally
from lettergen.inputs.recipients import Record
from lettergen.protocol.genders import gender_field, honorific_gender, presumed_gender
from lettergen.protocol.knowledge import Gender, Held, holds, offices_named
from lettergen.protocol.languages import salutation_languages
from lettergen.protocol.proposals import propose, record_offices, record_title

# The fields that say how the recipient is addressed, as templates print them.
FORM_FIELDS = ("salutation", "form_of_address", "closing", "vocative", "address_as")
_EXCELLENCY = re.compile(r"excellen|exzellenz|eccellenza|ekscelencj", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:dear|my dear)\s+", re.IGNORECASE)


class RecordChecks:
    """The checks of one record's fields, against themselves and the row above."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        # The form fields of the record checked last: a value repeated from it may be filled down.
        self._previous: dict[str, str] = {}

    def check(self, record: Record, language: str | None) -> None:
        """Report the fields of ``record`` that address someone else, or another gender.

        ``language`` is the letter's (its template's ``locale``), None when the template does
        not say: then a salutation's language is not held against it, and protocol's forms are
        looked up in English.
        """
        fields = record.fields
        forms = {
            key: value.strip()
            for key in FORM_FIELDS
            if isinstance(value := fields.get(key), str) and value.strip()
        }
        previous, self._previous = self._previous, forms
        gender, said_by = _stated_gender(record)
        if said_by == "contradiction":
            self.tally.add(
                "error",
                "record-form",
                f"field 'recipient.gender': '{fields.get('gender')}' contradicts the honorific "
                f"'{fields.get('honorific')}'",
                record,
            )
        if not forms:
            return
        title = record_title(fields)
        own = record_offices(fields)
        for key, text in forms.items():
            copied = previous.get(key) == text
            said = offices_named(text)
            if own and said and not holds(said, own):
                self._add(
                    "error",
                    record,
                    key,
                    f"'{text}' addresses the office of {_offices(said)}, but the record's title "
                    f"is '{title}'",
                    copied,
                )
                continue
            presumed = presumed_gender(text)
            if gender is not None and presumed is not None and presumed != gender:
                self._add(
                    "error",
                    record,
                    key,
                    f"'{text}' addresses a {_WORDS[presumed]}, but the record's {said_by} says "
                    f"{_WORDS[gender]}",
                    copied,
                )
                continue
            if own and _EXCELLENCY.search(text) and not any(h.office.excellency for h in own):
                self._add(
                    "warning",
                    record,
                    key,
                    f"'{text}' gives an Excellency to the office of {_offices(own)}, which "
                    "protocol does not style so (ambassadors and heads of state are excellencies)",
                    copied,
                )
                continue
            if key != "salutation":
                continue
            if language and self._other_language(record, text, language, copied):
                continue
            if said:
                self._unusual(record, text, said, language or "en", copied)

    def _other_language(self, record: Record, text: str, language: str, copied: bool) -> bool:
        """Warn about a salutation in another language than the letter's; return whether."""
        written_in = salutation_languages(text)
        letter = language.replace("_", "-").split("-")[0].lower()
        if not written_in or letter in written_in:
            return False
        self._add(
            "warning",
            record,
            "salutation",
            f"'{text}' opens a letter in {'/'.join(sorted(written_in))}, but this letter is in "
            f"'{letter}'",
            copied,
        )
        return True

    def _unusual(
        self, record: Record, text: str, said: tuple[Held, ...], language: str, copied: bool
    ) -> None:
        """Warn about a salutation naming a portfolio where protocol names only the office."""
        proposal = propose(record.fields, language)
        if proposal is None or proposal.salutation is None:
            return
        if (
            any(h.portfolios for h in said)
            and not _names_portfolio(proposal.salutation)
            and _LEADING.sub("", text) != _LEADING.sub("", proposal.salutation)
        ):
            self._add(
                "warning",
                record,
                "salutation",
                f"'{text}' is not how protocol opens a letter to this office; it writes "
                f"'{proposal.salutation}'",
                copied,
            )

    def _add(self, severity: Any, record: Record, key: str, message: str, copied: bool) -> None:
        hint = " (the same as the record before it: filled down or copied?)" if copied else ""
        self.tally.add(severity, "record-form", f"field 'recipient.{key}': {message}{hint}", record)


_WORDS: dict[Gender, str] = {"female": "woman", "male": "man", "neutral": "person"}


def _stated_gender(record: Record) -> tuple[Gender | None, str]:
    """The gender the record states and which field says so ("contradiction" when two do)."""
    by_field = gender_field(record.fields.get("gender"))
    by_honorific = honorific_gender(record.fields.get("honorific"))
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


@functools.lru_cache(maxsize=1024)
def _names_portfolio(text: str) -> bool:
    return any(h.portfolios for h in offices_named(text))
