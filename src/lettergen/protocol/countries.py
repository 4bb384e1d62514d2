"""Countries by name in the letters' languages, and the words that name the addressee's own.

A letter to the French Minister of the Interior that says "your country, Italy" was written for
someone else: the sentence came from another recipient's letter, or a value from another row.
The names are Unicode CLDR's, as Babel ships them (Germany, Allemagne, Deutschland, Niemcy...),
with a few names real letters still use (Holland, the Czech Republic); the possessive phrases
("your country", "votre pays", "Ihr Land", "su país", "il suo Paese", "uw land", "Pana kraj",
"o seu país") are ours.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from babel import Locale

from lettergen.protocol.words import normalise

_LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pl", "pt")
# Territories that are not one country (the EU, the euro area, the UN, pseudo-locales).
_NOT_COUNTRIES = frozenset(("EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"))
# Names CLDR does not give (its own are "Czechia", "Netherlands"...) but letters write.
_MORE_NAMES = {
    "holland": "NL",
    "czech republic": "CZ",
    "republique tcheque": "CZ",
    "tschechische republik": "CZ",
    "republica checa": "CZ",
    "repubblica ceca": "CZ",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
}
# Articles before a country's name: "the Netherlands", "la France", "die Schweiz".
_ARTICLES = frozenset(
    "the la le l les die der das el los las il lo het o a os as de".split()  # noqa: SIM905
)
_LONGEST = 4  # the most words a name has ("bosnia and herzegovina" is three)


@functools.cache
def _names() -> Mapping[str, str]:
    """Normalised country name -> ISO 3166 code, in every language lettergen writes."""
    names: dict[str, str] = {}
    for language in _LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                names.setdefault(normalise(name), code)
    for name, code in _MORE_NAMES.items():
        names.setdefault(name, code)
    return names


def country_name(code: str, language: str = "en") -> str:
    """The country ``code`` (``IT``) as ``language`` writes it (``Italy``)."""
    return str(Locale(language).territories.get(code, code))


def country_at(words: list[str]) -> tuple[str, int] | None:
    """The country the normalised ``words`` start with (articles skipped): its code and how
    many words it took; None when they start with none."""
    names = _names()
    skip = 1 if words and words[0] in _ARTICLES else 0
    for size in range(min(_LONGEST, len(words) - skip), 0, -1):
        code = names.get(" ".join(words[skip : skip + size]))
        if code is not None:
            return code, skip + size
    return None


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str | None:
    """The country ``text`` is (a name in any of the languages, or an ISO code), else None."""
    stripped = text.strip()
    if len(stripped) == 2 and stripped.isalpha() and stripped.isupper():
        return stripped if stripped in set(_names().values()) else None
    words = normalise(stripped).split()
    found = country_at(words)
    return found[0] if found is not None and found[1] == len(words) else None


# "your country", in the letters' languages: what follows may be the country it names.
_OWN = (
    r"your(?:\s+own)?\s+country|votre\s+(?:propre\s+)?pays|"
    r"Ihr(?:em|es)?\s+(?:eigenen?\s+)?Land(?:es)?|"
    r"(?:su|vuestro)\s+(?:propio\s+)?pa[ií]s|(?:suo|vostro)\s+(?:stesso\s+)?paese|"
    r"uw\s+(?:eigen\s+)?land|(?:Pana|Pani|Państwa)\s+kraj(?:u|em|owi)?|seu\s+(?:próprio\s+)?país"
)
OWN_COUNTRY = re.compile(
    rf"\b(?:{_OWN})\b[ \t]*[,:(–—-]?[ \t]*(?P<name>[^\W\d_][\w'’-]*(?:[ \t]+[\w'’-]+){{0,4}})",
    re.IGNORECASE,
)
# Cheap words to look for first: most lines of a letter name no "country" at all.
_OWN_HINTS = ("countr", "pays", "Land", "land", "país", "pais", "paese", "Paese", "kraj")


def own_countries(text: str) -> tuple[tuple[str, str, int], ...]:
    """The countries a line names as its addressee's own ("your country, Germany"): each
    country's code, the words as written, and their column."""
    if not any(hint in text for hint in _OWN_HINTS):
        return ()
    found = []
    for match in OWN_COUNTRY.finditer(text):
        written = match.group("name").split()
        at = country_at(normalise(" ".join(written)).split())
        if at is not None:
            phrase = text[match.start() : match.end("name")]
            found.append((at[0], phrase, match.start()))
    return tuple(found)


# Words before a country in a title that make it the country the office is held for ("of
# Italy") and not the one it is held in ("to France", "in Berlin").
_HELD_IN = frozenset("to in at aupres en bei presso ante przy junto na w we".split())  # noqa: SIM905


@functools.lru_cache(maxsize=1024)
def _title_countries(title: str) -> tuple[str | None, str | None]:
    """The country a title is held for ("Ambassador of Italy": IT) and the one it names as
    where it is held ("... to France": FR), each None when the title names none."""
    words = normalise(title).split()
    own = host = None
    at = 0
    while at < len(words):
        found = country_at(words[at:])
        if found is None:
            at += 1
            continue
        before = words[at - 1] if at else ""
        if before in _HELD_IN:
            host = host or found[0]
        else:
            own = own or found[0]
        at += found[1]
    return own, host


def recipient_country(fields: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """The recipient's own country and what says so: (code, field, its value).

    The country an office is held for, as its title names it ("Ambassador of Italy to
    France": Italy), else the record's ``country`` (a name or code), else the last line of its
    address when that is a country. An ambassador's ``country`` is where the embassy is, so a
    title naming only where the office is held ("Ambassador to France") tells nothing.
    """
    title = fields.get("title")
    host = None
    if isinstance(title, str) and title.strip():
        own, host = _title_countries(title)
        if own is not None:
            return own, "title", title.strip()
    country = fields.get("country")
    if isinstance(country, str) and country.strip():
        code = country_code(country)
        if code is not None and code != host:
            return code, "country", country.strip()
        return None
    address = fields.get("address")
    lines = (
        address.splitlines()
        if isinstance(address, str)
        else [str(a) for a in address]
        if isinstance(address, list)
        else []
    )
    last = lines[-1].strip() if lines else ""
    code = country_code(last) if last else None
    if code is not None and code != host:
        return code, "address", last
    return None
