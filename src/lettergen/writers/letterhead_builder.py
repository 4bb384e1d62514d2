"""Building letterheads: the Word documents whose page setup, styles, header and footer
letters inherit.

:func:`build_letterhead` makes the clean default (A4, 2.5 cm margins, 10 pt Arial) and, given a
signatory profile, one with the signatory's name in the header and offices in the footer.
``templates/make_letterheads.py`` writes the shipped ``.docx`` files with it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

from lettergen.writers.zipwriter import Archive, read_members

FONT = "Arial"
# A signatory's letterhead sets the body in 11 pt Times New Roman (Liberation Serif prints it
# to the same metrics): in Arial the sample appeal, in French, does not fit one page below a
# window envelope's address field.
BODY_FONT = "Times New Roman"
GREY = (0x59, 0x59, 0x59)
_AFTER_BORDER = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def build_letterhead(sender: Mapping[str, Any] | None = None) -> bytes:
    """Return a letterhead ``.docx``: the clean default, or one for ``sender`` (a profile)."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    for paragraph in list(document.paragraphs):
        paragraph._element.getparent().remove(paragraph._element)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = Cm(2.5)
    section.right_margin = Cm(2.0 if sender else 2.5)
    section.top_margin = Cm(3.0 if sender else 2.5)
    section.bottom_margin = Cm(2.0 if sender else 2.5)
    section.header_distance = Cm(1.2)
    section.footer_distance = Cm(1.0 if sender else 1.2)

    styles = document.styles
    normal = styles["Normal"]
    body_font = BODY_FONT if sender else FONT
    normal.font.name = body_font
    normal.font.size = Pt(11 if sender else 10)
    # East-Asian and complex-script text (Greek, Arabic, Hebrew) take the same font.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:eastAsia", "w:cs"):
        fonts.set(_qn(attribute), body_font)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(5 if sender else 6)
    # A signatory's letter: 11 pt on DIN 5008's 4.23 mm line (12 pt).
    normal.paragraph_format.line_spacing = Pt(12) if sender else 1.0
    normal.paragraph_format.widow_control = True

    date = styles.add_style("Date", WD_STYLE_TYPE.PARAGRAPH)
    date.base_style = normal
    date.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    subject = styles.add_style("Subject", WD_STYLE_TYPE.PARAGRAPH)
    subject.base_style = normal
    subject.font.bold = True
    subject.paragraph_format.space_after = Pt(8)
    subject.paragraph_format.keep_with_next = True
    signature = styles.add_style("Signature Block", WD_STYLE_TYPE.PARAGRAPH)
    signature.base_style = normal
    signature.paragraph_format.keep_together = True
    signature.paragraph_format.keep_with_next = True
    for name in ("Header", "Footer"):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(8.5 if name == "Header" or not sender else 7)
        style.font.color.rgb = RGBColor(*GREY)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing = 1.0

    if sender:
        _header(section.header, sender, Pt, RGBColor)
        _footer(section.footer, sender, Cm)
    _slim(document)
    properties = document.core_properties
    properties.author = str(sender.get("name", "")) if sender else ""
    properties.title = "Letterhead"
    properties.comments = "Made by lettergen's templates/make_letterheads.py"
    fixed = dt.datetime(2015, 5, 25, tzinfo=dt.UTC)
    properties.created = properties.modified = properties.last_printed = fixed
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    # Repacked with fixed timestamps, so that the same profile always gives the same bytes.
    return Archive(read_members(buffer.getvalue())).to_bytes()


# The styles a letterhead keeps of python-docx's template (it has some 160).
KEEP_STYLES = {
    "Normal",
    "Default Paragraph Font",
    "Normal Table",
    "No List",
    "Table Grid",
    "Header",
    "Footer",
    "Title",
    "Subtitle",
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "List Paragraph",
    "List Bullet",
    "List Number",
    "Quote",
    "Strong",
    "Emphasis",
    "Hyperlink",
    "Date",
    "Subject",
    "Signature Block",
}


_KEEP = {name.lower() for name in KEEP_STYLES}


def _slim(document: Any) -> None:
    """Drop what python-docx's template carries and letters never use.

    Every letter copies the letterhead's parts: a lean letterhead makes small, fast letters.
    """
    # A thumbnail of an empty page, Word 2010's duplicate of the styles, sample custom XML.
    unused = ("/thumbnail", "/stylesWithEffects", "/customXml")
    for rels in (document.part.package.rels, document.part.rels):
        for key, rel in list(rels.items()):
            if rel.reltype.endswith(unused):
                del rels[key]
    styles = document.styles.element
    for child in list(styles):
        if child.tag == _qn("w:latentStyles"):
            styles.remove(child)
        elif child.tag == _qn("w:style"):
            name = child.find(_qn("w:name"))
            label = "" if name is None else str(name.get(_qn("w:val")))
            # Word's own styles are named in lower case inside the file ("heading 1").
            if label.lower().removesuffix(" char") not in _KEEP:
                styles.remove(child)


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return str(qn(tag))


def _header(header: Any, sender: Mapping[str, Any], pt: Any, rgb: Any) -> None:
    first = header.paragraphs[0]
    name = first.add_run(str(sender.get("name", "")))
    name.bold = True
    name.font.size = pt(15)
    name.font.color.rgb = rgb(0x1F, 0x3A, 0x5F)
    details = [str(sender[key]) for key in ("role", "group", "country") if sender.get(key)]
    if details:
        header.add_paragraph(" · ".join(details))
    rule = header.add_paragraph()
    _bottom_border(rule)


def _footer(footer: Any, sender: Mapping[str, Any], cm: Any) -> None:
    """The offices, one line each: the only place the letter gives them."""
    offices = [o for o in sender.get("offices") or [] if isinstance(o, Mapping)]
    top = footer.paragraphs[0]
    _top_border(top)
    for number, office in enumerate(offices):
        paragraph = top if number == 0 else footer.add_paragraph(style="Footer")
        city = paragraph.add_run(str(office.get("city") or ""))
        city.bold = True
        # The first address line names the institution, which the header says already.
        lines = [str(line) for line in office.get("address") or []][1:]
        if office.get("phone"):
            lines.append(f"Tel. {office['phone']}")
        paragraph.add_run(("  " if city.text else "") + " · ".join(lines))


def _border(paragraph: Any, side: str) -> None:
    from docx.oxml import OxmlElement

    p_pr = paragraph._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    edge = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "4"), ("w:color", "1F3A5F")):
        edge.set(_qn(key), value)
    borders.append(edge)
    # The schema orders a paragraph's properties: w:pBdr comes before these.
    p_pr.insert_element_before(borders, *_AFTER_BORDER)


def _bottom_border(paragraph: Any) -> None:
    _border(paragraph, "bottom")


def _top_border(paragraph: Any) -> None:
    _border(paragraph, "top")
