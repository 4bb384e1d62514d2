"""Which kind of template a file is: a Word template for ``.docx``, a text template otherwise.

The one module that knows both kinds, so that neither kind's module imports the other.
"""

from __future__ import annotations

from pathlib import Path

from lettergen.templating.environment import LetterTemplate
from lettergen.templating.word.template import WordTemplate


def load_template(path: Path, encoding: str | None = None) -> LetterTemplate:
    """Return the template at ``path``: a Word template for ``.docx``, a text template otherwise."""
    if path.suffix.lower() == ".docx":
        return WordTemplate(path, encoding)
    return LetterTemplate(path, encoding)
