"""Readable ASCII ids, and file names that are safe on every common filesystem."""

from __future__ import annotations

import re
import unicodedata

# Device names Windows reserves, whatever follows the first dot ("NUL.txt", "prn.backup" and
# "NUL.tar.gz" all name the device), in any case; COM and LPT take a digit or a superscript.
_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{port}{number}"
    for port in ("com", "lpt")
    for number in (*"0123456789", "\u00b9", "\u00b2", "\u00b3")
}
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
    and trailing dots or spaces go, reserved Windows device names get a ``_`` before their first
    dot (``prn.backup`` -> ``prn_.backup``) and the length is capped.
    Returns ``""`` when nothing usable is left.
    """
    # Most names (ids, slugs) need none of the work below: one match tells.
    if len(name) <= MAX_NAME_BYTES and _KEPT.fullmatch(name) and not _reserved(name):
        return name
    return _cleaned(name)


def _reserved(name: str) -> bool:
    """Tell whether Windows takes a file called ``name`` for a device (``CON``, ``nul.txt``)."""
    # Windows drops the spaces before the first dot: "CON .txt" is the console too.
    return name.split(".", 1)[0].rstrip(" ").lower() in _RESERVED


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
    if _reserved(name):
        # Before the first dot, where Windows looks: "prn.backup" becomes "prn_.backup".
        stem, dot, rest = name.partition(".")
        name = f"{stem.rstrip(' ')}_{dot}{rest}"
    return name
