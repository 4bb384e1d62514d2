"""Output formats: each writer turns a rendered letter into the bytes of one file.

Writers know nothing of Jinja2 or records' files; they get a
:class:`~lettergen.merge.render.Letter`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lettergen.errors import UsageError
from lettergen.writers.writer import Writer

__all__ = ["FORMATS", "Writer", "make_writers"]

FORMATS = ("txt", "docx", "pdf")


def make_writers(
    formats: Sequence[str],
    *,
    letterhead: Path | None = None,
    meta: Mapping[str, Any] | None = None,
    source: Path | None = None,
    signature: str | Path | None = None,
    template: Any = None,
) -> list[Writer]:
    """Return one writer per requested format, in order, without duplicates.

    The DOCX writer takes its letterhead and block layout from the template's front matter
    ``meta`` (``letterhead`` overrides it) and ``signature``, an image, from the signatory.
    For a Word ``template`` (a ``.docx``), 'docx' fills in the template's own document.
    """
    writers: list[Writer] = []
    for fmt in dict.fromkeys(f.lower() for f in formats):
        if fmt == "txt":
            from lettergen.writers.text import TextWriter

            writers.append(TextWriter())
        elif fmt == "docx" and getattr(template, "is_word", False):
            # A Word template is its own letterhead: its document is filled in as it is.
            if letterhead is not None:
                raise UsageError(
                    "--letterhead does not apply to a Word template (.docx): the template "
                    "itself gives the page, styles, header and footer"
                )
            from lettergen.writers.word_filled import WordTemplateWriter

            writers.append(WordTemplateWriter(template, getattr(template, "encoding", None)))
        elif fmt == "docx":
            from lettergen.writers.word import DocxWriter

            writers.append(
                DocxWriter.for_template(
                    meta or {}, source, letterhead=letterhead, signature=signature
                )
            )
        elif fmt == "pdf":
            from lettergen.writers.pdf import PdfWriter

            # A PDF is the DOCX letter as LibreOffice prints it.
            [docx] = make_writers(
                ["docx"],
                letterhead=letterhead,
                meta=meta,
                source=source,
                signature=signature,
                template=template,
            )
            writers.append(PdfWriter(docx))
        else:
            raise UsageError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    return writers
