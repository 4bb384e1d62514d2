"""The letter-level values of a Word template: ``NAME.yaml`` beside ``NAME.docx``.

A .docx has no front matter; what a text template keeps there (``place``, ``date``, ``locale``,
``sender``, ...) lives in a YAML file with the template's stem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lettergen.errors import TemplateError
from lettergen.inputs.textfiles import load_yaml_value, read_text


def sidecar(path: Path) -> Path:
    """Return where the letter-level values of the Word template ``path`` live: ``NAME.yaml``."""
    return path.with_suffix(".yaml")


def sidecar_meta(path: Path, encoding: str | None) -> dict[str, Any]:
    """Read the letter-level values of a Word template from ``NAME.yaml`` beside it."""
    values = sidecar(path)
    if not values.is_file():
        return {}
    meta = load_yaml_value(read_text(values, TemplateError, encoding), values, TemplateError)
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise TemplateError(
            "letter values of a Word template must be a mapping (key: value lines)",
            path=values,
            line=1,
        )
    return meta
