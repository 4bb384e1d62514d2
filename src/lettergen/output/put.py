"""The second pass of a run with several processes: putting spooled letters in place.

Forked processes each take a share of the spool's groups of letters. For each group, a process
appends the group's manifest rows to the manifest in one write, then puts the group's files in
place, each through a temporary name and a rename (:func:`output.write_atomic`). A file's row
is therefore in the manifest before the file is: a run killed part-way leaves rows for letters
not yet written, which ``--skip-unchanged`` then writes (a file that is missing or differs
from its latest row is never taken as up to date). The rows of a run are in the order its
groups were finished, not always in the order of the records.

The processes read the spool through a handle of their own (its offset is theirs) and the
files built by ``--jobs`` workers from the workers' files, by offset. They report each group they
finish, or their error, on a pipe; the main process draws the progress bar from it.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.errors import LettergenError, OutputError
from lettergen.output.manifest import Manifest
from lettergen.output.plan import make_folder, write_atomic
from lettergen.output.processes.workers import die_with_parent
from lettergen.output.progress import Progress
from lettergen.output.spool import Spool, SpooledFormat

if TYPE_CHECKING:
    from lettergen.writers import Writer
    from lettergen.writers.combined import CombinedDocument


def write_spooled(
    spool: Spool,
    writers: list[Writer],
    out_dir: Path,
    processes: int,
    *,
    manifest: Manifest,
    progress: Progress,
    combined: CombinedDocument | None = None,
) -> int:
    """Write every spooled letter's files into ``out_dir`` with ``processes`` processes;
    return how many files."""
    make_folder(out_dir)
    if combined is not None:
        for letter in spool.letters():
            assert letter.body is not None
            combined.add(letter.body)
    groups = spool.groups()
    manifest.share()
    spooled = [SpooledFormat(writer, index, spool) for index, writer in enumerate(writers)]
    read_end, write_end = os.pipe()
    children: list[int] = []
    try:
        for number in range(min(processes, len(groups))):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's coverage is not collected
                os.close(read_end)
                mine = groups[number::processes]
                _child(spool, spooled, out_dir, mine, manifest, write_end)
            children.append(pid)
        os.close(write_end)
        write_end = -1
        failure = _follow(read_end, progress.advance)
        if failure is not None:
            _stop(children)  # as one process would, the run stops at its first error
    except BaseException:
        # Ctrl-C, or an error here: each process finishes the file it is writing, then stops.
        _stop(children)
        raise
    finally:
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    if failure is not None:
        raise OutputError(failure)
    return spool.count * len(writers)


def _follow(read_end: int, advance: Callable[[int], None]) -> str | None:
    """Read the workers' reports until every worker is done, or one reports an error (which
    is returned)."""
    pending = b""
    while chunk := os.read(read_end, 4096):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if line.startswith(b"E"):
                return line[1:].decode("utf-8", "replace")
            advance(int(line))
    return None


def _stop(children: list[int]) -> None:
    """Ask each worker to stop once the file it is writing is in place."""
    for pid in children:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)


_stopping = False


def _on_term(signum: int, frame: object) -> None:
    global _stopping
    _stopping = True


def _child(
    spool: Spool,
    formats: list[SpooledFormat],
    out_dir: Path,
    groups: list[tuple[int, int]],
    manifest: Manifest,
    report: int,
) -> None:  # pragma: no cover - runs in a forked child
    """Put the letters of ``groups`` in place, each group after its rows; leave the process."""
    status = 0
    try:
        die_with_parent()
        signal.signal(signal.SIGTERM, _on_term)
        with spool.reader() as handle:
            for offset, count in groups:
                files = []
                rows = []
                for letter in spool.group(handle, offset, count):
                    for spooled in formats:
                        target = out_dir / f"{letter.name}{spooled.suffix}"
                        data = spooled.file_of(letter)
                        sha256 = spooled.sha256(letter, data)
                        rows.append(manifest.row(letter, spooled.format, target, sha256))
                        files.append((target, data))
                manifest.append(rows)
                for target, data in files:
                    write_atomic(target, data)
                    if _stopping:
                        raise KeyboardInterrupt
                os.write(report, f"{count}\n".encode())
    except LettergenError as error:
        os.write(report, f"E{error}\n".encode())
        status = 1
    except BaseException:
        status = 1
    finally:
        os._exit(status)
