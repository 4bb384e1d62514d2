"""The hash set that keeps per-record memory flat."""

from __future__ import annotations

import random

from lettergen.hashset import HashSet


def test_add_reports_what_was_seen_before_across_growth() -> None:
    seen = HashSet()
    keys = [f"record-{i}" for i in range(20_000)]  # several times the first table's size
    assert not any(seen.add_key(key) for key in keys)
    assert all(seen.add_key(key) for key in keys)
    assert seen.count == len(keys)
    assert hash("record-7") in seen
    assert hash("record-20000") not in seen


def test_zero_is_a_value_like_any_other() -> None:
    seen = HashSet()
    assert 0 not in seen
    assert seen.add(0) is False
    assert 0 in seen
    assert seen.add(0) is True


def test_answers_as_a_set_does_for_any_64_bit_hash_across_growth() -> None:
    # Random hashes over the whole signed range, 0 among them (kept as 1), added twice over.
    seen = HashSet()
    reference: set[int] = set()
    numbers = random.Random(5)
    values = [numbers.getrandbits(64) - 2**63 for _ in range(15_000)] + [0, 1]
    for value in values + values[::3]:
        assert seen.add(value) is ((value or 1) in reference)
        reference.add(value or 1)
    assert seen.count == len(reference)
    assert all(value in seen for value in values)
    assert numbers.getrandbits(64) not in seen
