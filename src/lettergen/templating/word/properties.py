"""A Word template's document properties (title, subject, custom properties) as templates.

``docProps/core.xml`` and ``docProps/custom.xml`` may hold tags too (``{{ recipient.name }}`` in
the title): they are rendered for each letter like the document's text, so Word, the PDF and a
file browser show the letter's own title. A content control bound to a property
(``w:dataBinding``) shows a copy of the property's value that Word refreshes only sometimes
(LibreOffice never): its text is made the property's template, so it shows the rendered value.
"""

from __future__ import annotations

from typing import Any

from lettergen.errors import TemplateError
from lettergen.templating.word.elements import W_T, w_name
from lettergen.templating.word.paragraphs import ParagraphPlace, PartSource
from lettergen.templating.word.source import Holes, assemble
from lettergen.templating.word.tags import (
    PLACEHOLDER_END,
    PLACEHOLDER_START,
    find_tags,
    tag_text,
)

PROPERTY_PARTS = frozenset({"docProps/core.xml", "docProps/custom.xml"})


def _name(element: Any) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def templated_properties(root: Any) -> dict[str, str]:
    """Return the properties (by element name: ``title``, ...) of a part that hold a tag."""
    return {
        _name(e): e.text
        for e in root.iter()
        if isinstance(e.tag, str) and e.text and ("{{" in e.text or "{%" in e.text)
    }


def property_sources(root: Any, label: str, path: Any) -> tuple[PartSource, PartSource] | None:
    """Return the XML and plain-text Jinja sources of a property part, None if it has no tag.

    The tree is changed on the way (tags become placeholders).
    """
    holes: Holes = []
    text = PartSource()
    number = 0
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.text or "{" not in element.text:
            continue
        value = element.text
        about = ParagraphPlace(label, number + 1, f"{_name(element)}: {value}")
        try:
            spans = find_tags(value)
        except ValueError as exc:
            raise TemplateError(
                f"{about.describe()}: template syntax error: {exc}", path=path
            ) from None
        if not spans:
            continue
        number += 1
        text.mark(about)
        pieces, pos = [], 0
        for start, end in spans:
            tag = tag_text(value[start:end])
            text.add_text(value[pos:start])
            text.add_tags([tag], xml=False)
            holes.append(([tag], about))
            pieces += [value[pos:start], f"{PLACEHOLDER_START}{len(holes) - 1}{PLACEHOLDER_END}"]
            pos = end
        text.add_text(value[pos:])
        text.add("\n")
        element.text = "".join(pieces) + value[pos:]
    if not holes:
        return None
    return assemble(root, holes), text


def bind_controls(document: Any, properties: dict[str, str]) -> None:
    """Give each content control bound to a templated core property the property's template."""
    for binding in document.iter(w_name("dataBinding")):
        xpath = binding.get(w_name("xpath"), "")
        # Word writes "/ns1:coreProperties[1]/ns0:title[1]": the last step names the property.
        step = xpath.rstrip("/").rsplit("/", 1)[-1].split("[", 1)[0].rsplit(":", 1)[-1]
        template = properties.get(step)
        sdt = binding.getparent().getparent() if binding.getparent() is not None else None
        content = sdt.find(w_name("sdtContent")) if sdt is not None else None
        if template is None or content is None:
            continue
        texts = list(content.iter(W_T))
        if texts:
            texts[0].text = template
            for t in texts[1:]:
                t.text = ""
