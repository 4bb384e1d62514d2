"""Hand-written infrastructure against well-kept libraries (issue 11), side by side.

(a) the progress bar (output/progress.py) against click.progressbar and rich's: cost per update over
100,000 updates, on a stream that says it is a terminal, and what each writes to a stream
that is not one; (b) writers/zipwriter.py against the standard library's zipfile for 1,000
DOCX letters: time, identical bytes, valid zips; (c) the fork pool (output/processes/workers.py)
against concurrent.futures.ProcessPoolExecutor with the fork context, 2 workers each, on the
same tasks: tiny ones (the cost of handing a task over and its result back) and one DOCX letter
built and zipped per task; wall time, start and shutdown included, results taken in order.

    .venv/bin/python benchmarks/bench_infrastructure.py
"""

from __future__ import annotations

import io
import multiprocessing
import time
import zipfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import click

from lettergen.inputs.recipients import Record
from lettergen.merge.letter import Letter
from lettergen.output.processes.workers import Workers
from lettergen.output.progress import Progress
from lettergen.writers.word import DocxWriter
from lettergen.writers.zipwriter import read_members

UPDATES = 100_000
LETTERS = 1_000
POOL_WORKERS = 2
TINY_TASKS = 20_000
LETTER_TASKS = 4_000
BATCH = 64  # tasks a message, as first_pass batches records
AHEAD = 3  # messages in flight per worker, as first_pass keeps them


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _ours(stream: io.StringIO) -> float:
    start = time.perf_counter()
    with Progress(UPDATES, stream=stream, delay=0.0) as progress:
        for _ in range(UPDATES):
            progress.advance()
    return time.perf_counter() - start


def _click(stream: io.StringIO) -> float:
    start = time.perf_counter()
    with click.progressbar(length=UPDATES, file=stream) as bar:
        for _ in range(UPDATES):
            bar.update(1)
    return time.perf_counter() - start


def _rich(stream: io.StringIO) -> float:
    from rich.console import Console
    from rich.progress import Progress as RichProgress

    start = time.perf_counter()
    console = Console(file=stream, force_terminal=stream.isatty())
    with RichProgress(console=console) as bar:
        task = bar.add_task("letters", total=UPDATES)
        for _ in range(UPDATES):
            bar.advance(task)
    return time.perf_counter() - start


def progress_bars() -> None:
    ours = _ours(_Terminal())
    print(f"(a) {UPDATES:,} updates: ours {ours * 1e9 / UPDATES:.0f} ns each")
    for name, run in (("click", _click), ("rich", _rich)):
        theirs = run(_Terminal())
        print(
            f"    {name} {theirs * 1e9 / UPDATES:.0f} ns each; {name} / ours = {theirs / ours:.2f}x"
        )
    for name, run in (("ours", _ours), ("click", _click), ("rich", _rich)):
        piped = io.StringIO()
        run(piped)
        print(
            f"    to a non-tty stream, {name} writes {len(piped.getvalue())} characters: "
            f"{piped.getvalue()[:60]!r}"
        )


def _letters() -> list[Letter]:
    text = "Dear Minister,\n\nI call on you to act.\n\nYours sincerely,\nAnn\n"
    return [
        Letter(Record(f"r{i}", {}, Path("x.csv"), i + 2), f"r{i}", text + str(i))
        for i in range(LETTERS)
    ]


def zips() -> None:
    writer = DocxWriter()
    letters = _letters()
    start = time.perf_counter()
    ours = [writer.to_bytes(letter) for letter in letters]
    ours_time = time.perf_counter() - start
    # zipfile gets the members as plain bytes (as a writer would hold them) and zips them.
    contents = [[(m.name, m.content(), m.method) for m in read_members(d)] for d in ours]
    start = time.perf_counter()
    theirs = []
    for members in contents:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for name, content, method in members:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = method
                target.writestr(info, content, compresslevel=1)
        theirs.append(out.getvalue())
    theirs_time = time.perf_counter() - start
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    valid = all(zipfile.ZipFile(io.BytesIO(d)).testzip() is None for d in ours + theirs)
    print(
        f"(b) {LETTERS:,} DOCX letters: ours {ours_time * 1e3:.0f} ms (render + zip), zipfile "
        f"{theirs_time * 1e3:.0f} ms (zip only, every member deflated each time); "
        f"zipfile / ours = {theirs_time / ours_time:.2f}x; identical bytes: {same}/{LETTERS}; "
        f"all valid: {valid}"
    )


_WRITER = DocxWriter()
_TEXT = "Dear Minister,\n\nI call on you to act.\n\nYours sincerely,\nAnn\n"


def _tiny(number: int) -> int:
    return number + 1


def _letter(number: int) -> bytes:
    record = Record(f"r{number}", {}, Path("x.csv"), number + 2)
    return _WRITER.to_bytes(Letter(record, f"r{number}", _TEXT + str(number)))


def _our_pool(task: Callable[[int], Any], count: int, chunksize: int) -> tuple[float, list[Any]]:
    """Run ``task`` on 0 to count - 1, ``chunksize`` numbers a message, as first_pass does."""

    def chunk(first: int) -> list[Any]:
        return [task(number) for number in range(first, min(first + chunksize, count))]

    start = time.perf_counter()
    results: list[Any] = []
    workers = Workers(POOL_WORKERS, chunk)
    try:
        given: deque[int] = deque()
        for first in range(0, count, chunksize):
            given.append(workers.submit(first))
            if len(given) >= AHEAD * POOL_WORKERS:
                results.extend(workers.result(given.popleft()))
        for worker in given:
            results.extend(workers.result(worker))
    finally:
        workers.close()
    return time.perf_counter() - start, results


def _executor(task: Callable[[int], Any], count: int, chunksize: int) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(POOL_WORKERS, mp_context=fork) as executor:
        results = list(executor.map(task, range(count), chunksize=chunksize))
    return time.perf_counter() - start, results


def pools() -> None:
    print(f"(c) fork pools, {POOL_WORKERS} workers, wall time with start and shutdown:")
    for name, task, count in (
        ("tiny tasks", _tiny, TINY_TASKS),
        ("DOCX letters", _letter, LETTER_TASKS),
    ):
        for chunksize in (1, BATCH):
            ours, expected = _our_pool(task, count, chunksize)
            theirs, results = _executor(task, count, chunksize)
            assert results == expected, "the pools disagree"
            print(
                f"    {count:,} {name}, {chunksize} a message: ours {ours * 1e3:.0f} ms "
                f"({ours * 1e6 / count:.1f} us a task), executor {theirs * 1e3:.0f} ms; "
                f"executor / ours = {theirs / ours:.2f}x"
            )


if __name__ == "__main__":
    progress_bars()
    zips()
    pools()
