"""Whose gender a record states, and which gender a salutation or form of address presumes.

Only what is written counts: a ``gender`` field, or an honorific ("Mr", "Frau"). A name never
tells a gender. A form presumes one when its words do ("Madam Minister", "Sehr geehrter Herr",
"Szanowna Pani"); "Madame, Monsieur le Ministre," presumes none.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lettergen.protocol.knowledge import GENDERS, Gender, knowledge
from lettergen.protocol.words import normalise

# How a `gender` field is written in the lists people keep (normalised).
_GENDER_VALUES: Mapping[str, Gender] = {
    **dict.fromkeys(
        (
            "f",
            "female",
            "w",
            "woman",
            "femme",
            "frau",
            "weiblich",
            "mujer",
            "donna",
            "vrouw",
            "kobieta",
            "mulher",
            "feminin",
            "feminine",
            "she",
            "she her",
        ),
        "female",
    ),
    **dict.fromkeys(
        (
            "m",
            "male",
            "man",
            "homme",
            "mann",
            "mannlich",
            "hombre",
            "uomo",
            "mezczyzna",
            "homem",
            "masculin",
            "masculine",
            "he",
            "he him",
        ),
        "male",
    ),
    **dict.fromkeys(
        (
            "x",
            "n",
            "nb",
            "neutral",
            "non binary",
            "nonbinary",
            "diverse",
            "divers",
            "d",
            "other",
            "unknown",
            "they",
            "they them",
        ),
        "neutral",
    ),
}

# Words in a salutation that presume a gender, beside the honorifics of every language.
_FORM_WORDS: Mapping[str, Gender] = {
    **dict.fromkeys(
        (
            "madam",
            "madame",
            "frau",
            "senora",
            "signora",
            "mevrouw",
            "pani",
            "senhora",
            "dame",
            "lady",
            "mrs",
            "ms",
            "miss",
            "mme",
            "geehrte",
            "liebe",
            "chere",
            "estimada",
            "gentilissima",
            "cara",
            "szanowna",
            "exma",
            "ministra",
            "ministerin",
            "premiere",
            "baroness",
            "duchess",
            "queen",
            "sister",
            "ambassadrice",
            "deputee",
            "senatrice",
        ),
        "female",
    ),
    **dict.fromkeys(
        (
            "sir",
            "mr",
            "monsieur",
            "herr",
            "senor",
            "signor",
            "signore",
            "meneer",
            "heer",
            "pan",
            "panie",
            "senhor",
            "lord",
            "geehrter",
            "lieber",
            "cher",
            "estimado",
            "egregio",
            "caro",
            "szanowny",
            "exmo",
            "ministrze",
            "king",
            "brother",
            "father",
        ),
        "male",
    ),
}
# Not listed: "presidente", both genders in Spanish, Italian and Portuguese (French
# "Présidente" is female, and its article already says so).


def gender_field(value: Any) -> Gender | None:
    """The gender a record's ``gender`` value states, or None when it states none."""
    if not isinstance(value, str):
        return None
    return _GENDER_VALUES.get(normalise(value))


@functools.cache
def _honorific_genders() -> Mapping[str, Gender]:
    found: dict[str, set[Gender]] = {}
    for by_gender in knowledge().honorifics.values():
        for gender in GENDERS:
            for word in by_gender.get(gender, ()):
                found.setdefault(normalise(word), set()).add(gender)
    return {word: next(iter(g)) for word, g in found.items() if len(g) == 1}


def honorific_gender(honorific: Any) -> Gender | None:
    """The gender an honorific ("Mr", "Mme", "Frau") states, or None."""
    if not isinstance(honorific, str):
        return None
    gender = _honorific_genders().get(normalise(honorific))
    return None if gender == "neutral" else gender


@functools.lru_cache(maxsize=4096)
def presumed_gender(form: str) -> Gender | None:
    """The gender a salutation or form of address presumes, or None (none, or both)."""
    said: set[Gender] = set()
    honorifics = _honorific_genders()
    for word in normalise(form).split():
        gender = _FORM_WORDS.get(word) or honorifics.get(word)
        if gender is not None and gender != "neutral":
            said.add(gender)
    return next(iter(said)) if len(said) == 1 else None
