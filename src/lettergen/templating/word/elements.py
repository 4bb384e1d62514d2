"""The WordprocessingML elements and parts a Word template is made of, by name."""

from __future__ import annotations

import re

from lettergen.ooxml import W_NS, XML_NS

W = W_NS


XML_SPACE = f"{{{XML_NS}}}space"


def w_name(name: str) -> str:
    return f"{{{W}}}{name}"


W_P, W_R, W_T, W_PPR, W_RPR = w_name("p"), w_name("r"), w_name("t"), w_name("pPr"), w_name("rPr")


W_TBL, W_TR, W_TC, W_SDT, W_SDTCONTENT = (
    w_name("tbl"),
    w_name("tr"),
    w_name("tc"),
    w_name("sdt"),
    w_name("sdtContent"),
)


W_TAB, W_BR, W_CR, W_SECTPR = w_name("tab"), w_name("br"), w_name("cr"), w_name("sectPr")


W_TXBX, W_NBH = w_name("txbxContent"), w_name("noBreakHyphen")


WP_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


W_BOOKMARK_START, W_BOOKMARK_END = w_name("bookmarkStart"), w_name("bookmarkEnd")


# The variable holding a letter's place in a combined document, to keep ids unique there.
LETTER_NUMBER = "_lettergen_letter"


# The parts of a .docx whose text may hold tags.
TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")


# A paragraph holding any of these is content, even if its text is only a block tag.
CONTENT_ELEMENTS = frozenset(
    w_name(n)
    for n in (
        "drawing",
        "pict",
        "object",
        "br",
        "tab",
        "cr",
        "ptab",
        "sym",
        "fldChar",
        "instrText",
        "fldSimple",
        "footnoteReference",
        "endnoteReference",
        "commentReference",
        "noBreakHyphen",
        "txbxContent",
    )
)
