"""The second pass of a run with several processes: putting spooled letters in place.

One process writes every manifest row first, in order, and flushes them; then forked
processes put the letters' files in place, each its own share of the spool's groups of
letters, each file through a temporary name and a rename (:func:`output.write_atomic`).
Every row is in the manifest before any file is put in place: a run killed part-way leaves
rows for letters not yet written, which ``--skip-unchanged`` then writes (a file that is
missing or differs from its latest row is never taken as up to date).

The workers read the spool through a handle of their own (its offset is theirs) and the
files built by ``--jobs`` workers from the shelves, by offset. They report each group they
finish, or their error, on a pipe; the main process draws the progress bar from it.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LettergenError, OutputError
from .manifest import FILES_SHA256, Manifest
from .output import write_atomic
from .parallel import die_with_parent
from .progress import Progress
from .spool import BODY, FILES, Spool, Spooled

if TYPE_CHECKING:
    from .writers import Writer
    from .writers.word import CombinedDocument

# Letters per group: a worker takes whole groups, and reports each one it finishes.
GROUP = 64


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
    return how many files. The manifest gets every row before the first file is written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder: {exc.strerror}", path=out_dir
        ) from None
    spooled = [Spooled(writer, index, spool) for index, writer in enumerate(writers)]
    groups: list[tuple[int, int]] = []  # where each group starts in the spool, and its size
    for offset, letter in spool.entries():
        if not groups or groups[-1][1] == GROUP:
            groups.append((offset, 0))
        groups[-1] = (groups[-1][0], groups[-1][1] + 1)
        if combined is not None:
            combined.add(letter.context[BODY])
        hashed = FILES_SHA256 in letter.context
        for writer in spooled:
            # A file built by a --jobs worker was hashed there: its bytes are not read here.
            data = b"" if hashed else writer.to_bytes(letter)
            manifest.queue(letter, writer, out_dir / f"{letter.name}{writer.suffix}", data)
    manifest.flush()
    suffixes = [writer.suffix for writer in writers]
    _put_all(spool, suffixes, out_dir, groups, processes, progress.advance)
    return spool.count * len(writers)


def _put_all(
    spool: Spool,
    suffixes: list[str],
    out_dir: Path,
    groups: list[tuple[int, int]],
    processes: int,
    advance: Callable[[int], None],
) -> None:
    """Fork ``processes`` workers to put the ``groups`` of letters in place; wait for them."""
    read_end, write_end = os.pipe()
    children: list[int] = []
    try:
        for number in range(min(processes, len(groups))):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's coverage is not collected
                os.close(read_end)
                _child(spool, suffixes, out_dir, groups[number::processes], write_end)
            children.append(pid)
        os.close(write_end)
        write_end = -1
        failure = _follow(read_end, advance)
    except BaseException:
        # Ctrl-C, or an error here: each worker finishes the file it is writing, then stops.
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
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


def _follow(read_end: int, advance: Callable[[int], None]) -> str | None:
    """Read the workers' reports until every worker is done; return the first error."""
    failure = None
    pending = b""
    while chunk := os.read(read_end, 4096):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if line.startswith(b"E"):
                failure = failure or line[1:].decode("utf-8", "replace")
            else:
                advance(int(line))
    return failure


_stopping = False


def _stop(signum: int, frame: object) -> None:
    global _stopping
    _stopping = True


def _child(
    spool: Spool,
    suffixes: list[str],
    out_dir: Path,
    groups: list[tuple[int, int]],
    report: int,
) -> None:  # pragma: no cover - runs in a forked child
    """Put the letters of ``groups`` in place, then leave the process."""
    status = 0
    try:
        die_with_parent()
        signal.signal(signal.SIGTERM, _stop)
        with spool.reader() as handle:
            for offset, count in groups:
                for letter in spool.group(handle, offset, count):
                    for index, suffix in enumerate(suffixes):
                        data = spool.read(letter.context[FILES][index])
                        write_atomic(out_dir / f"{letter.name}{suffix}", data)
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
