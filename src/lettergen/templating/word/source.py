"""A Word part's Jinja source, and the body's plain text.

Control paragraphs and rows are dropped; the XML around the tags is kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lettergen.ooxml import letter_section
from lettergen.templating.word.elements import (
    CONTENT_ELEMENTS,
    LETTER_NUMBER,
    W_BOOKMARK_END,
    W_BOOKMARK_START,
    W_NBH,
    W_P,
    W_PPR,
    W_SDT,
    W_SDTCONTENT,
    W_SECTPR,
    W_T,
    W_TAB,
    W_TBL,
    W_TC,
    W_TR,
    WP_DOCPR,
    W,
    w_name,
)
from lettergen.templating.word.paragraphs import (
    ParagraphInfo,
    ParagraphPlace,
    PartSource,
    own_texts,
)
from lettergen.templating.word.tags import (
    PLACEHOLDER_END,
    PLACEHOLDER_START,
    TAG_PLACEHOLDER,
    tag_text,
)


def ancestry(t: Any, paragraph: Any) -> tuple[str, ...]:
    """Return the element names from ``t`` up to (not including) ``paragraph``."""
    names = []
    element = t.getparent()
    while element is not None and element is not paragraph:
        names.append(element.tag)
        element = element.getparent()
    return tuple(names)


def may_break_xml(infos: Mapping[Any, ParagraphInfo]) -> bool:
    """Tell whether a part's tags could still produce XML that is not a valid document.

    Printed values are always escaped, and blocks were checked to open and close at one
    level; what remains is output that is not escaped (``include``, ``raw``, macros and
    ``call`` blocks, a ``filter`` block changing the XML around values) and table rows in
    loops, which can leave a table with no row at all.
    """
    risky = {"include", "import", "from", "extends", "raw", "macro", "call", "filter", "block"}
    for info in infos.values():
        if info.control and control_row(info.element, infos) is not None:
            return True
        for index, spans in info.tags.items():
            text = info.texts[index].text or ""
            for start, end in spans:
                words = text[start + 2 : end - 2].strip("-+ \t").split(None, 1)
                if text[start + 1] == "%" and words and words[0] in risky:
                    return True
    return False


def control_row(paragraph: Any, infos: Mapping[Any, ParagraphInfo]) -> Any:
    """Return the table row ``paragraph`` makes a control row, or None."""
    row = paragraph.getparent()
    row = row.getparent() if row is not None and row.tag == W_TC else None
    if row is None or row.tag != W_TR or not infos[paragraph].control:
        return None
    for other in row.iter(W_P):
        info = infos.get(other)
        if info is None or not (info.control or _is_blank(info)):
            return None
    return row


def _is_blank(info: ParagraphInfo) -> bool:
    """Tell whether a paragraph shows nothing at all (no text, no tab, no picture)."""
    return not any(t.text for t in info.texts) and not any(
        el.tag in CONTENT_ELEMENTS for el in info.element.iter() if el is not info.element
    )


def _tags(info: ParagraphInfo) -> list[str]:
    """Return the tags of a control paragraph in order, ready for Jinja.

    Whitespace control (``{%- ... -%}``) is dropped: the paragraph disappears anyway, and in
    the plain text it would swallow the blank line between the paragraphs around it.
    """
    found: list[str] = []
    for index, spans in sorted(info.tags.items()):
        text = info.texts[index].text or ""
        for start, end in spans:
            tag = tag_text(text[start:end])
            if tag[2:3] in ("-", "+"):
                tag = tag[:2] + " " + tag[3:]
            if tag[-3:-2] in ("-", "+"):
                tag = tag[:-3] + " " + tag[-2:]
            found.append(tag)
    return found


def _segments(info: ParagraphInfo) -> Iterator[tuple[bool, str]]:
    """Yield ``(is_tag, text)`` for a paragraph's text, tabs and line breaks, in order."""
    texts = {t: i for i, t in enumerate(info.texts)}
    for element in own_texts(info.element):
        if element.tag == W_T:
            text = element.text or ""
            pos = 0
            for start, end in info.tags.get(texts.get(element, -1), ()):
                if start > pos:
                    yield False, text[pos:start]
                yield True, tag_text(text[start:end])
                pos = end
            if pos < len(text):
                yield False, text[pos:]
        elif element.tag == W_TAB:
            yield False, "\t"
        elif element.tag == W_NBH:
            yield False, "-"
        else:
            yield False, "\n"


def text_of(element: Any, infos: Mapping[Any, ParagraphInfo], out: PartSource, end: str) -> None:
    """Add the plain-text template of a block element (paragraph, table, content control)."""
    tag = element.tag
    if tag == W_P:
        info = infos[element]
        out.mark(info.about)
        if info.control:
            out.add_tags(_tags(info), xml=False)
            out.break_line()
            return
        segments = list(_segments(info))
        for is_tag, text in segments:
            if is_tag:
                out.add_tags([text], xml=False)
            else:
                out.add_text(text)
        # An empty paragraph is Word's way of adding space: one blank line, not two.
        out.add(end if segments else "\n" if end else "")
    elif tag == W_TBL:
        for row in (r for r in element if r.tag == W_TR):
            control = next((p for p in row.iter(W_P) if infos[p].control), None)
            if control is not None and control_row(control, infos) is not None:
                out.mark(infos[control].about)
                tags = [tag for p in row.iter(W_P) for tag in _tags(infos[p])]
                out.add_tags(tags, xml=False)
                out.break_line()
                continue
            for number, cell in enumerate(c for c in row if c.tag == W_TC):
                if number:
                    out.add("\t")
                for index, child in enumerate(c for c in cell if c.tag in (W_P, W_TBL)):
                    if index:
                        out.add(" ")
                    text_of(child, infos, out, "")
            out.add("\n")
        out.add("\n")
    elif tag in (W_SDT, W_SDTCONTENT) or tag == w_name("customXml"):
        for child in element:
            text_of(child, infos, out, end)


def part_xml_source(root: Any, infos: Mapping[Any, ParagraphInfo]) -> PartSource:
    """Turn a part's tree into the Jinja source of its XML (the tree is changed on the way)."""
    holes: Holes = []

    def hole(tags: list[str], about: ParagraphPlace | None) -> str:
        holes.append((tags, about))
        return f"{PLACEHOLDER_START}{len(holes) - 1}{PLACEHOLDER_END}"

    def put_before(element: Any, text: str) -> None:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        else:
            parent = element.getparent()
            parent.text = (parent.text or "") + text

    done_rows: set[Any] = set()
    for paragraph, info in list(infos.items()):
        if info.control:
            row = control_row(paragraph, infos)
            if row is not None:
                if row not in done_rows:
                    done_rows.add(row)
                    tags = [tag for p in row.iter(W_P) for tag in _tags(infos[p])]
                    put_before(row, "\n" + hole(tags, info.about) + (row.tail or ""))
                    row.getparent().remove(row)
                continue
            text = "\n" + hole(_tags(info), info.about)
            if _must_stay(paragraph):
                # A cell, header or body must end with a paragraph: keep an empty one.
                for child in list(paragraph):
                    if child.tag != W_PPR:
                        paragraph.remove(child)
                put_before(paragraph, text)
                paragraph.tail = (paragraph.tail or "") + "\n"
            else:
                put_before(paragraph, text + (paragraph.tail or ""))
                paragraph.getparent().remove(paragraph)
            continue
        if paragraph.getparent() is None:
            continue
        put_before(paragraph, "\n" + hole([], info.about))
        for index, spans in info.tags.items():
            t = info.texts[index]
            text = t.text or ""
            pieces = []
            pos = 0
            for start, end in spans:
                pieces.append(text[pos:start])
                pieces.append(hole([tag_text(text[start:end])], info.about))
                pos = end
            pieces.append(text[pos:])
            t.text = "".join(pieces)
    body = root.find(w_name("body"))
    if body is not None:
        # Drawings and bookmarks need ids unique in a document, and a combined document
        # repeats the body: there, each letter's ids are moved past those of the letter before
        # (LETTER_NUMBER is the letter's place, from 0; undefined in a letter's own document).
        ids: tuple[tuple[tuple[str, ...], str], ...] = (
            ((WP_DOCPR,), "id"),
            ((W_BOOKMARK_START, W_BOOKMARK_END), w_name("id")),
        )
        for kinds, attribute in ids:
            found = [e for kind in kinds for e in body.iter(kind) if e.get(attribute, "").isdigit()]
            stride = max((int(e.get(attribute)) for e in found), default=0) + 1
            for element in found:
                paragraph = next(element.iterancestors(W_P), None)
                owner = (
                    infos[paragraph].about if paragraph in infos else ParagraphPlace("body", 0, "")
                )
                number = f"({LETTER_NUMBER} | default(0))"
                tag = f"{{{{ {element.get(attribute)} + {stride} * {number} }}}}"
                element.set(attribute, hole([tag], owner))
        # Cuts around the body's content, for a combined document of many letters.
        body.text = hole([], None) + (body.text or "")
        last = body[-1] if len(body) else None
        if last is not None and last.tag == W_SECTPR:
            put_before(last, hole([], None))
        elif last is not None:
            last.tail = (last.tail or "") + hole([], None)
        else:
            body.text += hole([], None)
    return assemble(root, holes)


Holes = list[tuple[list[str], ParagraphPlace | None]]


def assemble(root: Any, holes: Holes) -> PartSource:
    """Serialise a part's tree whose tags were replaced by placeholders for ``holes``, and
    return its Jinja source: the XML as text, each hole's tags in its place (a hole with no
    paragraph marks where the body's content starts or ends)."""
    from lxml import etree

    xml = etree.tostring(root, encoding="unicode")
    out = PartSource()
    out.add('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    pos = 0
    for match in TAG_PLACEHOLDER.finditer(xml):
        out.add_text(xml[pos : match.start()])
        tags, about = holes[int(match.group(1))]
        if about is None:
            out.cuts.append(len(out.chunks))
        else:
            out.mark(about)
            out.add_tags(tags, xml=True)
        pos = match.end()
    out.add_text(xml[pos:])
    return out


def section_break(body: Any) -> str:
    """Return a paragraph ending a letter's section in a combined document.

    It repeats the template's page setup, header and footer (the body's last ``w:sectPr``)
    and restarts page numbers, so that every letter starts on a new page numbered 1.
    """
    import copy

    from lxml import etree

    last = body[-1] if len(body) else None
    if last is None or last.tag != W_SECTPR:
        return f'<w:p xmlns:w="{W}"><w:pPr><w:sectPr/></w:pPr></w:p>'
    section = copy.deepcopy(last)
    letter_section(section)
    paragraph = etree.Element(W_P, nsmap={"w": W})
    etree.SubElement(paragraph, W_PPR).append(section)
    return str(etree.tostring(paragraph, encoding="unicode"))


def _must_stay(paragraph: Any) -> bool:
    """Tell whether a control paragraph must leave an empty paragraph behind."""
    properties = paragraph.find(W_PPR)
    if properties is not None and properties.find(W_SECTPR) is not None:
        return True
    following = paragraph.getnext()
    while following is not None:
        if following.tag in (W_P, W_TBL):
            return False
        following = following.getnext()
    return True


def check_xml(xml: str) -> str | None:
    """Return why the rendered part ``xml`` would make a broken Word document, or None."""
    from lxml import etree

    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        return (
            f"not well-formed XML ({exc}); a block tag ({{% if %}}, {{% for %}}) probably "
            "opens and closes in different places: put it alone in a paragraph, or open and "
            "close it within one paragraph"
        )
    for number, table in enumerate(root.iter(W_TBL), 1):
        # Word refuses to open a document with a table without rows.
        if table.find(W_TR) is None:
            return (
                f"table {number} has no row left (every row is inside a {{% for %}} or "
                "{% if %} that gave nothing); keep one row, a heading, outside the block"
            )
    return None
