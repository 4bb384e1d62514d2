"""The signatory profile: who signs the letters, read from a YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lettergen.errors import SenderError
from lettergen.inputs.textfiles import load_yaml_value, read_text


def read_sender(path: Path, encoding: str | None = None) -> dict[str, Any]:
    """Return the signatory profile in ``path`` (a YAML mapping: name, role, offices, ...).

    A relative ``signature`` image path is made absolute against the profile's folder.
    """
    value = load_yaml_value(read_text(path, SenderError, encoding), path, SenderError)
    if not isinstance(value, dict):
        raise SenderError(
            "a signatory profile is a mapping of fields (name: ..., role: ...)", path=path, line=1
        )
    signature = value.get("signature")
    if isinstance(signature, str) and signature:
        image = (path.parent / signature).resolve()
        if not image.is_file():
            raise SenderError(f"signature image not found: {image}", path=path, field="signature")
        value["signature"] = str(image)
    return value
