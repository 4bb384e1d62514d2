"""The checker keeps nothing per letter: its state does not grow with the number of records."""

from __future__ import annotations

import csv
import gc
import tracemalloc
from pathlib import Path

import pytest

from lettergen import hashset
from lettergen.checks import Checker, Report
from lettergen.merge.render import Merge
from lettergen.options import MergeOptions

from .conftest import SAMPLE_TEMPLATE

FIRST = ["Anna", "Jean", "Maria", "Peter", "Sofia", "Lukas", "Elena", "Marc"]
LAST = ["Schmidt", "Dupont", "Rossi", "Novak", "Garcia", "Jensen", "Muller", "Martin"]
CITIES = [("75007", "Paris"), ("10117", "Berlin"), ("00187", "Roma"), ("1000", "Bruxelles")]


def _letters(number: int) -> str:
    """Return a word-like suffix for ``number`` (a, b, ..., ba): names stay distinct."""
    text = ""
    while True:
        number, rest = divmod(number, 26)
        text = chr(97 + rest) + text
        if not number:
            return text


def write_recipients(path: Path, count: int) -> Path:
    """Write ``count`` distinct, clean recipients for the sample appeal as CSV."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "id",
                "honorific",
                "name",
                "title",
                "organisation",
                "address",
                "salutation",
                "form_of_address",
            ]
        )
        for i in range(count):
            postcode, city = CITIES[i % len(CITIES)]
            writer.writerow(
                [
                    f"r{i}",
                    "Ms" if i % 2 else "Mr",
                    f"{FIRST[i % 8]} {LAST[i // 8 % 8]}{_letters(i // 64) if i >= 64 else ''}",
                    f"Minister of Things {i % 50}",
                    f"Ministry of Things {i % 50}",
                    f"Ministry of Things {i % 50}\n{i % 50 + 1} Main Street\n{postcode} {city}",
                    "Dear Minister,",
                    "Minister",
                ]
            )
    return path


def run_checker(merge: Merge, count: int, raising: bool) -> tuple[Checker, Report]:
    checker = Checker(merge)
    letters = sum(1 for _ in checker.letters(raising=raising))
    assert letters == count
    return checker, checker.finish()


def held_after_checking(tmp_path: Path, count: int, raising: bool) -> tuple[int, Report]:
    """Return the bytes a checker holds once it has checked ``count`` letters, and its report."""
    recipients = write_recipients(tmp_path / f"people-{count}.csv", count)
    merge = Merge(MergeOptions(template=SAMPLE_TEMPLATE, recipients=[recipients]))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        checker, report = run_checker(merge, count, raising)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        # The tables of 8-byte hashes, which grow by doubling, apart.
        hashes = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, hashset.__file__)]
        )
        held -= sum(stat.size for stat in hashes.statistics("filename"))
    finally:
        tracemalloc.stop()
    assert checker.report is report
    return held, report


@pytest.mark.parametrize("raising", [False, True], ids=["check", "render"])
def test_checker_memory_does_not_grow_with_records(tmp_path: Path, raising: bool) -> None:
    # Memory measured from outside, with the checker still alive after the run, leaving out
    # its tables of 8-byte hashes (ids, file names, names: a few per record, by design). Its
    # caches (letter lines, values, look-ups in the index) are bounded, at up to ~1 MB, and
    # emptied when full, so what they hold at the end varies by that much. Keeping each
    # letter's text (~3 KB) would add 6 MB for 2,000 more letters.
    held_after_checking(tmp_path, 300, raising)  # modules' own caches, filled once
    small, small_report = held_after_checking(tmp_path, 1000, raising)
    large, large_report = held_after_checking(tmp_path, 3000, raising)
    # Clean recipients: nothing found, so nothing the report must hold grows either.
    assert [str(f) for f in small_report.findings] == []
    assert [str(f) for f in large_report.findings] == []
    assert large_report.letters == 3000
    assert large - small < 1_500_000, f"{small} bytes for 1,000 letters, {large} for 3,000"


def test_findings_naming_others_are_completed_at_the_end(tmp_path: Path) -> None:
    # The first record holding a name is found by reading the records again at the end.
    recipients = write_recipients(tmp_path / "people.csv", 200)
    rows = recipients.read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(rows).replace("Dear Minister,", "Dear Mr Maria Schmidt,", 1)
    recipients.write_text(text, encoding="utf-8")
    merge = Merge(MergeOptions(template=SAMPLE_TEMPLATE, recipients=[recipients]))
    checker = Checker(merge)
    for _ in checker.letters():
        pass
    report = checker.finish()
    messages = [f"{f.record}: {f.message}" for f in report.errors]
    assert messages == [
        "r0: 'Mr Maria Schmidt' names record 'r2', another recipient of this batch, "
        "not this recipient"
    ]
