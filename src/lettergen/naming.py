"""Readable ASCII ids, and file names that are safe on every common filesystem."""

from __future__ import annotations

import re
import unicodedata

# Names Windows refuses for a file whatever its extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]+')
_SEPARATORS = re.compile(r"[/\\]+")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# A name that safe_filename keeps as it is: ASCII letters, digits, "_", "-" and inner dots,
# neither starting nor ending with "-" or ".", within MAX_NAME_BYTES (checked in the code).
_KEPT = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")
# Leaves room for a suffix and a staging prefix within the common 255-byte limit.
MAX_NAME_BYTES = 120


def slugify(text: str) -> str:
    """Return ``text`` as a lower-case ASCII slug: ``"Élise Lucet"`` -> ``"elise-lucet"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", ascii_text.lower()).strip("-")


def safe_filename(name: str) -> str:
    """Return ``name`` made safe as a single file name in any folder.

    Path separators never survive, so a name cannot leave the output folder: ``../../etc/passwd``
    becomes ``etc-passwd``. Control and Windows-forbidden characters become ``-``, leading dots
    and trailing dots or spaces go, reserved Windows names get a ``_`` and the length is capped.
    Returns ``""`` when nothing usable is left.
    """
    # Most names (ids, slugs) need none of the work below: one match tells.
    if (
        len(name) <= MAX_NAME_BYTES
        and _KEPT.fullmatch(name)
        and name.split(".")[0].lower() not in _RESERVED
    ):
        return name
    return _cleaned(name)


def _cleaned(name: str) -> str:
    """Return ``name`` made safe (see :func:`safe_filename`), the long way."""
    name = unicodedata.normalize("NFC", name)
    parts = [p for p in _SEPARATORS.split(name) if p.strip(" .")]
    name = "-".join(parts)
    name = _UNSAFE.sub("-", name)
    name = re.sub(r"\s+", " ", name).strip(" .-").lstrip(".")
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(" .-")
    if name.split(".")[0].lower() in _RESERVED:
        name = f"{name}_"
    return name
