"""The forms-of-address knowledge base, and which offices a title names.

A title is read the way real lists write it - "Minister of Foreign Affairs", "Foreign Minister",
"Federal Minister for Foreign Affairs", "Keeper of the Seals, Minister of Justice" - as the
offices whose titles it contains (the longest wording wins at each place, so "Deputy Prime
Minister" is not the Prime Minister) and, for offices held for a portfolio, which portfolios the
words around the office name.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

from lettergen.protocol.words import normalise

Gender = Literal["female", "male", "neutral"]
GENDERS: tuple[Gender, ...] = ("female", "male", "neutral")
# What each office's forms give, in each language.
FORM_KEYS = ("salutation", "form_of_address", "closing", "address_style")


# Offices protocol addresses in the words of another: an MEP is "Madame la Députée", a
# secretary of state or the Lord Chancellor is written to as "Minister", a Lord Mayor as a mayor.
# (Polish also writes "Panie Premierze" to a deputy prime minister; that is left out here, so
# that a deputy addressed as the principal stays an error.)
ADDRESSED_AS: Mapping[str, frozenset[str]] = {
    "mep": frozenset({"member_of_parliament"}),
    "state_secretary": frozenset({"minister"}),
    "deputy_minister": frozenset({"minister"}),
    "prefect": frozenset({"mayor"}),
    "secretary_of_state": frozenset({"minister"}),
    "minister_of_state": frozenset({"minister"}),
    "lord_chancellor": frozenset({"minister"}),
    "lord_mayor": frozenset({"mayor"}),
    "first_minister": frozenset({"head_of_government", "minister"}),
    "minister_president": frozenset({"head_of_government"}),
}


@dataclass(frozen=True, slots=True)
class Office:
    """One office as protocol knows it: its wordings, whether it has a portfolio, its forms."""

    id: str
    titles: tuple[str, ...]
    portfolio: bool
    excellency: bool
    # language -> form key -> gender -> text
    forms: Mapping[str, Mapping[str, Mapping[Gender, str]]]

    def form(self, key: str, language: str, gender: Gender) -> str | None:
        """The ``key`` form of this office in ``language`` for ``gender``, if known."""
        by_gender = self.forms.get(language, {}).get(key)
        return by_gender.get(gender) if by_gender else None


@dataclass(frozen=True, slots=True)
class Held:
    """An office a title names, with the portfolios named beside it (ids, maybe none)."""

    office: Office
    portfolios: frozenset[str]
    # The words of the title that named it, as written there (normalised).
    wording: str

    def same_as(self, other: Held) -> bool:
        """Whether this office, said in a form of address, is right for ``other``, an office
        a record holds: the same office (or one protocol addresses it as), and no portfolio
        that differs.

        "Minister" is any minister; "Minister of Justice" is not the Minister of the Interior;
        a secretary of state may be written to as "Minister".
        """
        if self.office.id != other.office.id and self.office.id not in ADDRESSED_AS.get(
            other.office.id, ()
        ):
            return False
        if not self.portfolios or not other.portfolios:
            return True
        return bool(self.portfolios & other.portfolios)


@dataclass(frozen=True)
class Knowledge:
    """Every office, portfolio and honorific of ``knowledge.yaml``, indexed for matching."""

    offices: Mapping[str, Office]
    # normalised title -> office
    titles: Mapping[str, Office]
    longest_title: int
    # portfolio id -> normalised word stems
    portfolios: Mapping[str, tuple[str, ...]]
    # language -> gender -> honorifics (as written)
    honorifics: Mapping[str, Mapping[Gender, tuple[str, ...]]]

    def portfolios_in(self, words: list[str]) -> frozenset[str]:
        """The portfolios one of ``words`` (normalised) names.

        A word names a portfolio when it is one of its stems or a stem with an inflection
        (up to three letters: "auswartigen" is "auswartig"), not any word that starts alike
        ("international" is not "interna").
        """
        found = set()
        for portfolio, stems in self.portfolios.items():
            if any(_inflects(word, stem) for word in words for stem in stems):
                found.add(portfolio)
        return frozenset(found)


def _inflects(word: str, stem: str) -> bool:
    """Whether ``word`` is ``stem`` or ``stem`` with an ending of up to three letters."""
    return word.startswith(stem) and len(word) - len(stem) <= _ENDING


_ENDING = 3


def _by_gender(value: Any) -> Mapping[Gender, str]:
    if isinstance(value, str):
        return dict.fromkeys(GENDERS, value)
    return {gender: str(value[gender]) for gender in GENDERS}


def _office(id_: str, data: Mapping[str, Any]) -> Office:
    forms = {
        language: {key: _by_gender(value) for key, value in keys.items()}
        for language, keys in (data.get("forms") or {}).items()
    }
    return Office(
        id=id_,
        titles=tuple(normalise(t) for t in data.get("titles", ())),
        portfolio=bool(data.get("portfolio")),
        excellency=bool(data.get("excellency")),
        forms=forms,
    )


@functools.cache
def knowledge() -> Knowledge:
    """The knowledge base shipped with lettergen, read once."""
    text = resources.files("lettergen.protocol").joinpath("knowledge.yaml").read_text("utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    offices = {id_: _office(id_, entry) for id_, entry in data["offices"].items()}
    titles = {title: office for office in offices.values() for title in office.titles}
    portfolios = {
        id_: tuple(normalise(str(w)) for w in entry["words"])
        for id_, entry in data.get("portfolios", {}).items()
    }
    honorifics = {
        language: {g: tuple(by_gender.get(g) or ()) for g in GENDERS}
        for language, by_gender in data.get("honorifics", {}).items()
    }
    return Knowledge(
        offices=offices,
        titles=titles,
        longest_title=max((len(t.split()) for t in titles), default=1),
        portfolios=portfolios,
        honorifics=honorifics,
    )


@functools.lru_cache(maxsize=4096)
def offices_named(text: str) -> tuple[Held, ...]:
    """The offices ``text`` (a title, or what a salutation names) names, in order.

    Portfolio words count for the office they stand beside: after it up to the next office
    ("Minister of Justice"), or before it back to the previous one ("Foreign Minister").
    """
    base = knowledge()
    words = normalise(text).split()
    spans: list[tuple[int, int, Office]] = []
    at = 0
    while at < len(words):
        for size in range(min(base.longest_title, len(words) - at), 0, -1):
            office = base.titles.get(" ".join(words[at : at + size]))
            if office is not None:
                spans.append((at, at + size, office))
                at += size
                break
        else:
            at += 1
    held = []
    for number, (start, end, office) in enumerate(spans):
        portfolios: frozenset[str] = frozenset()
        if office.portfolio:
            before = spans[number - 1][1] if number else 0
            after = spans[number + 1][0] if number + 1 < len(spans) else len(words)
            # "Home Secretary": a title's own words may name its portfolio too.
            portfolios = base.portfolios_in(words[before:after])
        held.append(Held(office, portfolios, " ".join(words[start:end])))
    return tuple(held)


@functools.lru_cache(maxsize=4096)
def portfolios_named(text: str) -> frozenset[str]:
    """The portfolios ``text`` (an organisation: "Ministère de la Justice") names."""
    return knowledge().portfolios_in(normalise(text).split())


def holds(said: tuple[Held, ...], own: tuple[Held, ...]) -> bool:
    """Whether every office ``said`` (in a form of address) is one of the offices ``own``."""
    return all(any(s.same_as(o) for o in own) for s in said)
