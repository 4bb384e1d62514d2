"""Word mail-merge documents read as lettergen Word templates.

Word's Mailings tab inserts each field either as a simple field,
``<w:fldSimple w:instr=" MERGEFIELD FirstName ">`` around its display text ``«FirstName»``, or
as a complex field: runs holding ``w:fldChar begin``, the instruction in ``w:instrText`` pieces
(which Word splits where it likes), ``w:fldChar separate``, the display runs, ``w:fldChar end``;
fields nest (``IF { MERGEFIELD Gender } = "F" ...``). When a Word template is loaded, every
merge field of its body, headers, footers and notes is replaced here by one run holding the
field's lettergen tag (:mod:`lettergen.templating.word.mergecode`), formatted as the field's
first display run, so that the rest of the Word-template pipeline renders, lists and proofreads
it like a tag typed by hand. Fields that are not about the records (``PAGE``, ``DATE``, ``TOC``)
stay as they are. Word's link to its data source, ``<w:mailMerge>`` in ``word/settings.xml``,
is removed from the package the letters are copied from.

The rewritten parts are handed to the rest of the loading as the package's changed members
(:attr:`lettergen.packages.Package.changed`), which also keeps them out of any letter as they were.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lettergen.errors import TemplateError
from lettergen.ooxml import PKG_RELS_NS, R_NS
from lettergen.packages import Package
from lettergen.templating.word.elements import (
    TEXT_PARTS,
    W_P,
    W_R,
    W_RPR,
    W_T,
    XML_SPACE,
    w_name,
)
from lettergen.templating.word.fieldcodes import Field
from lettergen.templating.word.foreign import refuse_foreign_tags
from lettergen.templating.word.mergecode import MERGE_KINDS, MergeCode, is_merge_field
from lettergen.templating.word.paragraphs import ParagraphPlace, own_texts

W_FLDSIMPLE, W_FLDCHAR, W_INSTRTEXT = w_name("fldSimple"), w_name("fldChar"), w_name("instrText")
_FIELD_TYPE, _INSTR = w_name("fldCharType"), w_name("instr")
_SETTINGS = "word/settings.xml"
_SETTINGS_RELS = "word/_rels/settings.xml.rels"


def rewrite_merge_fields(
    package: Package, path: Path, field_map: Mapping[str, str] | None = None
) -> None:
    """Turn the merge fields of a Word document's text parts into lettergen tags.

    Raises :class:`TemplateError` naming the paragraph for a field lettergen cannot merge and
    for another tool's tag syntax (see :mod:`lettergen.templating.word.foreign`).
    """
    for name in package.names:
        if not TEXT_PARTS.fullmatch(name):
            continue
        data = package.read(name)
        if b"{" not in data and b"fldSimple" not in data and b"fldChar" not in data:
            continue
        root = package.xml(name)
        label = "body" if name == "word/document.xml" else name[5:-4]
        if _rewrite_part(root, label, path, field_map or {}):
            package.changed[name] = _serialise(root)
    _drop_mail_merge(package)


@dataclass
class _Open:
    """A complex field whose end has not been reached yet."""

    field: Field = field(default_factory=Field)
    in_result: bool = False


@dataclass
class _Group:
    """The runs of one outermost complex field, from its begin to its end."""

    runs: list[Any] = field(default_factory=list)
    display: Any = None  # the first run showing the field's result


def _rewrite_part(root: Any, label: str, path: Path, field_map: Mapping[str, str]) -> bool:
    """Rewrite the merge fields of one part's tree; tell whether any was found."""
    changed = False
    for number, paragraph in enumerate(list(root.iter(W_P)), 1):
        text = "".join(t.text or "" for t in own_texts(paragraph) if t.tag == W_T)
        about = ParagraphPlace(label, number, text)

        def fail(message: str, about: ParagraphPlace = about) -> TemplateError:
            return TemplateError(f"{about.describe()}: {message}", path=path)

        refuse_foreign_tags(text, fail)
        code = MergeCode(path, field_map, fail)
        changed = _simple_fields(paragraph, code) or changed
        changed = _complex_fields(paragraph, code) or changed
    return changed


def _owned(element: Any, paragraph: Any) -> bool:
    """Tell whether ``element`` belongs to ``paragraph`` itself, not to a text box in it."""
    return next(element.iterancestors(W_P), None) is paragraph


def _simple_fields(paragraph: Any, code: MergeCode) -> bool:
    found = False
    for simple in list(paragraph.iter(W_FLDSIMPLE)):
        if not _owned(simple, paragraph):
            continue
        instruction = Field([simple.get(_INSTR, "")])
        if not is_merge_field(instruction):
            continue
        display = next((r for r in simple.iter(W_R) if r.find(W_T) is not None), None)
        simple.addprevious(_tag_run(code.text(instruction), display))
        simple.getparent().remove(simple)
        found = True
    return found


def _complex_fields(paragraph: Any, code: MergeCode) -> bool:
    found = False
    stack: list[_Open] = []
    group = _Group()
    for run in [r for r in paragraph.iter(W_R) if _owned(r, paragraph)]:
        if stack:
            group.runs.append(run)
        for child in run:
            if child.tag == W_FLDCHAR:
                kind = child.get(_FIELD_TYPE)
                if kind == "begin":
                    if not stack:
                        group = _Group([run])
                    stack.append(_Open())
                elif kind == "separate" and stack:
                    stack[-1].in_result = True
                elif kind == "end" and stack:
                    done = stack.pop()
                    if stack:
                        if not stack[-1].in_result:
                            stack[-1].field.pieces.append(done.field)
                    elif is_merge_field(done.field):
                        _replace(group, code.text(done.field))
                        found = True
            elif child.tag == W_INSTRTEXT and stack and not stack[-1].in_result:
                stack[-1].field.add_text(child.text or "")
            elif child.tag == W_T and len(stack) == 1 and stack[0].in_result:
                group.display = group.display if group.display is not None else run
    if stack:
        _unfinished(stack[0].field, code)
    return found


def _unfinished(field: Field, code: MergeCode) -> None:
    """Refuse a merge field that goes on into the next paragraph (Word allows it for IF)."""
    kinds = {field.kind, *(f.kind for f in field.nested())}
    if kinds & (MERGE_KINDS | {"IF"}) and (kinds & MERGE_KINDS or "MERGEFIELD" in field.code):
        raise code.fail(
            f"the field {{{field.code.strip()}}} goes on into the next paragraph; lettergen "
            "merges fields that end in the paragraph where they start: for texts of several "
            "paragraphs, put each in its own paragraph between {% if %} and {% endif %} "
            "paragraphs"
        )


def _replace(group: _Group, source: str) -> None:
    """Put one run holding ``source`` where the field's runs were, and remove those."""
    first = group.runs[0]
    first.addprevious(_tag_run(source, group.display if group.display is not None else first))
    for run in group.runs:
        parent = run.getparent()
        if parent is not None:
            parent.remove(run)


def _tag_run(source: str, model: Any) -> Any:
    """Return a ``w:r`` holding ``source``, formatted as the run ``model`` (if any)."""
    from lxml import etree

    run = etree.Element(W_R)
    properties = model.find(W_RPR) if model is not None else None
    if properties is not None:
        run.append(copy.deepcopy(properties))
    text = etree.SubElement(run, W_T)
    text.text = source
    text.set(XML_SPACE, "preserve")
    return run


def _drop_mail_merge(package: Package) -> None:
    """Remove Word's ``<w:mailMerge>`` (the path of its data source) from the settings."""
    if not package.has(_SETTINGS) or b"mailMerge" not in package.read(_SETTINGS):
        return
    root = package.xml(_SETTINGS)
    settings = root.find(w_name("mailMerge"))
    if settings is None:
        return
    ids = {
        value
        for element in settings.iter()
        for key, value in element.attrib.items()
        if key.startswith(f"{{{R_NS}}}")
    }
    root.remove(settings)
    package.changed[_SETTINGS] = _serialise(root)
    if ids and package.has(_SETTINGS_RELS):
        rels = package.xml(_SETTINGS_RELS)
        for relationship in list(rels.iter(f"{{{PKG_RELS_NS}}}Relationship")):
            if relationship.get("Id") in ids:
                rels.remove(relationship)
        package.changed[_SETTINGS_RELS] = _serialise(rels)


def _serialise(root: Any) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
