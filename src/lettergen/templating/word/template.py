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

import bisect
import io
import re
import zipfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from lettergen.errors import TemplateError
from lettergen.inputs.textfiles import read_bytes
from lettergen.ooxml import FORBIDDEN, W_NS, XML_NS
from lettergen.templating.environment import (
    LetterTemplate,
    MissingFieldError,
    finish_text,
    make_environment,
    used_fields,
)
from lettergen.templating.word.escaping import ForbiddenCharacterError, xml_finalizer
from lettergen.templating.word.values import sidecar, sidecar_meta

W = W_NS
_PRESERVE = f"{{{XML_NS}}}space"


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


W_P, W_R, W_T, W_PPR, W_RPR = _w("p"), _w("r"), _w("t"), _w("pPr"), _w("rPr")
W_TBL, W_TR, W_TC, W_SDT, W_SDTCONTENT = _w("tbl"), _w("tr"), _w("tc"), _w("sdt"), _w("sdtContent")
W_TAB, W_BR, W_CR, W_SECTPR = _w("tab"), _w("br"), _w("cr"), _w("sectPr")
W_TXBX, W_NBH = _w("txbxContent"), _w("noBreakHyphen")
_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
_BOOKMARK_START, _BOOKMARK_END = _w("bookmarkStart"), _w("bookmarkEnd")
# The variable holding a letter's place in a combined document, to keep ids unique there.
_LETTER = "_lettergen_letter"

# The parts of a .docx whose text may hold tags.
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")

# A paragraph holding any of these is content, even if its text is only a block tag.
_CONTENT = frozenset(
    _w(n)
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

# Word's autocorrect turns quotes typed inside a tag into typographic ones; Jinja needs ASCII.
_SMART_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
# Placeholders for tags while lxml serialises a part (characters of a private-use plane).
_HOLE_START, _HOLE_END = "\U000f0000", "\U000f0001"
_HOLE = re.compile(f"{_HOLE_START}(\\d+){_HOLE_END}")
_TAG_START = re.compile(r"\{[{%#]")
_CLOSERS = {"{": "}}", "%": "%}", "#": "#}"}
_BLOCK_OPENERS = frozenset(
    ("if", "for", "macro", "call", "filter", "with", "block", "autoescape", "raw", "trans")
)
_SHOWN = 70  # characters of a paragraph quoted in an error message
# Children of w:sectPr that come after w:pgNumType (ECMA-376 order).
_AFTER_PAGE_NUMBERS = (
    "cols",
    "formProt",
    "vAlign",
    "noEndnote",
    "titlePg",
    "textDirection",
    "bidi",
    "rtlGutter",
    "docGrid",
    "printerSettings",
    "sectPrChange",
)


@dataclass
class _Paragraph:
    """What error messages say about one paragraph: its part, number and text."""

    part: str
    number: int
    text: str

    def describe(self) -> str:
        text = self.text if len(self.text) <= _SHOWN else self.text[: _SHOWN - 3] + "..."
        return f'{self.part} paragraph {self.number} "{text}"'


@dataclass
class _Source:
    """Jinja source being assembled, remembering on which line each paragraph starts."""

    chunks: list[str] = field(default_factory=list)
    line: int = 1
    starts: list[int] = field(default_factory=list)
    paragraphs: list[_Paragraph] = field(default_factory=list)
    # Indexes in chunks where the body's content starts and ends (word/document.xml only).
    cuts: list[int] = field(default_factory=list)
    # Inside {% raw %}: tags are text, and a comment would be printed.
    raw: bool = False

    def mark(self, paragraph: _Paragraph) -> None:
        """Note that what follows belongs to ``paragraph``, starting it on a line of its own."""
        if self.paragraphs and self.paragraphs[-1] is paragraph:
            return
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.break_line()
        self.starts.append(self.line)
        self.paragraphs.append(paragraph)

    def break_line(self) -> None:
        """Move Jinja's line count on without printing anything."""
        if not self.raw:
            # A comment holding a line break prints nothing.
            self.add("{#\n#}")

    def add_text(self, text: str) -> None:
        """Add text to print as it is."""
        self.add(text if self.raw else literal(text))

    def add_tags(self, tags: list[str], *, xml: bool) -> None:
        """Add tags; inside ``{% raw %}`` they are text (XML-escaped if ``xml``)."""
        for tag in tags:
            kind, word = _block_kind(tag)
            if self.raw and not (word == "raw" and kind == "close"):
                if xml:
                    tag = tag.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            elif word == "raw":
                self.raw = kind == "open"
            self.add(tag)

    def add(self, chunk: str) -> None:
        self.chunks.append(chunk)
        self.line += chunk.count("\n")

    def text(self) -> str:
        return "".join(self.chunks)

    def paragraph_at(self, line: int) -> _Paragraph | None:
        """Return the paragraph whose source holds ``line``."""
        index = bisect.bisect_right(self.starts, line) - 1
        return self.paragraphs[index] if index >= 0 else None


def literal(text: str) -> str:
    """Return Jinja source that prints ``text`` as it is."""
    if "{{" in text or "{%" in text or "{#" in text or text.endswith("{"):
        return "{% raw %}" + text + "{% endraw %}"
    return text


def find_tags(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` of every Jinja tag in ``text``.

    Raises :class:`ValueError` (with the offending start) for a tag that is never closed.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        match = _TAG_START.search(text, pos)
        if match is None:
            return spans
        start = match.start()
        closer = _CLOSERS[text[start + 1]]
        end = _closing(text, start + 2, closer, skip_strings=closer != "#}")
        if end < 0:
            raise ValueError(f"'{text[start : start + 2]}' without '{closer}'")
        spans.append((start, end))
        pos = end


def _closing(text: str, pos: int, closer: str, *, skip_strings: bool) -> int:
    """Return the end of ``closer`` after ``pos``, skipping quoted strings; -1 if none."""
    quote = ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif skip_strings and char in "'\"":
            quote = char
        elif text.startswith(closer, pos):
            return pos + len(closer)
        pos += 1
    return -1


def _own_texts(paragraph: Any) -> Iterator[Any]:
    """Yield the ``w:t``, ``w:tab`` and ``w:br`` of a paragraph, not those of nested text boxes."""
    stack = list(reversed(paragraph))
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag in (W_T, W_TAB, W_BR, W_CR, W_NBH):
            yield element
        elif tag not in (W_TXBX, W_PPR, W_RPR) and isinstance(tag, str):
            stack.extend(reversed(element))


def _is_empty_run(run: Any) -> bool:
    return all(child.tag == W_RPR for child in run)


@dataclass
class _ParagraphInfo:
    """One paragraph after its tags were joined: its ``w:t``s with their tags, its kind."""

    element: Any
    about: _Paragraph
    texts: list[Any]  # the paragraph's w:t elements
    tags: dict[int, list[tuple[int, int]]]  # index in texts -> spans of tags in its text
    control: bool  # only block tags: disappears from the output


def join_tags(paragraph: Any, about: _Paragraph) -> _ParagraphInfo:
    """Move the text of every tag of ``paragraph`` into the ``w:t`` where the tag starts.

    The tag thereby takes the formatting of the run it starts in. Runs emptied by the move
    are removed; ``w:proofErr`` and bookmarks between the pieces stay where they are.
    """
    texts = [t for t in _own_texts(paragraph) if t.tag == W_T]
    pieces = [t.text or "" for t in texts]
    full = "".join(pieces)
    try:
        spans = find_tags(full)
    except ValueError as exc:
        raise TemplateError(f"{about.describe()}: template syntax error: {exc}") from None
    if spans:
        # owner[i]: the w:t index that ends up holding character i.
        owner: list[int] = []
        for index, piece in enumerate(pieces):
            owner.extend([index] * len(piece))
        for start, end in spans:
            for i in range(start + 1, end):
                owner[i] = owner[start]
        new = [""] * len(texts)
        for i, char in enumerate(full):
            new[owner[i]] += char
        for t, old, text in zip(texts, pieces, new, strict=True):
            if text != old:
                t.text = text
                t.set(_PRESERVE, "preserve")
        for t, text in zip(list(texts), new, strict=True):
            if not text:
                run = t.getparent()
                run.remove(t)
                texts.remove(t)
                if run.tag == W_R and _is_empty_run(run) and run.getparent() is not None:
                    run.getparent().remove(run)
    tags: dict[int, list[tuple[int, int]]] = {}
    offset = 0
    starts: list[int] = []
    for t in texts:
        starts.append(offset)
        offset += len(t.text or "")
    for start, end in spans:
        index = bisect.bisect_right(starts, start) - 1
        tags.setdefault(index, []).append((start - starts[index], end - starts[index]))
    rest = full
    for start, end in reversed(spans):
        rest = rest[:start] + rest[end:]
    control = (
        bool(spans)
        and not rest.strip()
        and all(full[s + 1] in "%#" for s, _ in spans)
        and not any(el.tag in _CONTENT for el in paragraph.iter() if el is not paragraph)
    )
    return _ParagraphInfo(paragraph, about, texts, tags, control)


def tag_text(raw: str) -> str:
    """Return a tag as Jinja must read it (typographic quotes made plain)."""
    return raw.translate(_SMART_QUOTES)


def _block_kind(tag: str) -> tuple[str, str]:
    """Return (``open``/``middle``/``close``/``""``, keyword) of a ``{% ... %}`` tag."""
    if not tag.startswith("{%"):
        return "", ""
    words = tag[2:-2].strip("-+ \t").split(None, 1)
    word = words[0] if words else ""
    if word.startswith("end"):
        return "close", word[3:]
    if word in ("elif", "else"):
        return "middle", word
    if word == "set":
        return ("open" if "=" not in tag else ""), word
    return ("open" if word in _BLOCK_OPENERS else ""), word


@dataclass
class _Part:
    """One templated part of the package, compiled for XML and for plain text."""

    name: str
    label: str
    xml: jinja2.Template
    xml_source: _Source
    text_source: _Source
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

    is_word = True

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        self.encoding = encoding
        self.meta = sidecar_meta(path, encoding)
        # The files the letters depend on (for a manifest's hash): the .docx and its values.
        self.files = [path, *([sidecar(path)] if sidecar(path).is_file() else [])]
        self.source = ""
        self.body = ""
        self.first_line = 1
        self.env = make_environment(path.parent)
        # No trim_blocks: a line break in Word (<w:br/>) after a block tag must stay.
        self._text_env = self.env.overlay(trim_blocks=False, lstrip_blocks=False)
        data = self.data = read_bytes(path, TemplateError)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            raise TemplateError("not a Word document (.docx): not a zip file", path=path) from None
        if "word/document.xml" not in names:
            raise TemplateError("not a Word document (.docx): no word/document.xml", path=path)
        self.parts: list[_Part] = []
        self._last: tuple[Mapping[str, Any], bool] | None = None
        # Whether a letter's XML can come out broken despite the checks made here (see
        # _may_break_xml); if so the writer parses each letter's XML in the checking pass.
        self.may_break_xml = False
        self.section_break = ""
        self.body_frame = ("", "")
        self._sources: dict[str, tuple[_Part, _Source]] = {}
        with archive:
            for name in names:
                if _TEXT_PARTS.fullmatch(name):
                    part = self._compile_part(name, archive.read(name))
                    if part is not None:
                        self.parts.append(part)
        self._body = next((p for p in self.parts if p.name == "word/document.xml"), None)
        # The plain-text Jinja source of every part, body first: what tools that read a text
        # template's body (the proofreading checks) read.
        # Line numbers in it (template.line) are paragraph numbers: a .docx has no lines.
        self._lines: list[tuple[int, _Source]] = []
        texts = []
        first = 1
        for part in sorted(self.parts, key=lambda p: p is not self._body):
            text = part.text_source.text() + "\n"
            self._lines.append((first, part.text_source))
            texts.append(text)
            first += text.count("\n")
        self.body = self.source = "".join(texts)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the path: a worker process compiles the template again from its file."""
        return (type(self), (self.path, self.encoding))

    # -- building ---------------------------------------------------------------------------

    def _compile_part(self, name: str, data: bytes) -> _Part | None:
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise TemplateError(f"{name} is not well-formed XML: {exc}", path=self.path) from None
        if name == "word/document.xml" and root.tag != _w("document"):
            # "Strict Open XML Document" uses other namespaces; Word's usual format does not.
            raise TemplateError(
                "not a Word document in the usual format (perhaps saved as Strict Open XML); "
                "save it as 'Word Document (.docx)'",
                path=self.path,
            )
        label = "body" if name == "word/document.xml" else name[5:-4]
        infos: dict[Any, _ParagraphInfo] = {}
        try:
            for number, paragraph in enumerate(root.iter(W_P), 1):
                about = _Paragraph(label, number, "")
                about.text = "".join(t.text or "" for t in _own_texts(paragraph) if t.tag == W_T)
                infos[paragraph] = join_tags(paragraph, about)
        except TemplateError as error:
            raise TemplateError(error.message, path=self.path) from None
        if name != "word/document.xml" and not any(info.tags for info in infos.values()):
            return None
        self._check_blocks(root, infos)
        self.may_break_xml = self.may_break_xml or _may_break_xml(infos)
        text_source = _Source()
        body = root.find(_w("body"))
        for child in root if body is None else body:
            _text_of(child, infos, text_source, "\n\n")
        if body is not None:
            self.section_break = section_break(body)
        xml_source = _xml_source(root, infos)
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

    def _compile_source(
        self, env: ImmutableSandboxedEnvironment, source: _Source, filename: str
    ) -> jinja2.Template:
        try:
            code = env.compile(source.text(), name=self.path.name, filename=filename)
        except jinja2.TemplateSyntaxError as exc:
            raise self._syntax_error_in(exc, source) from None
        return env.template_class.from_code(env, code, env.make_globals(None))

    def _syntax_error_in(
        self, exc: jinja2.TemplateSyntaxError, source: _Source | None = None
    ) -> TemplateError:
        about = source.paragraph_at(exc.lineno) if source is not None else None
        where = f"{about.describe()}: " if about is not None else ""
        return TemplateError(f"{where}template syntax error: {exc.message}", path=self.path)

    def _check_blocks(self, root: Any, infos: dict[Any, _ParagraphInfo]) -> None:
        """Refuse block tags whose opening and closing would cut the XML in the wrong places.

        A block must open and close at one level: control paragraphs (or rows) of the same
        container, or inside one paragraph between ``w:t``s of the same kind of run.
        """
        stack: list[tuple[str, Any, _Paragraph]] = []
        for info in infos.values():
            row = _control_row(info.element, infos)
            for index, spans in sorted(info.tags.items()):
                t = info.texts[index]
                for start, end in spans:
                    tag = tag_text((t.text or "")[start:end])
                    kind, word = _block_kind(tag)
                    if stack and stack[-1][0] == "raw" and word != "raw":
                        continue  # what {% raw %} holds is text, not tags
                    if not kind:
                        continue
                    if row is not None:
                        level: Any = ("row", row.getparent())
                    elif info.control:
                        level = ("paragraph", info.element.getparent())
                    else:
                        level = ("inline", info.element, _ancestry(t, info.element))
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
        env = env.overlay(trim_blocks=False, lstrip_blocks=False)
        return self._compile_source(env, self._body.text_source, self._body.filename + ":text")

    def fields(self) -> set[str]:
        """Return the dotted fields (``recipient.name``) the template uses, in every part."""
        found: set[str] = set()
        for part in self.parts:
            found |= used_fields(self._text_env.parse(part.text_source.text()))
        return {p for p in found if not any(q.startswith(p + ".") for q in found)}

    def where(self, exc: BaseException) -> _Paragraph | None:
        """Return the paragraph whose tag raised ``exc`` while rendering, if known."""
        found: _Paragraph | None = None
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
        xml = self._body.xml.render(context, **{_LETTER: max(number - 1, 0)})
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


def _ancestry(t: Any, paragraph: Any) -> tuple[str, ...]:
    """Return the element names from ``t`` up to (not including) ``paragraph``."""
    names = []
    element = t.getparent()
    while element is not None and element is not paragraph:
        names.append(element.tag)
        element = element.getparent()
    return tuple(names)


def _may_break_xml(infos: Mapping[Any, _ParagraphInfo]) -> bool:
    """Tell whether a part's tags could still produce XML that is not a valid document.

    Printed values are always escaped, and blocks were checked to open and close at one
    level; what remains is output that is not escaped (``include``, ``raw``, macros and
    ``call`` blocks, a ``filter`` block changing the XML around values) and table rows in
    loops, which can leave a table with no row at all.
    """
    risky = {"include", "import", "from", "extends", "raw", "macro", "call", "filter", "block"}
    for info in infos.values():
        if info.control and _control_row(info.element, infos) is not None:
            return True
        for index, spans in info.tags.items():
            text = info.texts[index].text or ""
            for start, end in spans:
                words = text[start + 2 : end - 2].strip("-+ \t").split(None, 1)
                if text[start + 1] == "%" and words and words[0] in risky:
                    return True
    return False


def _control_row(paragraph: Any, infos: Mapping[Any, _ParagraphInfo]) -> Any:
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


def _is_blank(info: _ParagraphInfo) -> bool:
    """Tell whether a paragraph shows nothing at all (no text, no tab, no picture)."""
    return not any(t.text for t in info.texts) and not any(
        el.tag in _CONTENT for el in info.element.iter() if el is not info.element
    )


def _tags(info: _ParagraphInfo) -> list[str]:
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


def _segments(info: _ParagraphInfo) -> Iterator[tuple[bool, str]]:
    """Yield ``(is_tag, text)`` for a paragraph's text, tabs and line breaks, in order."""
    texts = {t: i for i, t in enumerate(info.texts)}
    for element in _own_texts(info.element):
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


def _text_of(element: Any, infos: Mapping[Any, _ParagraphInfo], out: _Source, end: str) -> None:
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
            if control is not None and _control_row(control, infos) is not None:
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
                    _text_of(child, infos, out, "")
            out.add("\n")
        out.add("\n")
    elif tag in (W_SDT, W_SDTCONTENT) or tag == _w("customXml"):
        for child in element:
            _text_of(child, infos, out, end)


def _xml_source(root: Any, infos: Mapping[Any, _ParagraphInfo]) -> _Source:
    """Turn a part's tree into the Jinja source of its XML (the tree is changed on the way)."""
    from lxml import etree

    holes: list[tuple[list[str], _Paragraph | None]] = []

    def hole(tags: list[str], about: _Paragraph | None) -> str:
        holes.append((tags, about))
        return f"{_HOLE_START}{len(holes) - 1}{_HOLE_END}"

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
            row = _control_row(paragraph, infos)
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
    body = root.find(_w("body"))
    if body is not None:
        # Drawings and bookmarks need ids unique in a document, and a combined document
        # repeats the body: there, each letter's ids are moved past those of the letter before
        # (_LETTER is the letter's place, from 0; undefined in a letter's own document).
        ids: tuple[tuple[tuple[str, ...], str], ...] = (
            ((_DOCPR,), "id"),
            ((_BOOKMARK_START, _BOOKMARK_END), _w("id")),
        )
        for kinds, attribute in ids:
            found = [e for kind in kinds for e in body.iter(kind) if e.get(attribute, "").isdigit()]
            stride = max((int(e.get(attribute)) for e in found), default=0) + 1
            for element in found:
                paragraph = next(element.iterancestors(W_P), None)
                owner = infos[paragraph].about if paragraph in infos else _Paragraph("body", 0, "")
                tag = f"{{{{ {element.get(attribute)} + {stride} * ({_LETTER} | default(0)) }}}}"
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
    xml = etree.tostring(root, encoding="unicode")
    out = _Source()
    out.add('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    pos = 0
    for match in _HOLE.finditer(xml):
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
    numbers = section.find(_w("pgNumType"))
    if numbers is None:
        numbers = etree.Element(_w("pgNumType"))
        later = {_w(n) for n in _AFTER_PAGE_NUMBERS}
        following = next((child for child in section if child.tag in later), None)
        if following is None:
            section.append(numbers)
        else:
            following.addprevious(numbers)
    numbers.set(_w("start"), "1")
    # A "continuous" section would run the next letter on after this one.
    kind = section.find(_w("type"))
    if kind is None:
        kind = etree.Element(_w("type"))
        earlier = {_w(n) for n in ("headerReference", "footerReference", "footnotePr", "endnotePr")}
        before = [child for child in section if child.tag in earlier]
        if before:
            before[-1].addnext(kind)
        else:
            section.insert(0, kind)
    kind.set(_w("val"), "nextPage")
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
