"""Text as the knowledge base and the checks compare it: lower case, no accents, plain words."""

from __future__ import annotations

import functools
import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")


# The cache is small: what repeats is the template's own text and a few offices; names and
# letter lines of 100,000 recipients would fill a cache with megabytes of strings.
@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Return ``text`` lower-case, without accents, with words separated by single spaces."""
    if text.isascii():
        return " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(_NOT_WORD.sub(" ", ascii_text.casefold()).split())
