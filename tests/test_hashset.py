"""The hash set that keeps per-record memory flat."""

from __future__ import annotations

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
