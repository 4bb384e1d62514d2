"""DOCX to PDF with ``soffice --convert-to pdf``, in bounded groups, checked letter by letter.

Starting LibreOffice costs seconds, so letters are converted many per ``soffice`` call, one call
per core at a time. A call is never handed more than :data:`GROUP` letters: LibreOffice stops
converting silently (exit status 0) after a few hundred files in one call. After every call each
of its letters must have a whole PDF; the letters that have none are tried once more in a fresh
LibreOffice, and those still missing are reported by the name of the letter they were for.

Each call gets a private, throw-away profile folder, so conversion neither needs nor touches the
user's own LibreOffice settings, and two processes never fight over one profile lock.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lettergen.errors import OutputError

INSTALL_LIBREOFFICE = "apt-get install libreoffice-writer-nogui"
# LibreOffice's names for its command-line program, most specific first.
_PROGRAMS = ("soffice", "libreoffice")
# The most letters one soffice call converts (it gives up silently after about 250).
GROUP = 100
# A call may take this long to start, plus this long per letter, before it counts as stalled.
START_SECONDS = 60.0
LETTER_SECONDS = 5.0
# How many letters a failure message names before it says "and N more".
NAMED = 10


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


def is_pdf(path: Path) -> bool:
    """Tell whether ``path`` holds a whole PDF: its header, and its end-of-file mark near the end
    (a LibreOffice that dies while writing leaves a truncated file)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(5) != b"%PDF-":
                return False
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 1024))
            return b"%%EOF" in handle.read()
    except OSError:
        return False


@dataclass
class _Call:
    """One running ``soffice`` call: its process, private profile and letters."""

    process: subprocess.Popen[bytes]
    profile: Path
    documents: list[Path]
    deadline: float
    problems: list[str] = field(default_factory=list)


def private_profile() -> tuple[Path, dict[str, str]]:
    """Make a private LibreOffice profile folder; return it and the environment to start
    LibreOffice in, whose temporary files (``lu*.tmp``) go inside it, so that removing the
    profile removes them too instead of leaving one folder in /tmp per LibreOffice started."""
    profile = Path(tempfile.mkdtemp(prefix="lettergen-libreoffice-"))
    scratch = profile / "tmp"
    scratch.mkdir()
    return profile, {**os.environ, "TMPDIR": str(scratch)}


def _start(soffice: str, documents: list[Path], out_dir: Path, timeout: float | None) -> _Call:
    profile, environment = private_profile()
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
        *(str(doc) for doc in documents),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=environment,
    )
    limit = timeout if timeout is not None else START_SECONDS + LETTER_SECONDS * len(documents)
    return _Call(process, profile, documents, time.monotonic() + limit)


def _end(call: _Call) -> None:
    if call.process.poll() is None:  # stalled or interrupted: do not leave LibreOffice behind
        call.process.kill()
        call.process.wait()
    shutil.rmtree(call.profile, ignore_errors=True)


def _run_calls(
    soffice: str, batches: list[list[Path]], out_dir: Path, jobs: int, timeout: float | None
) -> list[str]:
    """Run one soffice call per batch, ``jobs`` at a time; return what went wrong with calls
    (an exit status, a stall), without LibreOffice's own text, which names temporary files."""
    waiting = list(reversed(batches))
    running: list[_Call] = []
    problems: list[str] = []
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                running.append(_start(soffice, waiting.pop(), out_dir, timeout))
            time.sleep(0.05)
            for call in list(running):
                status = call.process.poll()
                if status is None and time.monotonic() < call.deadline:
                    continue
                if status is None:
                    problems.append("LibreOffice stalled and was stopped")
                elif status != 0:
                    problems.append(f"LibreOffice exited with status {status}")
                running.remove(call)
                _end(call)
    finally:
        for call in running:
            _end(call)
    return problems


def convert(
    documents: Sequence[Path],
    out_dir: Path,
    *,
    jobs: int | None = None,
    timeout: float | None = None,
    names: Sequence[str] | None = None,
) -> list[Path]:
    """Convert ``.docx`` files to PDF in ``out_dir``; return the PDFs in the same order.

    Up to one LibreOffice per core (or ``jobs``) converts groups of at most :data:`GROUP`
    files; what is missing afterwards is tried once more, each group in a fresh LibreOffice.
    ``timeout`` bounds one call (by default a minute plus five seconds a letter). Raises
    :class:`OutputError` when LibreOffice is missing or letters are still unconverted, naming
    them by ``names`` (by default the documents' file names).
    """
    if not documents:
        return []
    stems = [doc.stem for doc in documents]
    if len(set(stems)) != len(stems):
        raise OutputError("two documents to convert have the same name", path=documents[0])
    soffice = find_soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, jobs or os.cpu_count() or 1)
    pdfs = [out_dir / f"{stem}.pdf" for stem in stems]
    pending = list(range(len(documents)))
    problems: list[str] = []
    for _attempt in range(2):  # the first try, then one retry of what is missing
        todo = [documents[i] for i in pending]
        count = max(workers, math.ceil(len(todo) / GROUP))
        problems = _run_calls(soffice, groups(todo, count), out_dir, workers, timeout)
        pending = [i for i in pending if not is_pdf(pdfs[i])]
        for i in pending:
            pdfs[i].unlink(missing_ok=True)  # a half-written PDF is not kept
        if not pending:
            return pdfs
    labels = list(names) if names is not None else [doc.name for doc in documents]
    raise not_converted([labels[i] for i in pending], problems[0] if problems else None)


def not_converted(failed: Sequence[str], why: str | None) -> OutputError:
    """The error for letters LibreOffice did not convert, also when tried again: named by
    letter (``failed``: their files' names), with what went wrong where known."""
    shown = ", ".join(failed[:NAMED])
    more = f" and {len(failed) - NAMED} more" if len(failed) > NAMED else ""
    reason = f" ({why})" if why else ""
    return OutputError(
        f"LibreOffice did not convert {len(failed)} letter(s) to PDF, also when tried again "
        f"in a fresh LibreOffice{reason}: {shown}{more}; no PDF was written. Check that these "
        "letters open in LibreOffice (render them with --format docx), then run again"
    )
