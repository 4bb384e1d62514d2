"""Word documents rendered from a Word template (a ``.docx`` with Jinja2 tags).

The template was parsed and compiled once
(:class:`~lettergen.templating.word.template.WordTemplate`); per letter this writer renders its
parts from the letter's context and zips them with the template's other members, copied as they are.
``--combine`` streams every letter's body into one document of the template, one section (so new
pages) per letter.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lettergen.errors import TemplateError, UsageError
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge
from lettergen.merge.word import WordParts
from lettergen.templating.environment import context_for
from lettergen.templating.forms import given_locale
from lettergen.templating.word.source import check_xml
from lettergen.templating.word.template import WordTemplate
from lettergen.writers.combined import CombinedDocument, check_combine_target
from lettergen.writers.language import with_language
from lettergen.writers.writer import Writer
from lettergen.writers.zipwriter import Archive, Member, package_members

_DOCUMENT = "word/document.xml"


def word_parts(letter: Letter) -> WordParts:
    """Return the Word parts a letter from a Word template carries."""
    if letter.word is None:
        raise UsageError(f"letter '{letter.name}' was not rendered from a Word template")
    return letter.word


class WordTemplateWriter(Writer):
    """Writes each letter as its Word template's document, filled in (the letter's parts)."""

    format = "docx"
    suffix = ".docx"

    def __init__(self, template: WordTemplate) -> None:
        self.template = template
        self._packages: dict[Path, _Package] = {}

    def check(self, letter: Letter) -> None:
        """Render the letter's document and make sure it is a valid one, writing nothing.

        Values are checked for characters XML forbids (by the plain-text rendering that made
        the letter, or by rendering the XML); the XML itself is parsed only when the template
        uses something that could break it (``template.may_break_xml``).
        """
        word = word_parts(letter)
        template = word.template
        if not template.may_break_xml and word.printed_clean():
            return  # its plain text, just rendered, printed the same values, all clean
        parts = word.parts()
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
        word = word_parts(letter)
        built = self.package(word.template).build(word.parts())
        return with_language(built, given_locale(letter.context))

    def package(self, template: WordTemplate) -> _Package:
        """Return the zip of ``template`` (the default or a language variant), made once."""
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
        templated = {part.name for part in template.parts}
        try:
            members = package_members(template.package)
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


def check_combine(template: WordTemplate, target: Path, *, force: bool) -> None:
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


def combine_word_template(
    writers: Sequence[Writer], merge: Merge, template: WordTemplate, target: Path
) -> CombinedDocument:
    """Return the combined document of a run from a Word ``template`` (``--combine``)."""
    writer = next((w for w in writers if isinstance(w, WordTemplateWriter)), None)
    if writer is None:
        writer = WordTemplateWriter(template)

    # Headers and footers use no recipient field (check_combine): any record renders them.
    context = context_for({}, merge.sender_in(merge.template), merge.template.meta, merge.date)
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
        self.word_writer = writer
        template = writer.template
        package = writer.package(template)
        names = list(package.rendered)
        headers = template.render_parts(context, names) if names else {}
        members = [*package.fixed]
        members += [Member.deflate(n, headers[n].encode("utf-8")) for n in names]
        before, self.after = template.body_frame
        self._open(target, Archive(members), _DOCUMENT, before)

    def body(self, letter: Letter, number: int) -> str:
        """Return the body XML of ``letter`` for :meth:`add`."""
        return word_parts(letter).body(number)

    def _with_break(self, body: str) -> str:
        return body + self.word_writer.template.section_break

    def _ending(self) -> str:
        return (self.pending if self.pending is not None else "<w:p/>") + self.after
