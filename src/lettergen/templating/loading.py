"""Which kind of template a file is: a Word template for ``.docx``, a text template otherwise.

The one module that knows both kinds, so that neither kind's module imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lettergen.templating.environment import LetterTemplate
from lettergen.templating.word.template import WordTemplate


def load_template(
    path: Path, encoding: str | None = None, field_map: Mapping[str, str] | None = None
) -> LetterTemplate:
    """Return the template at ``path``: a Word template for ``.docx``, a text template otherwise.

    ``field_map`` (column header -> field) also renames a Word merge field's name.
    """
    if path.suffix.lower() == ".docx":
        return WordTemplate(path, encoding, field_map)
    return LetterTemplate(path, encoding)
