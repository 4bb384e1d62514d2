"""The signatory profile: who signs the letters, read from a YAML file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lettergen.confine import confined
from lettergen.errors import SenderError
from lettergen.inputs.textfiles import load_yaml_value, read_text


def read_sender(
    path: Path, encoding: str | None = None, within: Sequence[Path] | None = None
) -> dict[str, Any]:
    """Return the signatory profile in ``path`` (a YAML mapping: name, role, offices, ...).

    A relative ``signature`` image path is made absolute against the profile's folder. A
    profile a template names (rather than one the user gave) may name an image only inside
    the folders ``within`` (see :mod:`lettergen.confine`).
    """
    value = load_yaml_value(read_text(path, SenderError, encoding), path, SenderError)
    if not isinstance(value, dict):
        # Nothing of the file is quoted: it may be any file, holding secrets.
        raise SenderError(
            "not a signatory profile: a profile is a YAML mapping of fields (name: ..., role: ...)",
            path=path,
        )
    signature = value.get("signature")
    if isinstance(signature, str) and signature:
        if within is None:
            image = (path.parent / signature).resolve()
        else:
            image = confined(
                signature,
                within,
                key="signature",
                named_in=path,
                error=SenderError,
                base=path.parent,
            ).resolve()
        if not image.is_file():
            raise SenderError(f"signature image not found: {image}", path=path, field="signature")
        value["signature"] = str(image)
    return value


# A language tag as a per-language value's key: "en", "fr", "fr-BE".
_LANGUAGE_KEY = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
# The language a per-language value falls back to when it lacks the letter's.
FALLBACK = "en"


def is_per_language(value: object) -> bool:
    """Tell whether a profile value holds one value per language (``{en: ..., fr: ...}``):
    a mapping whose keys are all language tags and whose values are text or lists."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and _LANGUAGE_KEY.fullmatch(k) for k in value)
        and all(isinstance(v, (str, list)) for v in value.values())
    )


def localised(value: Any, locale: str) -> Any:
    """Return ``value`` (a profile, or one of its fields) in the language of ``locale``.

    A per-language value gives its ``fr-BE`` value, else its ``fr``, else its
    :data:`FALLBACK` (English), else its first; other values are kept, and mappings and lists
    are looked into.
    """
    if is_per_language(value):
        tag = locale.replace("_", "-")
        for key in (tag, tag.split("-")[0], FALLBACK):
            if key in value:
                return value[key]
        return next(iter(value.values()))
    if isinstance(value, dict):
        return {key: localised(item, locale) for key, item in value.items()}
    if isinstance(value, list):
        return [localised(item, locale) for item in value]
    return value
