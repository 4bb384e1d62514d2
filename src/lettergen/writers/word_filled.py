"""Word documents rendered from a Word template (a ``.docx`` with Jinja2 tags).

The template was parsed and compiled once
(:class:`~lettergen.templating.word.template.WordTemplate`); per letter this writer renders its
parts from the letter's context and zips them with the template's other members, copied as they are.
``--combine`` streams every letter's body into one document of the template, one section (so new
pages) per letter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.errors import LettergenError, TemplateError, UsageError
from lettergen.merge.values import field_holding, forbidden_character
from lettergen.templating.environment import RENDER_ERRORS
from lettergen.templating.word.escaping import ForbiddenCharacterError
from lettergen.templating.word.values import sidecar
from lettergen.writers.combined import CombinedDocument, check_combine_target
from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter
    from lettergen.templating.word.template import WordTemplate

_DOCUMENT = "word/document.xml"


class WordTemplateWriter(Writer):
    """Writes each letter as the Word template's document, filled in."""

    format = "docx"
    suffix = ".docx"

    def __init__(self, template: WordTemplate, encoding: str | None = None) -> None:
        self.template = template
        self.encoding = encoding
        self._templates: dict[Path, WordTemplate] = {template.path: template}
        self._packages: dict[Path, _Package] = {}

    def _template_for(self, letter: Letter) -> WordTemplate:
        """Return the template the letter was rendered from (a language variant, maybe)."""
        path = getattr(letter, "template", None) or self.template.path
        found = self._templates.get(path)
        if found is None:
            from lettergen.templating.word.template import WordTemplate

            found = self._templates[path] = WordTemplate(path, self.encoding)
        return found

    def _render(self, letter: Letter) -> tuple[WordTemplate, dict[str, str]]:
        template = self._template_for(letter)
        record = letter.record
        try:
            return template, template.render_parts(letter.context)
        except ForbiddenCharacterError as exc:
            if field_holding(letter.context, exc.char) is None:
                raise _with_record(template.explain(exc), record.id) from None
            values = sidecar(template.path)
            raise forbidden_character(
                record, letter.context, exc.char, template=template.path, values=values
            ) from None
        except RENDER_ERRORS as exc:
            raise _with_record(template.explain(exc), record.id) from None

    def check(self, letter: Letter) -> None:
        """Render the letter's document and make sure it is a valid one, writing nothing.

        Values are checked for characters XML forbids (by the plain-text rendering that made
        the letter, or by rendering the XML); the XML itself is parsed only when the template
        uses something that could break it (``template.may_break_xml``).
        """
        from lettergen.templating.word.source import check_xml

        template = self._template_for(letter)
        if not template.may_break_xml and template.printed_clean(letter.context):
            return  # its plain text, just rendered, printed the same values, all clean
        template, parts = self._render(letter)
        if not template.may_break_xml:
            return
        for name, xml in parts.items():
            problem = check_xml(xml)
            if problem:
                raise TemplateError(
                    f"{name} of this letter: {problem}",
                    path=template.path,
                    record=letter.record.id,
                )

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the letter's .docx file."""
        template, parts = self._render(letter)
        return self._package(template).build(parts)

    def render_context(self, context: Mapping[str, Any]) -> bytes:
        """Return the template's document filled in from ``context`` (a letter's context)."""
        return self._package(self.template).build(self.template.render_parts(context))

    def _package(self, template: WordTemplate) -> _Package:
        found = self._packages.get(template.path)
        if found is None:
            found = self._packages[template.path] = _Package(template)
        return found


class _Package:
    """A Word template's zip, ready to take each letter's rendered parts.

    The members no letter changes (styles, images, settings, ...) keep their compressed bytes
    from the template and are copied as they are; per letter only the rendered parts
    (``word/document.xml``, headers and footers with tags) are compressed.
    """

    def __init__(self, template: WordTemplate) -> None:
        import zipfile

        from lettergen.writers.zipwriter import Archive, read_members

        templated = {part.name for part in template.parts}
        try:
            members = read_members(template.data)
        except (zipfile.BadZipFile, ValueError) as exc:
            raise TemplateError(
                f"cannot reuse this Word document: {exc}", path=template.path
            ) from None
        self.fixed = [m for m in members if m.name not in templated]
        # The document goes last (Archive.build); other rendered parts just before it.
        self.rendered = [m.name for m in members if m.name in templated and m.name != _DOCUMENT]
        self.archive = Archive(self.fixed) if not self.rendered else None
        self._last: tuple[tuple[str, ...], Archive] | None = None

    def build(self, parts: Mapping[str, str]) -> bytes:
        """Return the whole .docx with ``parts`` (name -> XML) in place of the templated ones."""
        from lettergen.writers.zipwriter import Archive, Member

        archive = self.archive
        if archive is None:
            # Headers and footers usually come out the same for every letter (the sender's
            # name, her offices): the archive made for the last letter is reused then.
            key = tuple(parts[n] for n in self.rendered)
            if self._last is not None and self._last[0] == key:
                archive = self._last[1]
            else:
                rendered = [
                    Member.deflate(n, x.encode("utf-8"))
                    for n, x in zip(self.rendered, key, strict=True)
                ]
                archive = Archive([*self.fixed, *rendered])
                self._last = (key, archive)
        return archive.build(_DOCUMENT, parts[_DOCUMENT].encode("utf-8"))


def _with_record(error: LettergenError, record: str) -> LettergenError:
    """Return ``error`` naming the record it happened for."""
    error.record = record
    return error


def check_combine(template: Any, target: Path, *, force: bool) -> None:
    """Refuse ``--combine target`` before anything is written, if it cannot be done.

    A combined document has one header and one footer for every letter, so they must not
    use recipient fields.
    """
    check_combine_target(target, force=force)
    fields = template.header_fields()
    for part in template.parts:
        if part.personal and part.name != _DOCUMENT:
            used = sorted(f for f in fields[part.label] if f.startswith("recipient."))
            raise UsageError(
                f"--combine: {part.label} of {template.path} uses "
                f"{', '.join(used) or 'recipient'}; a combined document has one header and "
                "footer for all letters: use only sender and letter fields there, or leave "
                "out --combine"
            )


def combine_word_template(writers: Sequence[object], merge: Any, target: Path) -> CombinedDocument:
    """Return the combined document of a run from a Word template (``--combine``)."""
    writer = next((w for w in writers if isinstance(w, WordTemplateWriter)), None)
    if writer is None:
        writer = WordTemplateWriter(merge.template, getattr(merge.template, "encoding", None))
    from lettergen.templating.environment import context_for

    # Headers and footers use no recipient field (check_combine): any record renders them.
    context = context_for({}, merge.sender, merge.template.meta, merge.date)
    return WordTemplateCombined(writer, target, context)


class WordTemplateCombined(CombinedDocument):
    """One ``.docx`` holding every letter of a Word template, each in its own section.

    The template's members, header and footer are written once; the letters' bodies are
    streamed one after the other into ``word/document.xml``, each ending with a section break
    that repeats the template's page setup and restarts page numbers.
    """

    def __init__(
        self, writer: WordTemplateWriter, target: Path, context: Mapping[str, Any]
    ) -> None:
        from lettergen.writers.zipwriter import Archive, Member

        self.word_writer = writer
        template = writer.template
        package = writer._package(template)
        names = list(package.rendered)
        headers = template.render_parts(context, names) if names else {}
        members = [*package.fixed]
        members += [Member.deflate(n, headers[n].encode("utf-8")) for n in names]
        before, self.after = template.body_frame
        self._open(target, Archive(members), _DOCUMENT, before)

    def body(self, letter: Letter, number: int) -> str:
        """Return the body XML of ``letter`` for :meth:`add`."""
        template = self.word_writer._template_for(letter)
        return template.render_body(letter.context, number)

    def _with_break(self, body: str) -> str:
        return body + self.word_writer.template.section_break

    def _ending(self) -> str:
        return (self.pending if self.pending is not None else "<w:p/>") + self.after
