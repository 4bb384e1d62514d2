"""Previews: a letter exactly as ``render`` writes it, with the merged values made visible.

Letters are rendered through :meth:`Merge.render` with ``marked=True`` (every printed value wrapped
in :data:`~lettergen.templating.environment.MARK_START` / ``MARK_END``); without the marks the text
is byte for byte what ``render`` writes. On a terminal the values are highlighted and empty values
shown as a visible mark; elsewhere the exact text is printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lettergen.errors import OutputError, UsageError
from lettergen.inputs.recipients import Record
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge
from lettergen.templating.environment import MARKED_VALUE, strip_marks

# What an empty value looks like on a terminal, where nothing would be easy to miss.
EMPTY = "⟨empty⟩"


@dataclass
class Preview:
    """One letter, rendered with value marks."""

    letter: Letter

    @property
    def record(self) -> Record:
        """The record the letter is for."""
        return self.letter.record

    @property
    def text(self) -> str:
        """The letter exactly as ``render`` writes it."""
        return strip_marks(self.letter.text)

    def empty_lines(self) -> list[int]:
        """Return the letter lines that print an empty value."""
        marked = self.letter.text
        return [
            marked.count("\n", 0, m.start()) + 1
            for m in MARKED_VALUE.finditer(marked)
            if not strip_marks(m.group(1)).strip()
        ]

    def shown(self, colour: bool) -> str:
        """Return the letter as the terminal shows it: highlighted, or exactly as written."""
        return self.highlighted() if colour else self.text

    def warnings(self) -> list[str]:
        """Return a warning for each letter line that prints an empty value."""
        where = f"{self.record.location}: warning: record '{self.record.id}'"
        return [f"{where}: letter line {line} prints an empty value" for line in self.empty_lines()]

    def highlighted(self) -> str:
        """Return the text with values in colour and empty values marked (ANSI escapes)."""
        import click

        def show(match: re.Match[str]) -> str:
            value = strip_marks(match.group(1))
            if not value.strip():
                return value + click.style(EMPTY, fg="red", reverse=True)
            # Style each line on its own, so a pager shows multi-line values coloured too.
            return "\n".join(
                click.style(part, fg="cyan", underline=True) if part else part
                for part in value.split("\n")
            )

        return MARKED_VALUE.sub(show, self.letter.text)

    def header(self) -> str:
        """One line naming the record, for the separators of ``--all``."""
        return f"── {self.record.id} ({self.record.location}) → {self.letter.name} ──"


def wants_colour(choice: str, stream: IO[str]) -> bool:
    """Tell whether to highlight: ``always``, ``never``, or (``auto``) when ``stream`` is a
    terminal and the NO_COLOR convention (https://no-color.org) does not say otherwise."""
    if choice != "auto":
        return choice == "always"
    return not os.environ.get("NO_COLOR") and stream.isatty()


def choose(
    merge: Merge, *, recipient: str | None = None, index: int | None = None
) -> Iterator[Record]:
    """Yield the record to preview: by id, by 1-based position, or every record."""
    if recipient is not None and index is not None:
        raise UsageError("give --recipient or --index, not both")
    count = 0
    for record in merge.records():
        count += 1
        if recipient is None and index is None:
            yield record
        elif record.id == recipient or count == index:
            yield record
            return
    if recipient is not None:
        raise UsageError(f"--recipient: no record has the id '{recipient}'")
    if index is not None:
        raise UsageError(f"--index {index}: there are only {count} record(s)")


def previews(
    merge: Merge,
    *,
    recipient: str | None = None,
    index: int | None = None,
    every: bool = False,
) -> Iterator[Preview]:
    """Yield the preview of one letter (the first by default) or, with ``every``, of each."""
    for record in choose(merge, recipient=recipient, index=index):
        yield Preview(merge.render(record, marked=True))
        if not every:
            return


def write_pdf(merge: Merge, preview: Preview, target: Path) -> Path:
    """Write the previewed letter as a PDF, through the real DOCX writer and LibreOffice."""
    from lettergen.checks.pages import page_budget
    from lettergen.writers import writers_for
    from lettergen.writers.fonts import warn_missing_fonts
    from lettergen.writers.pdf import convert_one
    from lettergen.writers.pdf_pages import PageJudge

    writers = writers_for(merge, ["docx"], warn=merge.warn)
    letter = Letter(
        record=preview.record,
        name=preview.letter.name,
        text=preview.text,
        context=preview.letter.context,
        template=preview.letter.template,
        word=preview.letter.word,
    )
    with tempfile.TemporaryDirectory(prefix="lettergen-preview-") as folder:
        staged = Path(folder) / f"{letter.name}.docx"
        docx = writers[0].to_bytes(letter)
        warn_missing_fonts(docx, merge.warn)
        staged.write_bytes(docx)
        pdf = Path(folder) / f"{letter.name}.pdf"
        convert_one(staged, pdf)
        # The page findings render prints for this letter: over the budget, a closing alone.
        judge = PageJudge(page_budget(merge.template.meta, merge.template.path), "warning")
        for finding in judge.judge(letter.record.id, target.name, pdf, judge.closing(docx)):
            merge.warn(str(finding))
        target.parent.mkdir(parents=True, exist_ok=True)
        from lettergen.output.plan import write_atomic

        write_atomic(target, pdf.read_bytes())
    return target


def write_png(merge: Merge, preview: Preview, folder: Path, resolution: int = 100) -> list[Path]:
    """Render the previewed letter's pages as PNG images in ``folder``; return their paths."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise OutputError(
            "pdftoppm (poppler) is not installed; PNG previews need it: "
            "apt-get install poppler-utils"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lettergen-preview-") as work:
        pdf = write_pdf(merge, preview, Path(work) / f"{preview.letter.name}.pdf")
        prefix = Path(work) / preview.letter.name
        result = subprocess.run(
            [pdftoppm, "-png", "-r", str(resolution), str(pdf), str(prefix)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise OutputError(f"pdftoppm failed: {result.stderr.strip()}", path=pdf)
        pages: list[Path] = []
        for image in sorted(Path(work).glob(f"{preview.letter.name}-*.png")):
            target = folder / image.name
            shutil.move(str(image), target)
            pages.append(target)
    return pages
