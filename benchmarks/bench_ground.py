"""The ground modules' hand-written parts beside what Python gives: are they still worth it?

- ``ooxml.find_forbidden`` (a bytes test in C first, the regular expression only when it finds
  something) against the regular expression alone, on the founding example's letter text.
- ``hashset.HashSet`` (64-bit hashes in an open-addressing array) against a Python ``set`` of
  the same hashes: memory at N keys, and the cost of one ``add_key``.

Run: ``.venv/bin/python benchmarks/bench_ground.py``. Figures go to docs/design.md.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from lettergen.hashset import HashSet
from lettergen.ooxml import FORBIDDEN, find_forbidden

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_e58bb6f452f40277.txt"
FALLBACK = "Monsieur le Ministre, je vous appelle à refuser l'extradition. " * 45


def best_of(turns: int, number: int, job: Callable[[], object]) -> float:
    """Return the best time of ``turns`` runs of ``number`` calls, per call, in seconds."""
    best = float("inf")
    for _ in range(turns):
        start = time.perf_counter()
        for _ in range(number):
            job()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def forbidden(turns: int) -> None:
    text = SEED.read_text(encoding="utf-8") if SEED.exists() else FALLBACK
    ours = best_of(turns, 20_000, lambda: find_forbidden(text))
    regex = best_of(turns, 20_000, lambda: FORBIDDEN.search(text))
    print(f"find_forbidden on {len(text):,} characters: {ours * 1e6:.1f} us")
    print(f"FORBIDDEN.search alone:                    {regex * 1e6:.1f} us")
    print(f"ratio (regex / ours): {regex / ours:.2f}x")


def hashes(n: int, turns: int) -> None:
    keys = [f"recipient-{i:07d}" for i in range(n)]

    tracemalloc.start()
    ours = HashSet()
    for key in keys:
        ours.add_key(key)
    ours_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    tracemalloc.start()
    plain: set[int] = set()
    for key in keys:
        plain.add(hash(key))
    plain_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    def fill_ours() -> None:
        table = HashSet()
        for key in keys:
            table.add_key(key)

    def fill_plain() -> None:
        table: set[int] = set()
        for key in keys:
            table.add(hash(key))

    ours_time = best_of(turns, 1, fill_ours) / n
    plain_time = best_of(turns, 1, fill_plain) / n
    print(f"{n:,} keys: HashSet {ours_bytes / 1e6:.1f} MB, a set {plain_bytes / 1e6:.1f} MB")
    print(f"add_key: HashSet {ours_time * 1e6:.2f} us, set.add(hash()) {plain_time * 1e6:.2f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    forbidden(args.turns)
    hashes(args.keys, args.turns)


if __name__ == "__main__":
    main()
