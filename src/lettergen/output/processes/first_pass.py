"""Rendering letters over several processes (``--jobs``).

A run renders each letter once, in its first pass (see :mod:`lettergen.output.plan`). With ``jobs``
above one, forked worker processes (:mod:`lettergen.output.processes.workers`) render, check and
build chunks of records. The main process reads the records, sends them on in order (packed: see
:func:`_pack`) and takes the results back in order: each letter's file name (to find clashes and
existing files), where the worker put its files (in the worker's own file of the spool, with their
SHA-256), and its body in a combined document. The main process spools those, so that clashes,
existing files and errors are found exactly as in a one-process run; the second pass then puts the
files in place with several processes too (:mod:`lettergen.output.put`). At most a few chunks are in
flight at once: memory stays flat however many letters there are.

With the checks on, each worker checks its letters with its copy of the run's checker, made
once the checker knows who every recipient is; what a chunk's checks found comes back with it
and is merged into the run's checker in the order of the records (Checker.merge_part), and the
duplicates (the same person twice) are looked for in the main process, which sees every record.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.errors import LettergenError, OutputError, UsageError, Warn, ignore_warning
from lettergen.inputs.recipients import CellText, Record
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge
from lettergen.output.manifest import record_sha256
from lettergen.output.plan import Builder
from lettergen.output.processes.workers import Workers
from lettergen.output.spool import Ref, Spool, SpooledLetter, Stored, WorkerFile

if TYPE_CHECKING:
    from lettergen.checks import CheckedPart, Checker
    from lettergen.writers import Writer

# Below this many bytes of recipients, starting processes costs more than it saves.
PARALLEL_FROM = 24 * 1024
_CHUNK = 64
# Chunks in flight per worker: enough to keep every worker busy, few enough to keep memory flat.
_AHEAD = 3

# A letter's body in a combined document, from the letter and its number in the run.
BodyOf = Callable[[Letter, int], str]
# What forked workers render with; set in the main process just before the workers start.
_work: _Work | None = None


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
    merge: Merge,
    writers: list[Writer],
    jobs: int,
    *,
    spool: Spool | None,
    body: BodyOf | None = None,
    checker: Checker | None = None,
) -> Iterator[Letter | SpooledLetter]:
    """Return the letters of the first pass, rendered and checked (``writer.check``) by
    worker processes.

    With a ``spool``, the workers also build each letter's files, which they put in their own files
    of the spool, and its body in a combined document (``body``); the letters come back as
    :class:`~lettergen.output.spool.SpooledLetter`, holding where their files are (without,
    a letter comes back without its text, to be named and counted). With a
    ``checker``, the workers check the letters too, each part of the run with a copy of it,
    and what they find is merged into it in the order of the records.
    """
    worker_files = spool.worker_files(jobs) if spool is not None else None
    work = _Work(merge, writers, body, worker_files, checker)
    return _named_once(merge, _parallel(work, jobs))


def _named_once(
    merge: Merge, done: Iterator[tuple[Letter, SpooledLetter | None]]
) -> Iterator[Letter | SpooledLetter]:
    """Yield each letter (the one a worker built, when it built one) once Merge.unique has
    seen that its file name is not taken."""
    named, built = itertools.tee(done)
    checked = merge.unique(letter for letter, _ in named)
    for _letter, (letter, spooled) in zip(checked, built, strict=False):
        yield spooled if spooled is not None else letter


@dataclass
class _Work:
    """What forked workers render with, and where they put what they build."""

    merge: Merge
    writers: list[Writer]
    body: BodyOf | None
    worker_files: list[WorkerFile] | None
    # The run's checks (a copy of them in each worker), when they are on.
    checker: Checker | None = None
    # This worker's file of the spool, once the worker has started.
    worker_file: WorkerFile | None = None


# What a worker hands back for one letter, as a plain tuple (a dataclass took three times as
# long to pickle and unpickle): its file name; its template's path (a Path costs more to pickle
# and to hash); where its files are; its body in a combined document; its record's hash; its
# warnings, if any; and each file's SHA-256 for the manifest (hashed in the worker).
_Texts = list[str] | None
_Done = tuple[str, str | None, list[Stored], str | None, str | None, _Texts, _Texts]


@dataclass
class _Failed:
    """A LettergenError raised in a worker, in a form that crosses processes intact."""

    kind: type[LettergenError]
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def error(self) -> LettergenError:
        return self.kind(self.message, **self.details)


_Result = tuple[list[_Done], "_Failed | None", "CheckedPart | None"]


def _failed(error: LettergenError, warnings: list[str] | None = None) -> _Failed:
    details = {"path": error.path, "line": error.line, "record": error.record}
    return _Failed(type(error), error.message, {**details, "field": error.field}, warnings or [])


# Records as they cross to a worker: the files they come from (each once), then for each its
# file's number, id, line, and fields; a row of cells travels as plain text (see _pack).
_Packed = tuple[list[Path], list[tuple[int, str, int, dict[str, Any], bool]]]


def _pack(records: list[Record]) -> _Packed:
    """Return ``records`` in a form that pickles fast.

    Pickling a Path, or a cell's text (a subclass of str), costs several times more than the
    plain text: a row of cells is sent as plain text and made cells again in the worker.
    """
    paths: dict[Path, int] = {}
    items = []
    for record in records:
        number = paths.setdefault(record.path, len(paths))
        fields = record.fields
        cells = all(type(value) is CellText for value in fields.values())
        if cells:
            fields = {key: str(value) for key, value in fields.items()}
        items.append((number, record.id, record.line, fields, cells))
    return list(paths), items


def _unpack(packed: _Packed) -> list[Record]:
    paths, items = packed
    records = []
    for number, rid, line, fields, cells in items:
        if cells:
            fields = {key: CellText(value) for key, value in fields.items()}
        records.append(Record(id=rid, fields=fields, path=paths[number], line=line))
    return records


def _build_chunk(first: int, packed: _Packed, before: _Packed | None = None) -> _Result:
    """Render, check and (when building) make the files of the ``packed`` records, numbered
    from ``first``, in a worker; return what the main process needs, and the first error.

    ``before`` holds the record before the chunk's first, which some checks compare with."""
    work = _work
    assert work is not None
    records = _unpack(packed)
    merge, worker_file, checker = work.merge, work.worker_file, work.checker
    if checker is not None:
        checker.begin_part(_unpack(before)[0] if before is not None else None)
    # Checked and built as in one process (output.plan).
    builder = Builder(work.writers)
    done: list[_Done] = []
    # Warnings go back to the main process, which prints them in the order of the records.
    warnings: list[str] = []
    merge.warn = warnings.append
    try:
        for number, record in enumerate(records, first):
            if checker is not None:
                letter = checker.check(record, raising=True)
                assert letter is not None  # raising: what does not render raises
            else:
                letter = merge.render(record)
            template = os.fspath(letter.template) if letter.template is not None else None
            if worker_file is None:
                builder.check(letter)
                done.append((letter.name, template, [], None, None, warnings or None, None))
            else:
                built = builder.build(letter)
                files: list[Stored] = [_store(worker_file, data, record) for data in built]
                digests = [hashlib.sha256(data).hexdigest() for data in built]
                body = work.body(letter, number) if work.body is not None else None
                sha = record_sha256(record.fields)
                done.append((letter.name, template, files, body, sha, warnings or None, digests))
            warnings = []
            merge.warn = warnings.append
    except LettergenError as error:
        return done, _failed(error, warnings), None
    return done, None, checker.take_part() if checker is not None else None


def _store(worker_file: WorkerFile, data: bytes, record: Record) -> Ref:
    try:
        return worker_file.put(data)
    except OSError as exc:
        raise OutputError(f"cannot spool the letter: {exc.strerror}", record=record.id) from None


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parallel(work: _Work, jobs: int) -> Iterator[tuple[Letter, SpooledLetter | None]]:
    global _work
    _work = work
    merge, writers = work.merge, work.writers
    if work.checker is not None:
        work.checker.prepare()  # who every recipient is: the workers inherit it
    records = merge.records()
    head = next(records, None)
    if head is None:
        return
    # One letter rendered here first loads what rendering loads lazily (Babel's locale data,
    # language variants), once, before the workers are forked, instead of once in each.
    # Silently: the worker that renders it again gives its warnings.
    warn, merge.warn = merge.warn, ignore_warning
    try:
        with contextlib.suppress(LettergenError):
            for writer in writers:
                writer.to_bytes(merge.render(head))
    finally:
        merge.warn = warn
    pool = Workers(jobs, _run_chunk, _take_worker_file)
    try:
        yield from _run(pool, merge, head, records, jobs, work.checker)
    finally:
        _work = None
        pool.close()


def _run_chunk(first: int, packed: _Packed, before: _Packed | None = None) -> _Result:
    # Looked up when called, so that a test can stand in for _build_chunk.
    return _build_chunk(first, packed, before)


def _take_worker_file(number: int) -> None:
    """Give a new worker process its own file of the spool."""
    if _work is not None and _work.worker_files is not None:
        _work.worker_file = _work.worker_files[number]


def _run(
    pool: Workers,
    merge: Merge,
    head: Record,
    records: Iterator[Record],
    jobs: int,
    checker: Checker | None,
) -> Iterator[tuple[Letter, SpooledLetter | None]]:
    """Hand the records to the workers in chunks, a few ahead; yield their letters in order."""
    first = 1
    # The chunks in flight, oldest first, each with the worker that has it.
    pending: deque[tuple[list[Record], int]] = deque()
    before: _Packed | None = None
    for chunk in _chunks(itertools.chain([head], records), _CHUNK):
        pending.append((chunk, pool.submit(first, _pack(chunk), before)))
        first += len(chunk)
        before = _pack(chunk[-1:])
        if len(pending) >= jobs * _AHEAD:
            chunk, worker = pending.popleft()
            yield from _collect(chunk, pool.result(worker), merge.warn, checker)
    while pending:
        chunk, worker = pending.popleft()
        yield from _collect(chunk, pool.result(worker), merge.warn, checker)


@functools.lru_cache(maxsize=64)
def _template_path(name: str) -> Path:
    """Return one Path object per template: hashing a new one for every letter (the spool
    keeps templates by number) cost more than the rest of spooling it."""
    return Path(name)


def _collect(
    records: list[Record], result: _Result, warn: Warn, checker: Checker | None
) -> Iterator[tuple[Letter, SpooledLetter | None]]:
    done, failed, part = result
    if part is not None and checker is not None:
        for record in records[: len(done)]:
            checker.note_template(record)
        checker.merge_part(part)
        for record, keys in zip(records, part.persons, strict=False):
            checker.check_person(record, keys)
    for record, (name, template, files, body, sha, warnings, digests) in zip(
        records, done, strict=False
    ):
        if warnings:
            for message in warnings:
                warn(message)
        path = _template_path(template) if template is not None else None
        # Its text stayed in the worker: the letter is named and counted here.
        letter = Letter(record=record, name=name, text="", template=path)
        spooled = None
        if sha is not None:
            spooled = SpooledLetter(
                record.id, record.path, record.line, name, path, sha, files, body, digests
            )
        yield letter, spooled
    # Raised after the letters before it, as a one-process run would.
    if failed is not None:
        for message in failed.warnings:
            warn(message)
        raise failed.error()
