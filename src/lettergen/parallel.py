"""Rendering letters over several processes (``--jobs``), and feeding a combined document.

A run has two passes (see :mod:`lettergen.output`): the first renders and checks every letter,
the second renders each again and writes it. With ``jobs`` above one, forked worker processes
render chunks of records in both passes; the main process reads the records, sends them on in
order and takes the results back in order: in the first pass, each letter's file name (to find
clashes and existing files), in the second, the bytes of its files, which it writes itself, so
that files, manifest and progress are handled exactly as in a one-process run, and an error is
the one a one-process run reports. At most a few chunks are in flight at once: memory stays
flat however many letters there are.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LettergenError, OutputError, UsageError
from .merge import Letter, Merge, Warn
from .recipients import Record

if TYPE_CHECKING:
    from .writers import Writer
    from .writers.word import CombinedDocument

# Below this many bytes of recipients, starting processes costs more than it saves.
PARALLEL_FROM = 24 * 1024
_CHUNK = 64
# Chunks in flight per worker: enough to keep every worker busy, few enough to keep memory flat.
_AHEAD = 3
_PREBUILT = "_lettergen_prebuilt"
_STAGED = "_lettergen_staged"
_PR_SET_PDEATHSIG = 1

# What forked workers render with; set in the main process just before the workers start.
_job: tuple[Merge, list[Writer], CombinedDocument | None] | None = None
# Where second-pass workers write their files (under temporary names).
_out_dir: Path | None = None


def default_jobs() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def jobs_for(jobs: int | None, merge: Merge) -> int:
    """Return how many processes to use (``jobs``: None for every core).

    One for small runs, whose recipient files are under ``PARALLEL_FROM`` bytes (a few
    hundred letters): for them, starting processes costs more than it saves.
    """
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise UsageError(f"jobs must be a whole number of processes, 1 or more, not {jobs!r}")
    wanted = default_jobs() if jobs is None else jobs
    if wanted <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        size = sum(path.stat().st_size for path in merge.options.recipients)
    except OSError:
        return 1
    return wanted if size >= PARALLEL_FROM else 1


def first_pass(
    merge: Merge, writers: list[Writer], jobs: int
) -> tuple[Iterator[Letter], list[Writer]]:
    """Return the letters of the first pass and the writers to plan them with.

    The workers render and check each letter (``writer.check``); what comes back are letters
    without text, enough to find clashing names and existing files.
    """
    letters = merge.unique(_parallel(merge, writers, jobs, None, _check_chunk))
    return letters, [_Prebuilt(w, i) for i, w in enumerate(writers)]


def second_pass(
    merge: Merge,
    writers: list[Writer],
    *,
    jobs: int = 1,
    letters: Iterator[Letter] | None = None,
    combined: CombinedDocument | None = None,
    out_dir: Path = Path(),
) -> tuple[Iterator[Letter], list[Writer]]:
    """Return the letters of the second pass and the writers to write them with.

    With one job, ``letters`` (default: ``merge.letters()``) as they are, each also added to
    ``combined``. With more, letters rendered by worker processes, which have written their
    files into ``out_dir`` under temporary names: the writers returned hand out the files'
    bytes (for the manifest) and move each file into place.
    """
    if jobs <= 1:
        return _feed(letters if letters is not None else merge.letters(), combined), writers
    global _out_dir
    _out_dir = out_dir
    stream = _parallel(merge, writers, jobs, combined, _write_chunk)
    return stream, [_Staged(w, i) for i, w in enumerate(writers)]


def _feed(letters: Iterable[Letter], combined: CombinedDocument | None) -> Iterator[Letter]:
    for number, letter in enumerate(letters, 1):
        if combined is not None:
            combined.add(combined.body(letter, number))
        yield letter


@dataclass
class _Done:
    """What a worker hands back for one letter."""

    name: str
    template: Path | None
    files: list[bytes]
    body: str | None = None
    warnings: list[str] = field(default_factory=list)
    # Files a worker wrote under temporary names, one per writer, for the main to move.
    temporaries: list[Path] = field(default_factory=list)


@dataclass
class _Failed:
    """A LettergenError raised in a worker, in a form that crosses processes intact."""

    kind: type[LettergenError]
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def error(self) -> LettergenError:
        return self.kind(self.message, **self.details)


_Result = tuple[list[_Done], _Failed | None]


def _failed(error: LettergenError, warnings: list[str] | None = None) -> _Failed:
    details = {"path": error.path, "line": error.line, "record": error.record}
    return _Failed(type(error), error.message, {**details, "field": error.field}, warnings or [])


def _check_chunk(first: int, records: list[Record]) -> _Result:
    """Render and check ``records`` in a worker; return their names, and the first error."""
    assert _job is not None
    merge, writers, _ = _job
    checks = [c for c in (getattr(w, "check", None) for w in writers) if c is not None]
    done = []
    # Warnings go back to the main process, which prints them in the order of the records.
    warnings: list[str] = []
    merge.warn = warnings.append
    try:
        for record in records:
            letter = merge.render(record)
            for check in checks:
                check(letter)
            done.append(_Done(letter.name, letter.template, [], None, warnings[:]))
            warnings.clear()
    except LettergenError as error:
        return done, _failed(error, warnings)
    return done, None


def _write_chunk(first: int, records: list[Record]) -> _Result:
    """Render ``records`` (numbered from ``first``) in a worker and write each file under a
    temporary name; return the files' bytes (for the manifest) and temporary names."""
    assert _job is not None
    merge, writers, combined = _job
    assert _out_dir is not None
    done = []
    try:
        for number, record in enumerate(records, first):
            letter = merge.render(record)
            body = combined.body(letter, number) if combined is not None else None
            files = [writer.to_bytes(letter) for writer in writers]
            item = _Done(letter.name, letter.template, files, body)
            done.append(item)
            for writer, data in zip(writers, files, strict=True):
                target = _out_dir / f"{letter.name}{writer.suffix}"
                temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                item.temporaries.append(temporary)
                try:
                    with open(temporary, "wb") as handle:
                        handle.write(data)
                except OSError as exc:
                    raise OutputError(f"cannot write: {exc.strerror}", path=target) from None
    except LettergenError as error:
        return done, _failed(error)
    return done, None


def _die_with_parent() -> None:
    """Have the kernel kill this worker when the main process dies (even by ``kill -9``).

    A worker outliving its run would go on writing temporary files into the output folder.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    # Ctrl-C reaches the whole process group: the main process stops the run, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parallel(
    merge: Merge,
    writers: list[Writer],
    jobs: int,
    combined: CombinedDocument | None,
    work: Callable[[int, list[Record]], _Result],
) -> Iterator[Letter]:
    global _job
    _job = (merge, writers, combined)
    records = merge.records()
    head = next(records, None)
    if head is None:
        return
    # One letter rendered here first loads what rendering loads lazily (Babel's locale data,
    # language variants), once, before the workers are forked, instead of once in each.
    with contextlib.suppress(LettergenError):
        for writer in writers:
            writer.to_bytes(merge.render(head))
    context = multiprocessing.get_context("fork")
    pending: deque[tuple[list[Record], Future[_Result]]] = deque()
    # Files workers wrote that are not in place yet: removed if the run stops early.
    staged: set[Path] = set()
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_die_with_parent) as pool:
        try:
            first = 1
            for chunk in _chunks(itertools.chain([head], records), _CHUNK):
                pending.append((chunk, pool.submit(work, first, chunk)))
                first += len(chunk)
                if len(pending) >= jobs * _AHEAD:
                    yield from _collect(*pending.popleft(), combined, merge.warn, staged)
            while pending:
                yield from _collect(*pending.popleft(), combined, merge.warn, staged)
        finally:
            _job = None
            for _, future in pending:
                future.cancel()
            for _, future in pending:
                if not future.cancelled() and future.exception() is None:
                    staged.update(p for done in future.result()[0] for p in done.temporaries)
            for path in staged:
                path.unlink(missing_ok=True)


def _collect(
    records: list[Record],
    future: Future[_Result],
    combined: CombinedDocument | None,
    warn: Warn,
    staged: set[Path],
) -> Iterator[Letter]:
    done, failed = future.result()
    for item in done:
        staged.update(item.temporaries)
    for record, item in zip(records, done, strict=False):
        for message in item.warnings:
            warn(message)
        if combined is not None and item.body is not None:
            combined.add(item.body)
        letter = Letter(record=record, name=item.name, text="", template=item.template)
        letter.context[_PREBUILT] = item.files
        letter.context[_STAGED] = (item.temporaries, staged)
        yield letter
    # Raised after the letters before it, as a one-process run would.
    if failed is not None:
        for message in failed.warnings:
            warn(message)
        raise failed.error()


class _Prebuilt:
    """A writer standing in for one whose bytes a worker has made already."""

    def __init__(self, writer: Writer, index: int) -> None:
        self.format = writer.format
        self.suffix = writer.suffix
        self.index = index

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the bytes the worker made for ``letter``."""
        files: list[bytes] = letter.context[_PREBUILT]
        return files[self.index]


class _Staged(_Prebuilt):
    """A writer standing in for one whose file a worker has written under a temporary name."""

    def put(self, letter: Letter, target: Path) -> None:
        """Move the file the worker wrote for ``letter`` to ``target``."""
        temporaries, staged = letter.context[_STAGED]
        temporary = temporaries[self.index]
        try:
            os.replace(temporary, target)
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=target) from None
        staged.discard(temporary)
