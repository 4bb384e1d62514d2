"""The signatory profile: who signs the letters, read from a YAML file."""

from __future__ import annotations

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
