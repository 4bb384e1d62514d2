"""Whether the fonts a Word letter asks for are there to print it.

LibreOffice prints a letter in whatever fontconfig offers for a font it lacks, without a word: a
letterhead set in Arial on a machine with DejaVu only becomes wider type, and a one-page letter
two pages. Before converting, the writers ask fontconfig (``fc-match``) for each font a letter
names, and warn when the one it would use is neither that font nor one made to the same metrics
(Liberation Sans for Arial, Carlito for Calibri...).
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import zipfile

from lettergen.errors import Warn

# Fonts made to the metrics of others: a letter set in the first prints the same in the second.
METRIC_COMPATIBLE = {
    "arial": "liberation sans",
    "helvetica": "liberation sans",
    "times new roman": "liberation serif",
    "times": "liberation serif",
    "courier new": "liberation mono",
    "calibri": "carlito",
    "cambria": "caladea",
}
# The parts of a letter that name the fonts of its text, and how they name them (numbering's
# bullets name symbol fonts, which LibreOffice maps to its own OpenSymbol).
_PARTS = re.compile(r"word/(?:styles|document|header\d*|footer\d*)\.xml")
_SYMBOLS = frozenset(("symbol", "wingdings", "wingdings 2", "wingdings 3", "webdings"))
_FONT = re.compile(rb'w:(?:ascii|hAnsi)="([^"]+)"')
_INSTALL = "apt-get install fonts-liberation fonts-crosextra-carlito fonts-crosextra-caladea"


def fonts_of(docx: bytes) -> list[str]:
    """The fonts a DOCX names for its text (explicitly, not through the theme), sorted."""
    found: set[str] = set()
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            for name in archive.namelist():
                if _PARTS.fullmatch(name):
                    names = _FONT.findall(archive.read(name))
                    found.update(font.decode("utf-8", "replace") for font in names)
    except zipfile.BadZipFile:
        return []  # not a document: LibreOffice says so when it converts it
    return sorted(font for font in found if font.casefold() not in _SYMBOLS)


@functools.lru_cache(maxsize=64)
def substitute(font: str) -> str | None:
    """The font fontconfig prints ``font`` in when it is missing, or None when it is there (or a
    font of the same metrics is), or when fontconfig cannot be asked."""
    program = shutil.which("fc-match")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "-f", "%{family}", font], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    family = done.stdout.split(",")[0].strip()
    if done.returncode != 0 or not family:
        return None
    given = family.casefold()
    if given == font.casefold() or given == METRIC_COMPATIBLE.get(font.casefold()):
        return None
    return family


def warn_missing_fonts(docx: bytes, warn: Warn) -> None:
    """Warn, naming each font and its substitute, about fonts this machine lacks."""
    for font in fonts_of(docx):
        used = substitute(font)
        if used is not None:
            warn(
                f"warning: the letters ask for the font '{font}', which is not installed: "
                f"LibreOffice will print them in '{used}', which may change their layout "
                f"(install '{font}' or a font of its metrics, e.g. {_INSTALL})"
            )
