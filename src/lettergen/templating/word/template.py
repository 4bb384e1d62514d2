"""Word templates: a ``.docx`` written in Word with Jinja2 tags in its text.

Word stores a paragraph as runs (``w:r``) of equally formatted text (``w:t``), and it splits
text into new runs whenever it likes: after an edit, a spell-check (``w:proofErr``), a bookmark,
or when part of a word is made bold. A tag typed as ``{{ recipient.name }}`` can therefore reach
us as ``{{`` / ``recipient.`` / ``name }}`` in three runs. Loading a Word template

1. parses every part that can hold text (``word/document.xml``, headers, footers, footnotes)
   with lxml and, paragraph by paragraph, moves the whole text of each tag into the ``w:t``
   where the tag starts, so the tag keeps the formatting of its first run;
2. turns a paragraph holding nothing but block tags (``{% if %}``, ``{% for %}``, ...) into a
   *control paragraph* that disappears from the output, and a table row holding nothing but
   control paragraphs into a *control row*, so block tags wrap whole paragraphs and table rows;
3. compiles each part into ONE Jinja template whose output is the part's XML, and the body once
   more into a template whose output is the letter's plain text.

Per letter, rendering is one ``render`` call per part; nothing is parsed again, and the writer
copies the package's other members as they are. Every printed value is XML-escaped (``S&D``
stays ``S&D``, even through ``| safe``), a newline becomes ``<w:br/>``, a tab ``<w:tab/>``, and
a character XML 1.0 forbids raises :class:`ForbiddenCharacterError` instead of producing a
corrupt file.

Choices, for the user's documentation: a control paragraph that is the last paragraph of a
table cell, header, footer or of the document leaves an empty paragraph behind (Word needs one
there); a block that opens in one paragraph must close in a paragraph of the same level (the
template is refused otherwise, naming both); typographic quotes typed in a tag are read as
straight ones; the plain text holds the body only (not headers and footers).

Letter-level values (what the front matter holds in a text template: ``place``, ``date``,
``locale``, ``sender``, ...) come from a YAML file beside the template with the same stem:
``appeal.docx`` reads ``appeal.yaml`` if it exists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from lettergen.errors import TemplateError
from lettergen.inputs.textfiles import read_bytes
from lettergen.ooxml import FORBIDDEN
from lettergen.packages import Package, open_document
from lettergen.templating.environment import (
    LetterTemplate,
    MissingFieldError,
    finish_text,
    make_environment,
    used_fields,
)
from lettergen.templating.limits import LimitError
from lettergen.templating.names import bare_fields, bare_names
from lettergen.templating.printing import PrintedContainerError
from lettergen.templating.word.elements import LETTER_NUMBER, TEXT_PARTS, W_P, W_T, W, w_name
from lettergen.templating.word.escaping import (
    ForbiddenCharacterError,
    typed_escapes,
    xml_finalizer,
)
from lettergen.templating.word.mergefields import rewrite_merge_fields
from lettergen.templating.word.paragraphs import (
    ParagraphInfo,
    ParagraphPlace,
    PartSource,
    join_tags,
    own_texts,
)
from lettergen.templating.word.properties import (
    PROPERTY_PARTS,
    bind_controls,
    property_sources,
    templated_properties,
)
from lettergen.templating.word.source import (
    ancestry,
    control_row,
    may_break_xml,
    part_xml_source,
    section_break,
    text_of,
)
from lettergen.templating.word.tags import block_kind, tag_text
from lettergen.templating.word.values import sidecar, sidecar_meta


@dataclass
class _Part:
    """One templated part of the package, compiled for XML and for plain text."""

    name: str
    label: str
    xml: jinja2.Template
    xml_source: PartSource
    text_source: PartSource
    text: jinja2.Template
    filename: str
    # A part that never names ``recipient`` (a header with the sender's name) renders the same
    # for every letter with the same sender, letter values and date: its last output is kept.
    personal: bool = True
    # The last outputs (plain text, XML) and what they were rendered from.
    last: dict[bool, tuple[tuple[Any, Any, Any], str]] = field(default_factory=dict)

    def render(self, context: Mapping[str, Any], *, text: bool = False) -> str:
        """Render the part's XML (or its plain text) for one letter."""
        template = self.text if text else self.xml
        if self.personal:
            return template.render(context)
        key = (context.get("sender"), context.get("letter"), context.get("date"))
        last = self.last.get(text)
        if last is None or last[0] != key:
            last = self.last[text] = (key, template.render(context))
        return last[1]


class WordTemplate(LetterTemplate):
    """A ``.docx`` template: same interface as :class:`LetterTemplate`, plus the DOCX output.

    ``render`` gives the letter's plain text (paragraphs separated by a blank line);
    :meth:`render_parts` gives the XML of its parts, which the DOCX writer zips.
    """

    def __init__(
        self, path: Path, encoding: str | None = None, field_map: Mapping[str, str] | None = None
    ) -> None:
        self.path = path
        self.encoding = encoding
        # Column header -> field (fields: / --map): how a Word merge field's name is read.
        self.field_map = dict(field_map or {})
        self.meta = sidecar_meta(path, encoding)
        # The files the letters depend on (for a manifest's hash): the .docx and its values.
        self.files = [path, *([sidecar(path)] if sidecar(path).is_file() else [])]
        self.source = ""
        self.body = ""
        self.first_line = 1
        self.env = make_environment(path.parent)
        # No trim_blocks: a line break in Word (<w:br/>) after a block tag must stay.
        self._text_env = typed_escapes(self.env.overlay(trim_blocks=False, lstrip_blocks=False))
        data = read_bytes(path, TemplateError)
        # What loading the package found and mended (external links removed): the run
        # reports these once (lettergen.merge.render).
        self.warnings: list[str] = []
        fail = partial(TemplateError, path=path)
        with open_document(data, fail, str(path), self.warnings.append) as package:
            self.package = package
            self._compile_parts(package)

    def _compile_parts(self, package: Package) -> None:
        names = package.names
        if "word/document.xml" not in names:
            raise TemplateError("not a Word document (.docx): no word/document.xml", path=self.path)
        rewrite_merge_fields(package, self.path, self.field_map)
        self.parts: list[_Part] = []
        self._last: tuple[Mapping[str, Any], bool] | None = None
        # Whether a letter's XML can come out broken despite the checks made here (see
        # may_break_xml); if so the writer parses each letter's XML in the checking pass.
        self.may_break_xml = False
        self.section_break = ""
        self.body_frame = ("", "")
        self._sources: dict[str, tuple[_Part, PartSource]] = {}
        core = "docProps/core.xml"
        bound = templated_properties(package.xml(core)) if core in names else {}
        for name in names:
            part = None
            if TEXT_PARTS.fullmatch(name):
                root = package.xml(name)
                if name == "word/document.xml" and bound:
                    bind_controls(root, bound)
                part = self._compile_part(name, root)
            elif name in PROPERTY_PARTS:
                part = self._compile_properties(name, package.xml(name))
            if part is not None:
                self.parts.append(part)
        self._body = next((p for p in self.parts if p.name == "word/document.xml"), None)
        # The plain-text Jinja source of every part, body first: what tools that read a text
        # template's body (the proofreading checks) read.
        # Line numbers in it (template.line) are paragraph numbers: a .docx has no lines.
        self._lines: list[tuple[int, PartSource]] = []
        texts = []
        first = 1
        for part in sorted(self.parts, key=lambda p: p is not self._body):
            if part.name in PROPERTY_PARTS:
                continue  # not text of the letter's pages
            text = part.text_source.text() + "\n"
            self._lines.append((first, part.text_source))
            texts.append(text)
            first += text.count("\n")
        self.body = self.source = "".join(texts)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the path: a worker process compiles the template again from its file."""
        return (type(self), (self.path, self.encoding, self.field_map))

    # -- building ---------------------------------------------------------------------------

    def _compile_part(self, name: str, root: Any) -> _Part | None:
        if name == "word/document.xml" and root.tag != w_name("document"):
            # "Strict Open XML Document" uses other namespaces; Word's usual format does not.
            raise TemplateError(
                "not a Word document in the usual format (perhaps saved as Strict Open XML); "
                "save it as 'Word Document (.docx)'",
                path=self.path,
            )
        label = "body" if name == "word/document.xml" else name[5:-4]
        infos: dict[Any, ParagraphInfo] = {}
        try:
            for number, paragraph in enumerate(root.iter(W_P), 1):
                about = ParagraphPlace(label, number, "")
                about.text = "".join(t.text or "" for t in own_texts(paragraph) if t.tag == W_T)
                infos[paragraph] = join_tags(paragraph, about)
        except TemplateError as error:
            raise TemplateError(error.message, path=self.path) from None
        if name != "word/document.xml" and not any(info.tags for info in infos.values()):
            return None
        self._check_blocks(root, infos)
        self.may_break_xml = self.may_break_xml or may_break_xml(infos)
        text_source = PartSource()
        body = root.find(w_name("body"))
        for child in root if body is None else body:
            text_of(child, infos, text_source, "\n\n")
        if body is not None:
            self.section_break = section_break(body)
        xml_source = part_xml_source(root, infos)
        prefix = next((p for p, uri in root.nsmap.items() if uri == W and p), "w")
        xml_env = self._text_env.overlay(finalize=xml_finalizer(prefix))
        filename = f"{self.path}:{name}"
        xml = self._compile_source(xml_env, xml_source, filename)
        if len(xml_source.cuts) == 2:
            # What comes before and after the body's content holds no tag: render it once.
            start, end = xml_source.cuts
            self.body_frame = (
                xml_env.from_string("".join(xml_source.chunks[:start])).render(),
                xml_env.from_string("".join(xml_source.chunks[end:])).render(),
            )
        text = self._compile_source(self._text_env, text_source, filename + ":text")
        part = _Part(name, label, xml, xml_source, text_source, text, filename)
        if part.name != "word/document.xml":
            tree = self._text_env.parse(text_source.text())
            part.personal = any(n.name == "recipient" for n in tree.find_all(nodes.Name))
        self._sources[filename] = (part, xml_source)
        self._sources[filename + ":text"] = (part, text_source)
        return part

    def _compile_properties(self, name: str, root: Any) -> _Part | None:
        sources = property_sources(root, name, self.path)
        if sources is None:
            return None
        xml_source, text_source = sources
        filename = f"{self.path}:{name}"
        xml_env = self._text_env.overlay(finalize=xml_finalizer(None))
        xml = self._compile_source(xml_env, xml_source, filename)
        text = self._compile_source(self._text_env, text_source, filename + ":text")
        part = _Part(name, name, xml, xml_source, text_source, text, filename)
        self._sources[filename] = (part, xml_source)
        self._sources[filename + ":text"] = (part, text_source)
        return part

    def _compile_source(
        self, env: ImmutableSandboxedEnvironment, source: PartSource, filename: str
    ) -> jinja2.Template:
        try:
            code = env.compile(source.text(), name=self.path.name, filename=filename)
        except jinja2.TemplateSyntaxError as exc:
            raise self._syntax_error_in(exc, source) from None
        return env.template_class.from_code(env, code, env.make_globals(None))

    def _syntax_error_in(
        self, exc: jinja2.TemplateSyntaxError, source: PartSource | None = None
    ) -> TemplateError:
        about = source.paragraph_at(exc.lineno) if source is not None else None
        where = f"{about.describe()}: " if about is not None else ""
        return TemplateError(f"{where}template syntax error: {exc.message}", path=self.path)

    def _check_blocks(self, root: Any, infos: dict[Any, ParagraphInfo]) -> None:
        """Refuse block tags whose opening and closing would cut the XML in the wrong places.

        A block must open and close at one level: control paragraphs (or rows) of the same
        container, or inside one paragraph between ``w:t``s of the same kind of run.
        """
        stack: list[tuple[str, Any, ParagraphPlace]] = []
        for info in infos.values():
            row = control_row(info.element, infos)
            for index, spans in sorted(info.tags.items()):
                t = info.texts[index]
                for start, end in spans:
                    tag = tag_text((t.text or "")[start:end])
                    kind, word = block_kind(tag)
                    if stack and stack[-1][0] == "raw" and word != "raw":
                        continue  # what {% raw %} holds is text, not tags
                    if not kind:
                        continue
                    if row is not None:
                        level: Any = ("row", row.getparent())
                    elif info.control:
                        level = ("paragraph", info.element.getparent())
                    else:
                        level = ("inline", info.element, ancestry(t, info.element))
                    if kind == "open":
                        stack.append((word, level, info.about))
                        continue
                    if not stack:
                        continue  # Jinja reports the stray tag itself
                    opened, opened_level, opened_about = stack[-1]
                    if opened_level != level:
                        raise TemplateError(
                            f"{info.about.describe()}: '{tag}' does not close '{{% {opened} %}}' "
                            f"of {opened_about.describe()} at the same level: put block tags "
                            "alone in paragraphs (or table rows) side by side, or open and "
                            "close them within one paragraph",
                            path=self.path,
                        )
                    if kind == "close":
                        stack.pop()
        if stack:
            word, _, about = stack[-1]
            raise TemplateError(
                f"{about.describe()}: template syntax error: '{{% {word} %}}' is never closed "
                f"(no '{{% end{word} %}}')",
                path=self.path,
            )

    # -- the LetterTemplate interface ----------------------------------------------------------

    def line(self, body_line: int) -> int:
        """Return the number of the paragraph (in its part) at line ``body_line`` of ``body``."""
        for first, source in reversed(self._lines):
            if body_line >= first:
                about = source.paragraph_at(body_line - first + 1)
                return about.number if about is not None else 1
        return 1

    def render(self, context: Mapping[str, Any], *, marked: bool = False) -> str:
        """Render one letter's plain text: the body's paragraphs separated by blank lines.

        Headers and footers are rendered too (and dropped), so a bad field there is found here.
        """
        clean = True
        for part in self.parts:
            if part is not self._body:
                clean = clean and not FORBIDDEN.search(part.render(context, text=True))
        if self._body is None:  # pragma: no cover - the body is always compiled
            return "\n"
        template = self._marked if marked else self._body.text
        text = template.render(context)
        # The XML prints the same values: if none holds a character XML forbids, the checking
        # pass need not render this letter's XML again (see printed_clean).
        self._last = (context, clean and not FORBIDDEN.search(text))
        return finish_text(text)

    def printed_clean(self, context: Mapping[str, Any]) -> bool:
        """Tell whether the last :meth:`render`, for this very ``context``, printed only
        characters a Word document can hold."""
        last = self._last
        return last is not None and last[0] is context and last[1]

    @cached_property
    def _marked(self) -> jinja2.Template:
        assert self._body is not None
        env = make_environment(self.path.parent, marked=True)
        env = typed_escapes(env.overlay(trim_blocks=False, lstrip_blocks=False))
        return self._compile_source(env, self._body.text_source, self._body.filename + ":text")

    def fields(self) -> set[str]:
        """Return the dotted fields (``recipient.name``) the template uses, in every part."""
        found: set[str] = set()
        bare = bare_names(self.meta, self.path)
        for part in self.parts:
            tree = self._text_env.parse(part.text_source.text())
            found |= used_fields(tree) | (bare_fields(tree, self.env.globals) if bare else set())
        return {p for p in found if not any(q.startswith(p + ".") for q in found)}

    def where(self, exc: BaseException) -> ParagraphPlace | None:
        """Return the paragraph whose tag raised ``exc`` while rendering, if known."""
        found: ParagraphPlace | None = None
        tb = exc.__traceback__
        while tb is not None:
            entry = self._sources.get(tb.tb_frame.f_code.co_filename)
            if entry is not None:
                found = entry[1].paragraph_at(tb.tb_lineno)
            tb = tb.tb_next
        return found

    def explain(self, exc: BaseException, where: str | None = None) -> TemplateError:
        """Turn an exception raised while rendering into a TemplateError naming the paragraph."""
        about = self.where(exc)
        if isinstance(exc, MissingFieldError):
            where = f", {about.describe()}" if about is not None else ""
            return TemplateError(f"missing field '{exc.field}' (used in {self.path}{where})")
        prefix = f"{about.describe()}: " if about is not None else ""
        if isinstance(exc, SecurityError):
            message = f"{prefix}refused by the template sandbox: {exc}"
        elif isinstance(exc, jinja2.TemplateSyntaxError):
            return self._syntax_error_in(exc)
        elif isinstance(exc, jinja2.TemplateNotFound):
            message = f"{prefix}included template not found: {exc.name}"
        elif isinstance(exc, ForbiddenCharacterError):
            message = f"{prefix}a value {exc}, which a Word document cannot hold"
        elif isinstance(exc, LimitError | PrintedContainerError):
            message = f"{prefix}{exc}"  # says what it is ("template limit: ...") itself
        else:
            message = f"{prefix}template error: {str(exc) or type(exc).__name__}"
        return TemplateError(message, path=self.path)

    # -- DOCX output ---------------------------------------------------------------------------

    def render_body(self, context: Mapping[str, Any], number: int = 0) -> str:
        """Render the XML of the body's content (no final section properties) for one letter.

        ``number`` is the letter's place (from 1) in a combined document: the drawings of the
        letters after the first get ids of their own there.
        """
        assert self._body is not None
        before, after = self.body_frame
        xml = self._body.xml.render(context, **{LETTER_NUMBER: max(number - 1, 0)})
        if not (xml.startswith(before) and xml.endswith(after)):  # pragma: no cover
            raise TemplateError("cannot find the body of the rendered document", path=self.path)
        return xml[len(before) : len(xml) - len(after)]

    def header_fields(self) -> dict[str, set[str]]:
        """Return the fields each header, footer and note part uses, by part label."""
        return {
            part.label: used_fields(self._text_env.parse(part.text_source.text()))
            for part in self.parts
            if part is not self._body
        }

    def render_parts(
        self, context: Mapping[str, Any], names: Collection[str] | None = None
    ) -> dict[str, str]:
        """Render the XML of the templated parts (``word/document.xml``, ...) for one letter.

        ``names`` limits which parts. The writer (:mod:`lettergen.writers.word_filled`)
        zips them with the package's other members.
        """
        return {
            part.name: part.render(context)
            for part in self.parts
            if names is None or part.name in names
        }
