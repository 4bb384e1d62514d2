"""Output formats: each writer turns a rendered letter into the bytes of one file.

Writers know nothing of Jinja2 or records' files; they get a
:class:`~lettergen.merge.render.Letter`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.errors import UsageError, Warn, ignore_warning
from lettergen.templating.environment import LetterTemplate
from lettergen.templating.word.template import WordTemplate
from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.render import Merge
    from lettergen.writers.combined import CombinedDocument

__all__ = ["FORMATS", "Writer", "combined_document", "make_writers", "writers_for"]

FORMATS = ("txt", "docx", "pdf", "envelope", "envelope-pdf")


def writers_for(
    merge: Merge,
    formats: Sequence[str],
    *,
    letterhead: Path | None = None,
    warn: Warn = ignore_warning,
    envelope: str = "DL",
) -> list[Writer]:
    """Return the writers of ``merge``'s letters: its template, signatory and date, as
    :func:`make_writers` takes them. One place, so that a run, a preview and the checks'
    ``--pdf`` build the same files of the same letter."""
    return make_writers(
        formats,
        letterhead=letterhead,
        meta=merge.template.meta,
        source=merge.template.path,
        signature=merge.sender.get("signature"),
        author=str(merge.sender.get("name") or ""),
        dated=merge.date,
        template=merge.template,
        folders=merge.folders,
        warn=warn,
        envelope=envelope,
    )


def make_writers(
    formats: Sequence[str],
    *,
    letterhead: Path | None = None,
    meta: Mapping[str, Any] | None = None,
    source: Path | None = None,
    signature: str | Path | None = None,
    template: LetterTemplate | None = None,
    folders: Sequence[Path] | None = None,
    warn: Warn = ignore_warning,
    author: str = "",
    dated: dt.date | None = None,
    envelope: str = "DL",
) -> list[Writer]:
    """Return one writer per requested format, in order, without duplicates.

    The DOCX writer takes its letterhead and block layout from the template's front matter
    ``meta`` (``letterhead`` overrides it) and ``signature``, an image, from the signatory.
    For a Word ``template`` (a ``.docx``), 'docx' fills in the template's own document.
    ``warn`` hears what was removed from the letterhead (external links). 'envelope' and
    'envelope-pdf' write each letter's ``envelope`` (DL, C5, C4) as DOCX or PDF.
    """
    writers: list[Writer] = []
    for fmt in dict.fromkeys(f.lower() for f in formats):
        if fmt == "txt":
            from lettergen.writers.text import TextWriter

            writers.append(TextWriter())
        elif fmt == "docx" and isinstance(template, WordTemplate):
            # A Word template is its own letterhead: its document is filled in as it is.
            if letterhead is not None:
                raise UsageError(
                    "--letterhead does not apply to a Word template (.docx): the template "
                    "itself gives the page, styles, header and footer"
                )
            from lettergen.writers.word_filled import WordTemplateWriter

            writers.append(WordTemplateWriter(template))
        elif fmt == "docx":
            from lettergen.writers.letterhead import letterhead_of
            from lettergen.writers.localised import by_language
            from lettergen.writers.word import DocxWriter

            def on(head: Path | None) -> Writer:
                return DocxWriter.for_template(
                    meta or {},
                    source,
                    letterhead=head,
                    signature=signature,
                    folders=folders,
                    warn=warn,
                    author=author,
                    dated=dated,
                )

            # A letterhead's language variants (letterhead.fr.docx) print letters in French.
            head = letterhead or letterhead_of(meta or {}, source, folders)
            writers.append(by_language(on(letterhead), head, on))
        elif fmt == "pdf":
            from lettergen.checks.pages import page_budget
            from lettergen.writers.pdf import PdfWriter
            from lettergen.writers.pdf_pages import PageJudge

            # A PDF is the DOCX letter as LibreOffice prints it.
            [docx] = make_writers(
                ["docx"],
                letterhead=letterhead,
                meta=meta,
                source=source,
                signature=signature,
                template=template,
                folders=folders,
                warn=warn,
                author=author,
                dated=dated,
            )
            budget = page_budget(meta or {}, source)
            writers.append(PdfWriter(docx, warn=warn, pages=PageJudge(budget, "warning")))
        elif fmt in ("envelope", "envelope-pdf"):
            from lettergen.writers.envelope import envelope_writer

            writers.append(envelope_writer(fmt, envelope, author=author, dated=dated, warn=warn))
        else:
            raise UsageError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    return writers


def combined_document(
    writers: Sequence[Writer],
    merge: Merge,
    target: Path,
    *,
    force: bool,
    letterhead: Path | None = None,
) -> Callable[[], CombinedDocument]:
    """Refuse ``--combine target`` now, before anything is written, if it cannot be done;
    return what makes the combined document (which writes nothing until a letter is added).

    A Word template combines its own documents; a text template's go on its letterhead.
    """
    template = merge.template
    if isinstance(template, WordTemplate):
        from lettergen.writers.word_filled import check_combine, combine_word_template

        check_combine(template, target, force=force)
        return lambda: combine_word_template(writers, merge, template, target)
    from lettergen.writers.combined import CombinedDocument, combine_writer

    writer = combine_writer(
        writers,
        target,
        force=force,
        meta=template.meta,
        source=template.path,
        letterhead=letterhead,
        signature=merge.sender.get("signature"),
    )
    return lambda: CombinedDocument(writer, target)
