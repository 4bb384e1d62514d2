"""Rendering letters over several processes (``--jobs``), and feeding a combined document.

The second pass of a run (see :mod:`lettergen.output`) renders every letter again and turns it
into bytes. With ``jobs`` above one, forked worker processes do that for chunks of records;
the main process reads the records, sends them on in order, and writes the files the workers
hand back, so that files, manifest and progress are handled exactly as in a one-process run.
At most a few chunks are in flight at once: memory stays flat however many letters there are.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LettergenError
from .merge import Letter, Merge
from .recipients import Record

if TYPE_CHECKING:
    from .writers import Writer
    from .writers.word import CombinedDocument

# Below this many letters, starting processes costs more than it saves.
PARALLEL_FROM = 200
_CHUNK = 64
# Chunks in flight per worker: enough to keep every worker busy, few enough to keep memory flat.
_AHEAD = 3
_PREBUILT = "_lettergen_prebuilt"

# What forked workers render with; set in the main process just before the workers start.
_job: tuple[Merge, list[Writer], CombinedDocument | None] | None = None


def default_jobs() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def jobs_for(jobs: int | None, letters: int) -> int:
    """Return how many processes to use for ``letters`` letters (``jobs``: None for all cores)."""
    wanted = default_jobs() if jobs is None else jobs
    if wanted <= 1 or letters < PARALLEL_FROM:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return 1
    return wanted


def stream(
    merge: Merge,
    writers: list[Writer],
    *,
    jobs: int = 1,
    letters: Iterator[Letter] | None = None,
    combined: CombinedDocument | None = None,
) -> tuple[Iterator[Letter], list[Writer]]:
    """Return the letters of the second pass and the writers to write them with.

    With one job, ``letters`` (default: ``merge.letters()``) as they are, each also added to
    ``combined``. With more, letters rendered by worker processes, which come with their
    files' bytes, and writers that hand those bytes out.
    """
    if jobs <= 1:
        return _feed(letters if letters is not None else merge.letters(), combined), writers
    return _parallel(merge, writers, jobs, combined), [
        _Prebuilt(w, i) for i, w in enumerate(writers)
    ]


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


@dataclass
class _Failed:
    """A LettergenError raised in a worker, in a form that crosses processes intact."""

    kind: type[LettergenError]
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def error(self) -> LettergenError:
        return self.kind(self.message, **self.details)


def _work(first: int, records: list[Record]) -> list[_Done] | _Failed:
    """Render ``records`` (numbered from ``first``) in a worker; return their files' bytes."""
    assert _job is not None
    merge, writers, combined = _job
    done = []
    try:
        for number, record in enumerate(records, first):
            letter = merge.render(record)
            body = combined.body(letter, number) if combined is not None else None
            files = [writer.to_bytes(letter) for writer in writers]
            done.append(_Done(letter.name, letter.template, files, body))
    except LettergenError as error:
        details = {"path": error.path, "line": error.line, "record": error.record}
        return _Failed(type(error), error.message, {**details, "field": error.field})
    return done


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
    merge: Merge, writers: list[Writer], jobs: int, combined: CombinedDocument | None
) -> Iterator[Letter]:
    global _job
    _job = (merge, writers, combined)
    context = multiprocessing.get_context("fork")
    pending: deque[tuple[list[Record], Future[list[_Done] | _Failed]]] = deque()
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        try:
            first = 1
            for chunk in _chunks(merge.records(), _CHUNK):
                pending.append((chunk, pool.submit(_work, first, chunk)))
                first += len(chunk)
                if len(pending) >= jobs * _AHEAD:
                    yield from _collect(*pending.popleft(), combined)
            while pending:
                yield from _collect(*pending.popleft(), combined)
        finally:
            _job = None
            for _, future in pending:
                future.cancel()


def _collect(
    records: list[Record],
    future: Future[list[_Done] | _Failed],
    combined: CombinedDocument | None,
) -> Iterator[Letter]:
    result = future.result()
    if isinstance(result, _Failed):
        raise result.error()
    for record, done in zip(records, result, strict=True):
        if combined is not None and done.body is not None:
            combined.add(done.body)
        letter = Letter(record=record, name=done.name, text="", template=done.template)
        letter.context[_PREBUILT] = done.files
        yield letter


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
