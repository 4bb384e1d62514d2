"""PDF letters: the DOCX letters converted by LibreOffice, many per process, in parallel.

A run stages every letter as a DOCX in a private folder beside the letters, has LibreOffice
convert them (:mod:`lettergen.writers.pdf_batches`: bounded groups, every letter checked, what is
missing tried once more), and moves the PDFs into place only when every letter has one, so a
failing run leaves no PDF behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.errors import OutputError
from lettergen.writers.combined import check_combine_target
from lettergen.writers.pdf_batches import INSTALL_LIBREOFFICE, convert, find_soffice, groups
from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter

# Who hears of a PDF just before it is put in place: its target and its bytes.
Written = Callable[[Path, bytes], None]

INSTALL_POPPLER = "apt-get install poppler-utils"

__all__ = [
    "INSTALL_LIBREOFFICE",
    "PdfWriter",
    "check_combined",
    "combine",
    "convert",
    "find_soffice",
    "groups",
]


def check_combined(target: Path, *, force: bool = False) -> None:
    """Check, before a run writes anything, that its combined PDF can be made at ``target``."""
    check_combine_target(target, force=force, kind="PDF")
    if shutil.which("pdfunite") is None:
        raise OutputError(
            "a combined PDF needs 'pdfunite' (poppler), which was not found on PATH; "
            f"install it (Debian/Ubuntu: {INSTALL_POPPLER})",
            path=target,
        )


def combine(pdfs: Sequence[Path], target: Path) -> None:
    """Write one PDF holding every page of ``pdfs``, in order (with poppler's ``pdfunite``)."""
    pdfunite = shutil.which("pdfunite")
    if pdfunite is None:
        raise OutputError(
            "a combined PDF needs 'pdfunite' (poppler), which was not found on PATH; "
            f"install it (Debian/Ubuntu: {INSTALL_POPPLER})",
            path=target,
        )
    with tempfile.TemporaryDirectory(prefix=".lettergen-", dir=target.parent) as work:
        staged = Path(work) / target.name
        if len(pdfs) == 1:
            shutil.copyfile(pdfs[0], staged)
        else:
            result = subprocess.run(
                [pdfunite, *(str(p) for p in pdfs), str(staged)],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise OutputError(f"pdfunite failed: {result.stderr.strip()}", path=target)
        os.replace(staged, target)


class PdfWriter(Writer):
    """Writes letters as PDF: stages each as a DOCX, then converts them all at once.

    ``to_bytes`` gives the DOCX (what LibreOffice reads); :meth:`stage` keeps it in a private
    folder and :meth:`finish` converts every staged letter and moves the PDFs into place.
    """

    format = "pdf"
    suffix = ".pdf"

    def __init__(
        self, docx: Writer, *, jobs: int | None = None, combine: Path | None = None
    ) -> None:
        self.docx = docx
        self.jobs = jobs
        self.combine = combine
        self._work: Path | None = None
        # (staged DOCX, final PDF, who hears of the PDF before it is put in place)
        self._staged: list[tuple[Path, Path, Written | None]] = []
        self._found = False

    def check(self, letter: Letter) -> None:
        """Check that the letter can be written: LibreOffice is there, the DOCX writer agrees."""
        if not self._found:
            find_soffice()  # in the first pass, so that a run without it writes nothing
            self._found = True
        self.docx.check(letter)

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the DOCX LibreOffice converts for ``letter``."""
        return self.docx.to_bytes(letter)

    def stage_bytes(self, docx: bytes, target: Path, on_write: Written | None = None) -> None:
        """Keep a letter's DOCX bytes until :meth:`finish` converts them into ``target``;
        ``on_write`` hears of the PDF (its target and bytes) just before it is put in place."""
        if self._work is None:
            find_soffice()  # fail before the first letter, not after the last
            if self.combine is not None and shutil.which("pdfunite") is None:
                combine([], self.combine)  # raises the error naming the missing program
            # Beside the letters, so that the final rename stays on one filesystem.
            target.parent.mkdir(parents=True, exist_ok=True)
            self._work = Path(tempfile.mkdtemp(prefix=".lettergen-pdf-", dir=target.parent))
            (self._work / "docx").mkdir()
        staged = self._work / "docx" / f"{len(self._staged):06d}-{target.stem}.docx"
        staged.write_bytes(docx)
        self._staged.append((staged, target, on_write))

    def finish(self) -> int:
        """Convert every staged letter, move the PDFs into place; return how many files."""
        if self._work is None:
            return 0
        try:
            pdfs = convert(
                [doc for doc, _, _ in self._staged],
                self._work / "pdf",
                jobs=self.jobs,
                names=[target.name for _, target, _ in self._staged],
            )
            files = 0
            for pdf, (_, target, on_write) in zip(pdfs, self._staged, strict=True):
                if on_write is not None:
                    on_write(target, pdf.read_bytes())
                os.replace(pdf, target)
                files += 1
            if self.combine is not None:
                combine([target for _, target, _ in self._staged], self.combine)
                files += 1
            return files
        finally:
            self.close()

    def close(self) -> None:
        """Remove the staging folder (also after a failure)."""
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None
            self._staged = []
