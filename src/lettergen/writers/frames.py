"""The address window of a Word letter: where the recipient's address is printed so that a
window envelope shows it (DIN 5008 form A or B, or a DL or C5 window), and the information
block beside it that holds the date and reference.

A template's front matter names the field (``address_field: din5008-b``, or a mapping of mm
values), and its ``blocks:`` rules say which block goes there (``{at: 1, place: address}``)
and which beside it (``{at: 2, place: info}``). The blocks become Word frames
(``w:framePr``), placed from the page's edge, so that they stand in the window whatever the
letterhead's margins; the signatory's ``return_address`` is printed above the address in small
underlined type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lettergen.errors import TemplateError

_TWIPS_PER_MM = 1440 / 25.4


def twips(mm: float) -> int:
    """Return ``mm`` millimetres in twentieths of a point, Word's unit of page measure."""
    return round(mm * _TWIPS_PER_MM)


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
        if key == "font":
            if not isinstance(item, str) or not item:
                raise fail("'font' is the name of a font, like Arial")
            changes[key] = item
        elif key in _NUMBERS:
            if isinstance(item, bool) or not isinstance(item, int | float) or item < 0:
                raise fail(f"'{key}' is a number of mm (points for sizes), not {item!r}")
            changes[key] = float(item)
        else:
            raise fail(f"unknown key '{key}' (known: preset, font, {', '.join(_NUMBERS)})")
    return replace(PRESETS[str(preset)], **changes)


def frame(field: AddressField, place: str) -> str:
    """Return the ``w:framePr`` that puts a paragraph in the field or its information block.

    Paragraphs with the same frame properties share one frame; nothing prints beside it.
    """
    if place == "info":
        x, y, w, rule = field.info_left, field.info_top, field.info_width, ""
        height = ""
    else:
        x, y, w = field.left, field.top, field.width
        height = f' w:h="{twips(field.height)}"'
        rule = ' w:hRule="atLeast"'
    return (
        f'<w:framePr w:w="{twips(w)}"{height}{rule} w:wrap="notBeside" w:vAnchor="page" '
        f'w:hAnchor="page" w:x="{twips(x)}" w:y="{twips(y)}"/>'
    )


def run_properties(field: AddressField, size: float, underline: bool = False) -> str:
    """Return the ``w:rPr`` of text in the field: its font and size, as measured."""
    font = field.font.replace("&", "&amp;").replace('"', "&quot;")
    fonts = f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}"/>'
    half = round(size * 2)
    line = '<w:u w:val="single"/>' if underline else ""
    return f'<w:rPr>{fonts}{line}<w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>'


def line_height(size: float) -> float:
    """Return the exact line height in points of ``size``-point type in the field."""
    return round(size * 1.1, 1)


def address_spacing(field: AddressField, has_return: bool) -> str:
    """Return the ``w:spacing`` and ``w:ind`` of the address paragraph: it starts at the
    address zone (right below the return-address line when there is one)."""
    before = 0 if has_return else twips(field.zone)
    line = round(line_height(field.size) * 20)
    return (
        f'<w:spacing w:before="{before}" w:after="0" w:line="{line}" w:lineRule="exact"/>'
        f'<w:ind w:left="{twips(field.indent)}" w:right="0" w:firstLine="0"/>'
    )


def return_paragraph(field: AddressField, text: str) -> str:
    """Return the paragraph of the return address: small underlined type whose line ends at
    the bottom of the field's top zone, right above the address."""
    line = line_height(field.return_size)
    before = max(0, twips(field.zone) - round(line * 20))
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"<w:p><w:pPr>{frame(field, 'address')}"
        f'<w:spacing w:before="{before}" w:after="0" w:line="{round(line * 20)}" '
        f'w:lineRule="exact"/><w:ind w:left="{twips(field.indent)}" w:right="0" '
        f'w:firstLine="0"/></w:pPr><w:r>{run_properties(field, field.return_size, True)}'
        f'<w:t xml:space="preserve">{escaped}</w:t></w:r></w:p>'
    )


def return_address(sender: Any) -> str:
    """Return the signatory's return-address line (``return_address``: text or a list of
    parts, joined with middle dots), or "" when the profile has none."""
    if not isinstance(sender, Mapping):
        return ""
    value = sender.get("return_address")
    if isinstance(value, list):
        return " · ".join(str(part) for part in value if part)
    return str(value) if isinstance(value, str) else ""
