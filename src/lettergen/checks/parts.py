"""The findings of a worker's share of the letters, handed back to the checker to merge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lettergen.checks.findings import (
    Finding,
)
from lettergen.checks.index import FieldCount, FindingStyle


@dataclass
class CheckedPart:
    """What checking a part of a run's letters found (see :meth:`Checker.take_part`)."""

    records: int
    letters: int
    checked: int
    # Each finding with its grouping key, and whether it is reported with the batch's.
    findings: list[tuple[tuple[Any, ...], Finding, bool]]
    # Findings that name the first record with some key, once the run is over.
    wanted: list[tuple[tuple[str, Any, str | None], Finding, FindingStyle]]
    missing: dict[str, FieldCount]
    empty: dict[str, FieldCount]
    keys: dict[str, int]
    shapes: dict[tuple[str, ...], int]
    skeletons: dict[tuple[str, ...], tuple[str, list[str], int]]
    bodies: dict[Path, set[bytes]]
    # Who each letter's recipient is (Checker.check_person), in the order of the letters.
    persons: list[list[tuple[str, ...]]]
