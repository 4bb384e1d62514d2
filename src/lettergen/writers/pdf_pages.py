"""The page budget of PDF letters as converted: each letter's page count against the budget, and
its last page's text (poppler's ``pdftotext``) against its closing and signature block.

:class:`PageJudge` is given each letter's DOCX before conversion (its closing block is read from
it) and its PDF after; it returns the findings of :mod:`lettergen.checks.pages`. The page count
comes from the PDF bytes; only a letter of more than one page has its pages' text read.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

from lxml import etree

from lettergen.checks.findings import Finding, Severity
from lettergen.checks.pages import (
    closing_alone,
    closing_block,
    count_pages,
    only_closing,
    over_budget,
)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_T = f"{_W}t"


def paragraphs(docx: bytes) -> list[str]:
    """Return the lines of a DOCX's body, in order: each paragraph, split at its line breaks
    (a signature block is often one paragraph of lines)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive, archive.open("word/document.xml") as xml:
        out: list[str] = []
        for _, element in etree.iterparse(xml, tag=f"{_W}p"):
            text = "".join(
                (node.text or "") if node.tag == _T else "\n"
                for node in element.iter(_T, f"{_W}br", f"{_W}cr")
            )
            out.extend(text.split("\n"))
            element.clear()
        return out


def page_text(pdf: Path, page: int) -> str | None:
    """Return the text of one page of ``pdf`` (by ``pdftotext``), or None without poppler."""
    program = shutil.which("pdftotext")
    if program is None:
        return None
    result = subprocess.run(
        [program, "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=False,
    )
    return result.stdout.decode("utf-8", "replace") if result.returncode == 0 else None


class PageJudge:
    """Judges each converted letter's pages: more than ``budget`` (None: as many as the first
    letter has) is a finding of ``severity``; a last page of only the closing, a warning."""

    def __init__(self, budget: int | None = None, severity: Severity = "error") -> None:
        self.budget = budget
        self.declared = budget is not None
        self.severity = severity
        self.findings: list[Finding] = []

    @staticmethod
    def closing(docx: bytes) -> list[str]:
        """Return the closing and signature block of the letter ``docx`` (none of a file that
        is not a Word document: LibreOffice then fails over it, and says so)."""
        try:
            return closing_block(paragraphs(docx))
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
            return []

    def judge(self, recipient: str, name: str, pdf: Path, closing: list[str]) -> list[Finding]:
        """Judge the letter ``name`` (for ``recipient``) converted into ``pdf``; return (and
        keep in :attr:`findings`) what is wrong with its pages."""
        pages = count_pages(pdf.read_bytes())
        if self.budget is None:
            self.budget = pages
        found: list[Finding] = []
        if pages > self.budget:
            found.append(
                over_budget(
                    recipient,
                    name,
                    pages,
                    self.budget,
                    declared=self.declared,
                    severity=self.severity,
                )
            )
        if pages > 1:
            last, first = page_text(pdf, pages), page_text(pdf, 1)
            if last is not None and first is not None and only_closing(last, first, closing):
                found.append(closing_alone(recipient, name, pages))
        self.findings.extend(found)
        return found
