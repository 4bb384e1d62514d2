"""PDF letters: the DOCX letters converted by LibreOffice, many per process, in parallel.

Starting LibreOffice costs seconds, so a run does not start it once per letter: it stages every
letter as a DOCX, splits them into one group per core and converts each group with a single
``soffice --headless --convert-to pdf a.docx b.docx ...`` (issue 4 measured one call for 100
letters at 14.5 s against 162 s for one process per letter). Each process gets a private,
throw-away profile folder, so conversion neither needs nor touches the user's own LibreOffice
settings, and two processes never fight over one profile lock. PDFs are made in a temporary
folder and moved into place only when every conversion succeeded.
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
from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter

# Who hears of a PDF just before it is put in place: its target and its bytes.
Written = Callable[[Path, bytes], None]

INSTALL_LIBREOFFICE = "apt-get install libreoffice-writer-nogui"
INSTALL_POPPLER = "apt-get install poppler-utils"
# LibreOffice's names for its command-line program, most specific first.
_PROGRAMS = ("soffice", "libreoffice")


def find_soffice() -> str:
    """Return the LibreOffice program, or raise an OutputError saying how to install it."""
    for name in _PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    raise OutputError(
        "PDF output needs LibreOffice, but its program 'soffice' was not found on PATH; "
        f"install it (Debian/Ubuntu: {INSTALL_LIBREOFFICE}) or choose another --format"
    )


def groups(paths: Sequence[Path], count: int) -> list[list[Path]]:
    """Split ``paths`` into at most ``count`` groups of nearly equal size, keeping order."""
    count = max(1, min(count, len(paths)))
    size, extra = divmod(len(paths), count)
    out: list[list[Path]] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        out.append(list(paths[start:end]))
        start = end
    return [group for group in out if group]


def convert(
    documents: Sequence[Path],
    out_dir: Path,
    *,
    jobs: int | None = None,
    timeout: float | None = None,
) -> list[Path]:
    """Convert ``.docx`` files to PDF in ``out_dir``; return the PDFs in the same order.

    One LibreOffice process per core (or ``jobs``) converts its share of the files. Raises
    :class:`OutputError` when LibreOffice is missing, fails, or leaves a file unconverted.
    """
    if not documents:
        return []
    stems = [doc.stem for doc in documents]
    if len(set(stems)) != len(stems):
        raise OutputError("two documents to convert have the same name", path=documents[0])
    soffice = find_soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    running: list[tuple[subprocess.Popen[bytes], Path, list[Path]]] = []
    try:
        for group in groups(documents, jobs or os.cpu_count() or 1):
            profile = Path(tempfile.mkdtemp(prefix="lettergen-libreoffice-"))
            command = [
                soffice,
                "--headless",
                "--norestore",
                "--nolockcheck",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                *(str(doc) for doc in group),
            ]
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
            )
            running.append((process, profile, group))
        failures: list[str] = []
        for process, _, _ in running:
            try:
                _, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                failures.append(f"LibreOffice took longer than {timeout} s")
                continue
            if process.returncode != 0:
                failures.append(stderr.decode("utf-8", "replace").strip() or "no message")
    finally:
        for process, profile, _ in running:
            if process.poll() is None:  # interrupted: do not leave LibreOffice behind
                process.kill()
                process.wait()
            shutil.rmtree(profile, ignore_errors=True)
    pdfs = [out_dir / f"{doc.stem}.pdf" for doc in documents]
    missing = [pdf for pdf in pdfs if not _is_pdf(pdf)]
    if missing or failures:
        detail = f": {failures[0]}" if failures else ""
        raise OutputError(
            f"LibreOffice did not convert {len(missing) or len(failures)} letter(s) to PDF{detail}",
            path=missing[0] if missing else None,
        )
    return pdfs


def _is_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False


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
            pdfs = convert([doc for doc, _, _ in self._staged], self._work / "pdf", jobs=self.jobs)
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
