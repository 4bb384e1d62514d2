"""The address window's geometry, and whether each line of a letter's address fits in it.

A template's front matter declares the field (``address_field: din5008-b``, or a mapping of mm
values); its ``blocks:`` rule ``{at: 1, place: address}`` says which block of the letter is the
address. The Word writers place that block there (:mod:`lettergen.writers.frames`); the
proofreader measures each of its lines in the field's font with the font's own advance widths
(fontTools, the font file that fontconfig's ``fc-match`` names), and a line wider than the field
is a warning naming the record and the line: in the window it wraps, or hides the next line.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lettergen.errors import TemplateError
from lettergen.merge.blocks import blocks, layout, parse_rules

_MM_PER_POINT = 25.4 / 72


@dataclass(frozen=True, slots=True)
class AddressField:
    """Where the address window is on the page, in mm from its top left corner.

    ``zone`` is the height of the return-address and remark zone at the field's top; the
    address itself starts below it, ``indent`` inside the field's left edge. ``info_*`` is
    the information block beside the field (date, reference).
    """

    top: float
    left: float
    width: float
    height: float
    zone: float
    indent: float = 5.0
    font: str = "Arial"
    size: float = 10.0
    return_size: float = 7.0
    info_top: float = 50.0
    info_left: float = 125.0
    info_width: float = 65.0
    # Whether the signatory's return_address is printed above the address (it adds a line
    # to the Word letter that its text letter does not have).
    return_address: bool = False

    @property
    def text_width(self) -> float:
        """How wide an address line may be, in mm, to stay inside the field."""
        return self.width - self.indent


# DIN 5008: the field is 85 x 45 mm at 20 mm from the left, 45 mm (form B) or 27 mm (form A)
# from the top, its top 17.7 mm for the return address and remarks (5 lines of 8 pt). DL and
# C5/6 window envelopes (DIN 680) have a 90 x 45 mm window where a sheet folded for them shows
# form B's field.
PRESETS: Mapping[str, AddressField] = {
    "din5008-b": AddressField(top=45, left=20, width=85, height=45, zone=17.7),
    "din5008-a": AddressField(top=27, left=20, width=85, height=45, zone=17.7, info_top=32),
    "dl": AddressField(top=45, left=20, width=90, height=45, zone=17.7),
    "c5": AddressField(top=45, left=20, width=90, height=45, zone=17.7),
}
_NUMBERS: tuple[str, ...] = ("top", "left", "width", "height", "zone", "indent", "size")
_NUMBERS += ("return_size", "info_top", "info_left", "info_width")


def address_field_of(meta: Mapping[str, Any], source: Path | None) -> AddressField | None:
    """Return the address field a template's front matter declares (``address_field:``)."""
    value = meta.get("address_field")
    if value is None:
        return None

    def fail(message: str) -> TemplateError:
        return TemplateError(
            f"front matter 'address_field': {message}", path=source, field="address_field"
        )

    names = ", ".join(PRESETS)
    if isinstance(value, str):
        if value not in PRESETS:
            raise fail(f"unknown preset '{value}' (known: {names})")
        return PRESETS[value]
    if not isinstance(value, Mapping):
        raise fail(f"give a preset ({names}) or a mapping like {{preset: din5008-b, size: 9}}")
    preset = value.get("preset", "din5008-b")
    if preset not in PRESETS:
        raise fail(f"unknown preset '{preset}' (known: {names})")
    changes: dict[str, Any] = {}
    for key, item in value.items():
        if key == "preset":
            continue
        if key == "return_address":
            if not isinstance(item, bool):
                raise fail("'return_address' is true or false")
            changes[key] = item
        elif key == "font":
            if not isinstance(item, str) or not item:
                raise fail("'font' is the name of a font, like Arial")
            changes[key] = item
        elif key in _NUMBERS:
            if isinstance(item, bool) or not isinstance(item, int | float) or item < 0:
                raise fail(f"'{key}' is a number of mm (points for sizes), not {item!r}")
            changes[key] = float(item)
        else:
            known = ", ".join(("preset", "font", "return_address", *_NUMBERS))
            raise fail(f"unknown key '{key}' (known: {known})")
    return replace(PRESETS[str(preset)], **changes)


def address_lines(text: str, meta: Mapping[str, Any], source: Path) -> list[tuple[int, str]]:
    """Return the lines of the block a ``place: address`` rule picks, with their line numbers
    in the letter (none without such a rule, or when a rule picks no block)."""
    rules = [rule for rule in parse_rules(meta.get("blocks"), source) if rule.place == "address"]
    if not rules:
        return []
    found = blocks(text)
    try:
        layouts = layout(found, rules)
    except LookupError:
        return []  # the writer reports the rule that picks nothing
    result: list[tuple[int, str]] = []
    line = 1
    for block, item in zip(found, layouts, strict=True):
        parts = block.split("\n") if block else []
        if item.place == "address":
            result.extend((line + n, part) for n, part in enumerate(parts))
        # One blank line separates blocks; an empty paragraph is one more.
        line += len(parts) + 1 if parts else 1
    return result


@functools.lru_cache(maxsize=16)
def _advances(font: str) -> tuple[dict[int, int], int, int] | None:
    """The advance widths of ``font`` by character, its default and its units per em; None
    when fontconfig or the font file cannot be had."""
    from fontTools.ttLib import TTFont, TTLibError  # type: ignore[import-untyped]

    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", font], capture_output=True, text=True, timeout=30
        )
        face = TTFont(found.stdout.strip(), lazy=True, fontNumber=0)
        cmap = face.getBestCmap() or {}
        metrics = face["hmtx"].metrics
        widths = {code: metrics[glyph][0] for code, glyph in cmap.items() if glyph in metrics}
        return widths, metrics.get(".notdef", (0, 0))[0], int(face["head"].unitsPerEm)
    except (OSError, subprocess.SubprocessError, TTLibError, KeyError, AttributeError):
        return None


def line_width(text: str, font: str, size: float) -> float | None:
    """Return how wide ``text`` prints in ``font`` at ``size`` points, in mm (None: the font
    cannot be measured here)."""
    found = _advances(font)
    if found is None:
        return None
    widths, default, units = found
    total = sum(widths.get(ord(char), default) for char in text)
    return total / units * size * _MM_PER_POINT


def too_wide(
    text: str, meta: Mapping[str, Any], source: Path
) -> list[tuple[int, str, float, float]]:
    """Return the address lines of a letter wider than its field: (letter line, line, its
    width and the field's, in mm)."""
    field = address_field_of(meta, source)
    if field is None:
        field = PRESETS["din5008-b"]
    found = []
    for number, line in address_lines(text, meta, source):
        width = line_width(line, field.font, field.size)
        if width is not None and width > field.text_width:
            found.append((number, line, width, field.text_width))
    return found
