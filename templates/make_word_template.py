"""Write ``appeal.docx``, the sample Word template, so that it can be made again.

    python templates/make_word_template.py

The document is the sample appeal (``appeal.txt.j2``) as a Word user would type it, with its
letter-level values in ``appeal.yaml``. Several tags are deliberately split across runs the
way Word splits them after edits and spell-checks: braces, name and filter in different runs,
half a tag bold, a spell-check mark and a bookmark inside a tag, typographic quotes inside a
tag. ``lettergen render templates/appeal.docx recipients/french-government.yaml -f docx``
must still fill it in; its plain text (``-f txt``) is the text template's letter.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from lettergen.writers.frames import PRESETS, address_spacing, frame, twips
from lettergen.writers.letterhead_builder import build_letterhead
from lettergen.writers.zipwriter import Archive, read_members

HERE = Path(__file__).resolve().parent
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def mark(paragraph: Any, tag: str, **attributes: str) -> None:
    """Append a non-text element (``w:proofErr``, ``w:bookmarkStart``) to ``paragraph``."""
    element = OxmlElement(tag)
    for key, value in attributes.items():
        element.set(qn(key), value)
    paragraph._p.append(element)


def etree_paragraph(xml: str) -> Any:
    """Return the paragraph ``xml`` (WordprocessingML, ``w:`` prefix) as an element."""
    return parse_xml(xml.replace("<w:p>", f"<w:p {_W}>", 1))


def line_break(paragraph: Any) -> None:
    """Append a run holding only a line break (Shift+Enter in Word)."""
    paragraph.add_run().add_break()


def framed(paragraph: Any, place: str) -> None:
    """Put ``paragraph`` in DIN 5008 form B's address field (or the information block beside
    it), as the text template's ``address_field`` does: a frame placed from the page's edge."""
    field = PRESETS["din5008-b"]
    properties = paragraph._p.get_or_add_pPr()
    xml = frame(field, place)
    if place == "address":
        xml += address_spacing(field, has_return=True)
    holder = parse_xml(f"<w:pPr {_W}>{xml}</w:pPr>")
    for child in list(holder):
        properties.append(child)


def body_paragraphs() -> list[str]:
    """Return the long paragraphs of the text template's body, as Word paragraphs."""
    text = (HERE / "appeal.txt.j2").read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    return [block for block in re.split(r"\n\s*\n", body) if len(block) > 200]


def build() -> Any:
    """Return the sample Word template as a python-docx Document."""
    # Lean like the shipped letterheads: python-docx's own template carries some 800 KB of
    # styles and a thumbnail that every letter would copy.
    document = Document(io.BytesIO(build_letterhead()))
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.0)
    normal = document.styles["Normal"]
    # 11 pt Times New Roman (Liberation Serif) on a 12 pt line: one page below the window.
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(5)
    normal.paragraph_format.line_spacing = Pt(12)

    # Header: the signatory, right-aligned; "{{ sender.name }}" split after its braces.
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # The name takes the formatting of the run its tag starts in: "{{ " is bold, 13 pt, blue.
    for piece in ("{{ ", "sender.name }}"):
        name = header.add_run(piece)
        name.bold = True
        name.font.size = Pt(13)
        name.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    line_break(header)
    role = header.add_run("{{ sender.role }} ({{ sender.group }})")
    role.font.size = Pt(9.5)

    # Footer: the offices, one per line, through a loop inside one paragraph.
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in (
        "{% for office in sender.offices %}{{ office.address[1:] | join(', ') }}",
        " · {{ office.phone }}{% if not loop.last %}",
        None,
        "{% endif %}{% endfor %}",
    ):
        if text is None:
            line_break(footer)
            continue
        run = footer.add_run(text)
        run.font.size = Pt(7.5)

    field = PRESETS["din5008-b"]
    # Recipient: one paragraph holds the whole address, in the window, as the letters' own
    # address_block lays it out for the post (a line break between its lines); the tag is split
    # across runs by a spell-check mark, as Word splits it.
    recipient = document.add_paragraph()
    framed(recipient, "address")
    recipient.add_run("{% for line in recipient | ")
    mark(recipient, "w:proofErr", **{"w:type": "spellStart"})
    recipient.add_run("address_block")
    mark(recipient, "w:proofErr", **{"w:type": "spellEnd"})
    recipient.add_run(" %}{{ line }}")
    recipient.add_run("{% if not loop.last %}")
    line_break(recipient)
    recipient.add_run("{% endif %}{% endfor %}")
    for run in recipient.runs:
        run.font.name, run.font.size = field.font, Pt(field.size)

    # Date line beside the window: braces, name and filter in three runs; a spell-check mark
    # on "format_date"; the reference below it.
    date = document.add_paragraph(style="Date")
    framed(date, "info")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date.add_run("{{ letter.")
    date.add_run("place }}, {{ date | ")
    mark(date, "w:proofErr", **{"w:type": "spellStart"})
    date.add_run("format_date")
    mark(date, "w:proofErr", **{"w:type": "spellEnd"})
    date.add_run(" }}")
    line_break(date)
    date.add_run("Our ref.: {{ letter.reference }}")

    # The subject, below the field: the first paragraph of the page's flow.
    subject = document.add_paragraph(style="Subject")
    subject.paragraph_format.space_before = Pt(
        (twips(field.top + field.height + 4.23) - twips(22)) / 20
    )
    subject.add_run("Subject: {{ letter.subject }}")

    # Salutation: a bookmark in the middle of the tag, as Word leaves one after "Go back".
    salutation = document.add_paragraph()
    salutation.add_run("{{ recipient.")
    mark(salutation, "w:bookmarkStart", **{"w:id": "0", "w:name": "_GoBack"})
    salutation.add_run("salutation }}")
    mark(salutation, "w:bookmarkEnd", **{"w:id": "0"})

    for text in body_paragraphs():
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if text.startswith("{{ recipient.form_of_address }}"):
            # An edit in the middle of a field name leaves two runs.
            paragraph.add_run("{{ recipient.form_of")
            paragraph.add_run("_address }}" + text[len("{{ recipient.form_of_address }}") :])
        else:
            paragraph.add_run(text)

    # The signature block stays on one page: each of its paragraphs keeps with the next.
    closing = document.add_paragraph("{{ recipient | closing }}")
    # Room for the handwritten signature: two empty paragraphs (blank lines in the text),
    # 25 mm and 1 pt high, as the text templates' signing: 25 gives.
    closing.paragraph_format.space_after = Pt(0)
    space = []
    for height in (Cm(2.5), Pt(1)):
        empty = document.add_paragraph()
        empty.paragraph_format.space_after = Pt(0)
        empty.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        empty.paragraph_format.line_spacing = height
        space.append(empty)
    signature = document.add_paragraph()
    # Typographic quotes, as Word's autocorrect types them, inside a tag.
    signature.add_run("{{ sender.name }}")
    line_break(signature)
    signature.add_run("{{ sender.role | default(“”) }}")
    for paragraph in (closing, *space, signature):
        paragraph.paragraph_format.keep_with_next = True
        paragraph.paragraph_format.keep_together = True
    return document


def main() -> None:
    """Write appeal.docx next to this script."""
    buffer = io.BytesIO()
    document = build()
    document.core_properties.title = "Appeal (lettergen sample Word template)"
    document.core_properties.comments = "Made by lettergen's templates/make_word_template.py"
    document.save(buffer)
    # Repacked with fixed timestamps, so that running this again gives the same bytes.
    (HERE / "appeal.docx").write_bytes(Archive(read_members(buffer.getvalue())).to_bytes())


if __name__ == "__main__":
    main()
