"""The checker keeps nothing per letter: its state does not grow with the number of records."""

from __future__ import annotations

import csv
from array import array
from pathlib import Path
from typing import Any

import pytest

from lettergen.checks import Checker, Report
from lettergen.checks import letter as letter_checks
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
                    f"Ministry of Things {i % 50}\n{i % 90 + 1} Main Street\n{postcode} {city}",
                    "Dear Minister,",
                    "Minister",
                ]
            )
    return path


def _size(value: Any) -> int:
    """Return how many items a container attribute holds (nested one level), else 0."""
    if isinstance(value, dict):
        return len(value) + sum(len(v) for v in value.values() if isinstance(v, list | set))
    if isinstance(value, list | set | tuple | frozenset):
        return len(value)
    return 0


def _parts(checker: Checker) -> dict[str, object]:
    """Return every attribute of the checker and of the objects of lettergen.checks it holds
    (its tally, its index, its letter checks), by dotted name."""
    found: dict[str, object] = {}
    todo: list[tuple[str, object]] = [("checker", checker)]
    while todo:
        prefix, obj = todo.pop()
        for name, value in vars(obj).items():
            found[f"{prefix}.{name}"] = value
            if type(value).__module__.startswith("lettergen.checks") and hasattr(value, "__dict__"):
                todo.append((f"{prefix}.{name}", value))
    return found


def _state(checker: Checker) -> dict[str, int]:
    """Return the size of every container the checker holds (the report aside)."""
    return {
        name: _size(value)
        for name, value in _parts(checker).items()
        if not name.endswith(".report")
    }


def _caches(checker: Checker) -> list[Any]:
    """Return the checker's bounded caches (of letter lines, values, index look-ups)."""
    parts = _parts(checker)
    return [
        v for n, v in parts.items() if n.rsplit(".", 1)[1] in ("_line_cache", "_hits", "_values")
    ]


def _hash_bytes(checker: Checker) -> int:
    """Return the bytes of the checker's tables of 64-bit hashes."""
    total = 0
    for value in _parts(checker).values():
        table = getattr(value, "table", None)
        if isinstance(table, array):
            total += table.itemsize * len(table)
    return total


def run(tmp_path: Path, count: int, raising: bool) -> tuple[Checker, Report]:
    recipients = write_recipients(tmp_path / f"people-{count}.csv", count)
    merge = Merge(MergeOptions(template=SAMPLE_TEMPLATE, recipients=[recipients]))
    checker = Checker(merge)
    letters = sum(1 for _ in checker.letters(raising=raising))
    assert letters == count
    return checker, checker.finish()


@pytest.mark.parametrize("raising", [False, True], ids=["check", "render"])
def test_checker_state_does_not_grow_with_records(
    tmp_path: Path, raising: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The caches (of letter lines, of phrases found in the index) are bounded; a small bound
    # shows that it is kept, at both sizes.
    monkeypatch.setattr(letter_checks, "LINES_CACHED", 200)
    small, small_report = run(tmp_path, 1000, raising)
    large, large_report = run(tmp_path, 3000, raising)
    for checker in (small, large):
        caches = _caches(checker)
        assert len(caches) == 3
        for cache in caches:
            assert 0 < len(cache) <= 200
            cache.clear()
    # Clean recipients: nothing found, so nothing the report must hold grows either.
    assert [str(f) for f in small_report.findings] == []
    assert [str(f) for f in large_report.findings] == []
    assert large_report.letters == 3000
    # No dict, list or set of the checker holds more for 3,000 records than for 1,000 ...
    assert _state(large) == _state(small)
    # ... and its tables of 8-byte hashes (ids, names, organisations) hold a few per record.
    assert _hash_bytes(large) <= 128 * 3000


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
