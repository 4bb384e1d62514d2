"""``lettergen check --pdf``: convert every letter in a temporary folder and judge its pages,
writing nothing where the letters go."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.checks.findings import Finding
from lettergen.checks.pages import page_budget
from lettergen.errors import Warn, ignore_warning
from lettergen.writers import writers_for
from lettergen.writers.pdf import PdfWriter
from lettergen.writers.pdf_pages import PageJudge

if TYPE_CHECKING:
    from lettergen.merge.render import Merge


def check_pages(
    merge: Merge, letterhead: Path | None = None, warn: Warn = ignore_warning
) -> list[Finding]:
    """Convert each of ``merge``'s letters to PDF in a temporary folder and return the page
    findings: a letter over the budget is an error, a last page of only the closing a warning."""
    meta = merge.template.meta
    [writer] = writers_for(merge, ["pdf"], letterhead=letterhead, warn=warn)
    assert isinstance(writer, PdfWriter)
    writer.pages = PageJudge(page_budget(meta, merge.template.path), "error")
    with tempfile.TemporaryDirectory(prefix="lettergen-check-pdf-") as work:
        try:
            for letter in merge.letters():
                target = Path(work) / f"{letter.name}{writer.suffix}"
                writer.stage_bytes(writer.to_bytes(letter), target, recipient=letter.record.id)
            writer.convert_staged()
        finally:
            writer.close()
    return writer.pages.findings
