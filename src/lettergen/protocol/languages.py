"""Which languages a salutation is written in, from the words it opens with.

A German "Sehr geehrter Herr Bundesminister," in an English letter is a slip from the data (a
column copied from another campaign); the opening words tell the language well enough to warn.
Some openings belong to several languages ("Caro" is Italian and Portuguese): all are returned.
"""

from __future__ import annotations

import functools

from lettergen.protocol.words import normalise

# Normalised opening words -> the languages that open a letter so.
_OPENINGS: dict[str, frozenset[str]] = {
    words: frozenset(languages.split())
    for words, languages in {
        "dear": "en",
        "my dear": "en",
        "your excellency": "en",
        "your majesty": "en",
        "madam": "en",
        "sir": "en",
        "monsieur": "fr",
        "madame": "fr",
        "cher": "fr",
        "chere": "fr",
        "excellence": "fr",
        "sehr geehrte": "de",
        "sehr geehrter": "de",
        "liebe": "de",
        "lieber": "de",
        "exzellenz": "de",
        "estimado": "es",
        "estimada": "es",
        "querido": "es",
        "querida": "es",
        "excelentisimo": "es",
        "excelentisima": "es",
        "gentile": "it",
        "gentilissimo": "it",
        "gentilissima": "it",
        "egregio": "it",
        "egregia": "it",
        "onorevole": "it",
        "illustre": "it",
        "caro": "it pt",
        "cara": "it pt",
        "geachte": "nl",
        "hooggeachte": "nl",
        "beste": "nl",
        "excellentie": "nl",
        "szanowny": "pl",
        "szanowna": "pl",
        "szanowni": "pl",
        "wielce szanowny": "pl",
        "wielce szanowna": "pl",
        "exmo": "pt",
        "exma": "pt",
        "prezado": "pt",
        "prezada": "pt",
    }.items()
}
_LONGEST = max(len(words.split()) for words in _OPENINGS)


@functools.lru_cache(maxsize=1024)
def salutation_languages(text: str) -> frozenset[str]:
    """The languages whose letters open with ``text``'s first words (empty: not known)."""
    words = normalise(text).split()
    for size in range(min(_LONGEST, len(words)), 0, -1):
        found = _OPENINGS.get(" ".join(words[:size]))
        if found is not None:
            return found
    return frozenset()
