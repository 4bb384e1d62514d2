"""PDF letters: the DOCX letters converted by LibreOffice, many per process, in parallel.

A run stages every letter as a DOCX in a private folder beside the letters, has LibreOffice
convert them (:mod:`lettergen.writers.pdf_batches`: bounded groups, every letter checked, what is
missing tried once more), and moves the PDFs into place only when every letter has one, so a
failing run leaves no PDF behind.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.errors import OutputError, Warn, ignore_warning
from lettergen.writers.combined import check_combine_target
from lettergen.writers.fonts import warn_missing_fonts
from lettergen.writers.pdf_batches import (
    GROUP,
    INSTALL_LIBREOFFICE,
    convert,
    find_soffice,
    groups,
    not_converted,
)
from lettergen.writers.pdf_groups import (
    LETTERS,
    GroupError,
    combine_letters,
    group_key,
    properties,
    split,
)
from lettergen.writers.pdf_pages import PageJudge
from lettergen.writers.pdf_shared import convert_shared
from lettergen.writers.pdf_uno import (
    INSTALL_UNO,
    Converter,
    ConverterError,
    ConverterPool,
    uno_python,
)
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
    "convert_one",
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


# The converter of one-letter conversions (previews), kept warm for the rest of the process.
_single: Converter | None = None
_single_lock = threading.Lock()


def convert_one(docx: Path, target: Path) -> None:
    """Convert one DOCX into the PDF ``target``: by the LibreOffice kept warm between commands
    (:mod:`pdf_shared`), else by a listener that stays up for this process's next letters (a
    preview's PDF, then its PNG pages), else by ``soffice``."""
    global _single
    soffice = find_soffice()
    python = uno_python(soffice)
    if python is not None and convert_shared(soffice, python, docx, target):
        return
    with _single_lock:
        if python is not None:
            if _single is None:
                _single = Converter(soffice, python)
                atexit.register(_single.stop)
            try:
                _single.convert(docx, target)
                return
            except ConverterError:
                _single.stop()  # tried once more below, by soffice itself
        with tempfile.TemporaryDirectory(prefix="lettergen-pdf-") as work:
            [pdf] = convert([docx], Path(work), jobs=1, names=[target.name])
            shutil.move(pdf, target)


@dataclass
class _Staged:
    """One letter on its way: its DOCX, the PDF made of it, where the PDF goes, who hears of it,
    and its conversion when a converter took it (None: converted, or why not)."""

    docx: Path
    pdf: Path
    target: Path
    on_write: Written | None
    converting: Future[str | None] | None = None
    # Who the letter is for, and its closing and signature lines (for the page checks).
    recipient: str = ""
    closing: list[str] = field(default_factory=list)


class PdfWriter(Writer):
    """Writes letters as PDF: stages each as a DOCX and has LibreOffice convert it.

    ``to_bytes`` gives the DOCX (what LibreOffice reads). :meth:`stage_bytes` keeps it in a
    private folder and hands it at once to a long-lived LibreOffice (one per core, driven over
    UNO), so that letters are converted while the next are built; where UNO is not available
    the letters wait and go to ``soffice --convert-to pdf`` in batches. :meth:`finish` waits for
    every letter, tries the ones that failed once more in a fresh LibreOffice, and moves the
    PDFs into place only when each letter has one.
    """

    format = "pdf"
    suffix = ".pdf"

    def __init__(
        self,
        docx: Writer,
        *,
        jobs: int | None = None,
        combine: Path | None = None,
        warn: Warn = ignore_warning,
        pages: PageJudge | None = None,
    ) -> None:
        self.docx = docx
        # Judges each letter's pages once converted; its findings are told to ``warn``.
        self.pages = pages or PageJudge(severity="warning")
        self.jobs = jobs
        self.combine = combine
        self.warn = warn
        self._work: Path | None = None
        self._staged: list[_Staged] = []
        # Letters waiting to be converted together, by what they share (pdf_groups).
        self._groups: dict[str, list[tuple[_Staged, bytes]]] = {}
        self._pool: ConverterPool | None = None
        self._found = False
        # Why letters go to soffice in batches rather than to a converter over UNO.
        self._without_uno: str | None = None

    def check(self, letter: Letter) -> None:
        """Check that the letter can be written: LibreOffice is there, the DOCX writer agrees."""
        if not self._found:
            find_soffice()  # in the first pass, so that a run without it writes nothing
            self._found = True
        self.docx.check(letter)

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the DOCX LibreOffice converts for ``letter``."""
        return self.docx.to_bytes(letter)

    def stage_bytes(
        self,
        docx: bytes,
        target: Path,
        on_write: Written | None = None,
        recipient: str | None = None,
    ) -> None:
        """Keep a letter's DOCX bytes and start converting them into ``target``'s PDF;
        ``on_write`` hears of the PDF (its target and bytes) just before it is put in place.
        Page findings name ``recipient`` (by default the letter's file name)."""
        if self._work is None:
            self._open(target)
            # The fonts come from the letterhead and the styles, alike in every letter.
            warn_missing_fonts(docx, self.warn)
        assert self._work is not None
        name = f"{len(self._staged):06d}-{target.stem}"
        folder = self._work
        staged = _Staged(
            folder / "docx" / f"{name}.docx",
            folder / "pdf" / f"{name}.pdf",
            target,
            on_write,
            recipient=recipient or target.stem,
            closing=self.pages.closing(docx),
        )
        staged.docx.write_bytes(docx)
        self._staged.append(staged)
        if self._pool is None:
            return
        key = group_key(docx)
        if key is None:
            staged.converting = self._pool.submit(staged.docx, staged.pdf)
            return
        group = self._groups.setdefault(key, [])
        group.append((staged, docx))
        if len(group) == LETTERS:
            self._submit_group(self._groups.pop(key))

    def _submit_group(self, group: list[tuple[_Staged, bytes]]) -> None:
        """Have a converter convert letters that share a group key in one document."""
        assert self._pool is not None and self._work is not None
        if len(group) == 1:
            staged = group[0][0]
            staged.converting = self._pool.submit(staged.docx, staged.pdf)
            return
        combined = self._work / "groups" / f"{group[0][0].docx.stem}.docx"
        combined.write_bytes(combine_letters([docx for _, docx in group]))
        pdf = combined.with_suffix(".pdf")
        letters = [staged for staged, _ in group]
        infos = [properties(docx) for _, docx in group]

        def cut() -> None:
            try:
                split(pdf, [staged.pdf for staged in letters], infos)
            except GroupError as error:
                raise ConverterError(str(error)) from None
            pdf.unlink()
            for staged in letters:
                staged.docx.unlink()

        future = self._pool.submit(combined, pdf, letters=len(group), then=cut)
        for staged in letters:
            staged.converting = future

    def _open(self, target: Path) -> None:
        """Make the staging folder and start the converters, before the first letter."""
        soffice = find_soffice()  # fail before the first letter, not after the last
        if self.combine is not None and shutil.which("pdfunite") is None:
            combine([], self.combine)  # raises the error naming the missing program
        # Beside the letters, so that the final rename stays on one filesystem.
        target.parent.mkdir(parents=True, exist_ok=True)
        self._work = Path(tempfile.mkdtemp(prefix=".lettergen-pdf-", dir=target.parent))
        (self._work / "docx").mkdir()
        (self._work / "pdf").mkdir()
        (self._work / "groups").mkdir()
        python = uno_python(soffice)
        if python is None:
            self._without_uno = f"LibreOffice's UNO bindings were not found ({INSTALL_UNO})"
        else:
            self._pool = ConverterPool(soffice, python, self.jobs or os.cpu_count() or 1)

    def _convert_all(self) -> None:
        """Wait for every letter's PDF; try the missing ones again, in fresh LibreOffices."""
        assert self._work is not None
        while self._groups:
            self._submit_group(self._groups.popitem()[1])
        failed: list[tuple[_Staged, str | None]] = [
            (s, s.converting.result() if s.converting is not None else "not converted yet")
            for s in self._staged
        ]
        failed = [(s, why) for s, why in failed if why is not None]
        pool = self._pool
        if failed and pool is not None and pool.broken is None:
            pool.restart()
            again = [(s, pool.submit(s.docx, s.pdf)) for s, _ in failed]
            failed = [(s, why) for s, future in again if (why := future.result()) is not None]
            if failed and pool.broken is None:
                raise not_converted([s.target.name for s, _ in failed], failed[0][1])
        if failed:
            if pool is not None and pool.broken is not None:
                self._without_uno = pool.broken
            if self._without_uno is not None and len(failed) > GROUP:
                self.warn(
                    f"warning: converting {len(failed)} PDF letter(s) with soffice in batches, "
                    f"which is slower: {self._without_uno}"
                )
            convert(
                [s.docx for s, _ in failed],
                self._work / "pdf",
                jobs=self.jobs,
                names=[s.target.name for s, _ in failed],
            )

    def judge_pages(self) -> None:
        """Judge every converted letter's pages (:class:`PageJudge`); tell ``warn`` of each
        finding."""
        for staged in self._staged:
            for finding in self.pages.judge(
                staged.recipient, staged.target.name, staged.pdf, staged.closing
            ):
                self.warn(str(finding))

    def convert_staged(self) -> None:
        """Convert every staged letter and judge its pages, putting nothing in place (the
        checks' ``--pdf``); :meth:`close` removes the PDFs."""
        if self._work is not None:
            self._convert_all()
            for staged in self._staged:
                self.pages.judge(staged.recipient, staged.target.name, staged.pdf, staged.closing)

    def finish(self, put: Callable[[Path, bytes], None] | None = None) -> int:
        """Convert every staged letter, put the PDFs in place; return how many files.

        ``put`` puts one file in place (the run's output folder, which can take a failed run
        back whole); without it the PDFs are moved there.
        """
        if self._work is None:
            return 0
        try:
            self._convert_all()
            self.judge_pages()
            files = 0
            for staged in self._staged:
                data = staged.pdf.read_bytes()
                if staged.on_write is not None:
                    staged.on_write(staged.target, data)
                if put is not None:
                    put(staged.target, data)
                else:
                    os.replace(staged.pdf, staged.target)
                files += 1
            if self.combine is not None:
                combine([s.target for s in self._staged], self.combine)
                files += 1
            return files
        finally:
            self.close()

    def close(self) -> None:
        """Stop the converters and remove the staging folder (also after a failure)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None
            self._staged = []
            self._groups = {}
