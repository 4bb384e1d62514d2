"""The second pass of a run with several processes: putting spooled letters in place.

Forked processes each take a share of the spool's groups of letters. For each group, a process
appends the group's manifest rows to the manifest in one write, then puts the group's files in
place, each through a temporary name and a rename (:meth:`OutputFolder.put`). A file's row
is therefore in the manifest before the file is: a run killed part-way leaves rows for letters
not yet written, which ``--skip-unchanged`` then writes (a file that is missing or differs
from its latest row is never taken as up to date). The rows of a run are in the order its
groups were finished, not always in the order of the records.

Each process tells the main one of every file it put in place (and of the file it replaced), so
that a run that fails in any process is taken back whole (see :mod:`lettergen.output.place`).

The processes read the spool through a handle of their own (its offset is theirs) and the
files built by ``--jobs`` workers from the workers' files, by offset. They report each group they
finish, or their error, on a pipe; the main process draws the progress bar from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.errors import LettergenError, OutputError
from lettergen.output import place
from lettergen.output.manifest import Manifest
from lettergen.output.place import Entry, OutputFolder
from lettergen.output.processes.workers import die_with_parent
from lettergen.output.progress import Progress
from lettergen.output.spool import Spool, SpooledFormat

if TYPE_CHECKING:
    from lettergen.writers import Writer
    from lettergen.writers.combined import CombinedDocument


def write_spooled(
    spool: Spool,
    writers: list[Writer],
    out: OutputFolder | Path,
    processes: int,
    *,
    manifest: Manifest,
    progress: Progress,
    combined: CombinedDocument | None = None,
) -> int:
    """Write every spooled letter's files into the output folder with ``processes``
    processes; return how many files."""
    with place.opened(out) as folder:
        return _write_spooled(spool, writers, folder, processes, manifest, progress, combined)


def _write_spooled(
    spool: Spool,
    writers: list[Writer],
    folder: OutputFolder,
    processes: int,
    manifest: Manifest,
    progress: Progress,
    combined: CombinedDocument | None,
) -> int:
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
                _child(spool, spooled, folder, mine, manifest, write_end)
            children.append(pid)
        os.close(write_end)
        write_end = -1
        failure = _follow(read_end, progress.advance, folder.journal, lambda: _stop(children))
    except BaseException:
        # Ctrl-C, or an error here: each process finishes the file it is writing, then stops;
        # what they put in place is still heard of.
        _stop(children)
        with contextlib.suppress(BaseException):
            _follow(read_end, lambda count: None, folder.journal, lambda: None)
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


def _follow(
    read_end: int, advance: Callable[[int], None], journal: list[Entry], stop: Callable[[], None]
) -> str | None:
    """Read the workers' reports until every worker is done; add the files they put in place to
    ``journal``. The first error reported (which is returned), or an interruption while the
    progress is drawn, asks them all to ``stop``; their reports are read on to the end."""
    pending = b""
    failure: str | None = None
    interrupted: BaseException | None = None
    while chunk := os.read(read_end, 4096):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if line.startswith(b"J"):
                journal.extend((name, kept) for name, kept in json.loads(line[1:]))
            elif failure is not None or interrupted is not None:
                continue
            elif line.startswith(b"E"):
                failure = line[1:].decode("utf-8", "replace")
                stop()  # as one process would, the run stops at its first error
            else:
                try:
                    advance(int(line))
                except BaseException as exc:  # Ctrl-C: the journal is still to be read
                    interrupted = exc
                    stop()
    if interrupted is not None:
        raise interrupted
    return failure


def _report_journal(report: int, journal: list[Entry]) -> None:
    """Tell the main process of the files put in place (and empty ``journal``), in lines short
    enough to reach the pipe whole even while other processes write to it."""
    line: list[Entry] = []
    size = 0
    for entry in journal:
        line.append(entry)
        size += len(entry[0]) + len(entry[1] or "") + 8
        if size > 500:
            os.write(report, b"J" + json.dumps(line).encode() + b"\n")
            line, size = [], 0
    if line:
        os.write(report, b"J" + json.dumps(line).encode() + b"\n")
    journal.clear()


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
    folder: OutputFolder,
    groups: list[tuple[int, int]],
    manifest: Manifest,
    report: int,
) -> None:  # pragma: no cover - runs in a forked child
    """Put the letters of ``groups`` in place, each group after its rows, telling the main
    process of each group's files; leave the process."""
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
                        name = f"{letter.name}{spooled.suffix}"
                        data = spooled.file_of(letter)
                        sha256 = spooled.sha256(letter, data)
                        target = folder.path / name
                        rows.append(manifest.row(letter, spooled.format, target, sha256))
                        files.append((name, data))
                manifest.append(rows)
                for name, data in files:
                    folder.put(name, data)
                    if _stopping:
                        raise KeyboardInterrupt
                _report_journal(report, folder.journal)
                os.write(report, f"{count}\n".encode())
    except LettergenError as error:
        _report_journal(report, folder.journal)
        os.write(report, f"E{error}\n".encode())
        status = 1
    except BaseException:
        status = 1
    finally:
        with contextlib.suppress(BaseException):
            _report_journal(report, folder.journal)
        os._exit(status)
