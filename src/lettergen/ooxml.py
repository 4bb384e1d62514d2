"""What every Word document obeys: the Office Open XML namespaces and the characters XML forbids.

Both sides of a Word letter need these rules: the template side refuses a Word template's value
that holds a character XML cannot hold, the writers refuse a letter that would hold one, and the
proofreader reports the record field that brought it. They live here, below all of them; so does
the section of one letter among others (:func:`letter_section`), which combined documents of
text templates, of Word templates, and of PDF letters converted together all make.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Characters XML 1.0 cannot hold at all, not even escaped.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Every byte UTF-8 may hold in XML: all but the C0 controls other than tab, newline, return.
_ALLOWED_BYTES = bytes([9, 10, 13, *range(0x20, 0x100)])
_CHAR_NAMES = {
    "\x00": "a NUL character",
    "\x08": "a backspace",
    "\x0b": "a vertical tab (Excel's line break inside a cell)",
    "\x0c": "a form feed",
}


def find_forbidden(text: str) -> str | None:
    """Return the first character of ``text`` that XML 1.0 cannot hold, or None."""
    # Bytes operations in C tell first whether there is anything to look for (docs/design.md).
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = b"\0"  # a lone surrogate
    # (A Latin-1 string answers "\ufffe" in text at once: it cannot hold it.)
    if data.translate(None, _ALLOWED_BYTES) or "\ufffe" in text or "\uffff" in text:
        found = FORBIDDEN.search(text)
        return found.group() if found else None
    return None


def describe_char(char: str) -> str:
    """Return ``U+000B, a vertical tab (...)``: a character XML cannot hold, for messages."""
    return f"U+{ord(char):04X}, {_CHAR_NAMES.get(char, 'a control character')}"


# Children of w:sectPr that come after w:pgNumType, and after w:type (ECMA-376's order).
_AFTER_PAGE_NUMBERS = frozenset(
    {"cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi"}
    | {"rtlGutter", "docGrid", "printerSettings", "sectPrChange"}
)
_AFTER_TYPE = (
    _AFTER_PAGE_NUMBERS | {"pgSz", "pgMar", "paperSrc", "pgBorders", "lnNumType"} | {"pgNumType"}
)


def _section_child(section: Any, name: str, later: frozenset[str]) -> Any:
    """Return ``section``'s child ``w:name``, made where the schema puts it if missing."""
    tag = f"{{{W_NS}}}{name}"
    found = section.find(tag)
    if found is not None:
        return found
    made = etree.Element(tag)
    follower = next(
        (c for c in section if isinstance(c.tag, str) and etree.QName(c).localname in later),
        None,
    )
    if follower is None:
        section.append(made)
    else:
        follower.addprevious(made)
    return made


def letter_section(section: Any) -> None:
    """Make a ``w:sectPr`` start a new page numbered 1: one letter's section among others (a
    combined document) lays out as that letter alone."""
    _section_child(section, "pgNumType", _AFTER_PAGE_NUMBERS).set(f"{{{W_NS}}}start", "1")
    # A "continuous" section would run the letter on after the one before.
    _section_child(section, "type", _AFTER_TYPE).set(f"{{{W_NS}}}val", "nextPage")
