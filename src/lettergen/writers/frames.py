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
from typing import Any

from lettergen.checks.window import PRESETS, AddressField, address_field_of

__all__ = ["PRESETS", "AddressField", "address_field_of"]

_TWIPS_PER_MM = 1440 / 25.4


def twips(mm: float) -> int:
    """Return ``mm`` millimetres in twentieths of a point, Word's unit of page measure."""
    return round(mm * _TWIPS_PER_MM)


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


def rise(field: AddressField, lines: int) -> int:
    """Return how far, in twips, an address of ``lines`` lines starts above the address zone.

    The zone holds six lines; a longer address (an organisation's name split in two, a country
    line) moves up into the remark zone, which lettergen leaves empty, so that its last line
    still lies inside the window (together with its return-address line, if any)."""
    line = round(line_height(field.size) * 20)
    room = twips(field.height - field.zone)
    # Half a line more: the last line's descenders and the box pdftotext reads reach below it.
    return max(0, min(lines * line + line // 2 - room, twips(field.zone) - line))


def address_spacing(field: AddressField, has_return: bool, lines: int = 1) -> str:
    """Return the ``w:spacing`` and ``w:ind`` of the address paragraph: it starts at the
    address zone (right below the return-address line when there is one), higher for an
    address longer than the zone (see :func:`rise`)."""
    line = round(line_height(field.size) * 20)
    before = 0 if has_return else twips(field.zone) - rise(field, lines)
    return (
        f'<w:spacing w:before="{before}" w:after="0" w:line="{line}" w:lineRule="exact"/>'
        f'<w:ind w:left="{twips(field.indent)}" w:right="0" w:firstLine="0"/>'
    )


def return_paragraph(field: AddressField, text: str, lines: int = 1) -> str:
    """Return the paragraph of the return address: small underlined type whose line ends at
    the bottom of the field's top zone, right above the address (higher, with the address,
    for an address longer than the zone)."""
    line = line_height(field.return_size)
    before = max(0, twips(field.zone) - round(line * 20) - rise(field, lines))
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
