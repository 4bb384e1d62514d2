"""What a run's checks have found so far: findings grouped and counted, fields counted.

One letter's checks and the record checks add to it as letters are rendered; the batch
checks read it at the end. A worker process checks its share of the letters into a fresh
tally and hands it back (:meth:`Tally.take`) to be merged into the run's, in the order of the
records (:meth:`Tally.merge`), so a run on many processes reports what one process would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lettergen.checks.findings import LISTED, Finding, Report, Severity
from lettergen.checks.index import SHAPES_KEPT, FieldCount, FindingStyle, WantedField
from lettergen.checks.parts import CheckedPart
from lettergen.errors import LettergenError
from lettergen.inputs.recipients import Record

# Skeletons (the template's own text of a layout of letters) kept for the batch checks.
SKELETONS_KEPT = 50


class Tally:
    """The findings of a run (or of a worker's part of it), and what the checks count."""

    def __init__(self) -> None:
        self.report = Report()
        self.grouped: dict[tuple[Any, ...], Finding] = {}
        # Fields the letters use that records lack, or hold empty.
        self.missing: dict[str, FieldCount] = {}
        self.empty: dict[str, FieldCount] = {}
        # How many records have each field (nested records), or each set of fields (flat).
        self.keys: dict[str, int] = {}
        self.shapes: dict[tuple[str, ...], int] = {}
        # Letters whose lines were checked.
        self.letters = 0
        # Findings made while rendering that belong with the batch's, after the field ones.
        self.late: list[Finding] = []
        self.wanted: dict[tuple[str, Any, str | None], WantedField] = {}
        # Digests of the letters' bodies, by template (two are enough to tell they differ).
        self.bodies: dict[Path, set[bytes]] = {}
        # The template's own text of each layout of letters: (text, some ids, how many).
        self.skeletons: dict[tuple[str, ...], tuple[str, list[str], int]] = {}

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        record: Record | None = None,
        *,
        path: Path | None = None,
        line: int | None = None,
        letter_line: int | None = None,
        late: bool = False,
        group: Any = None,
    ) -> Finding:
        """Record a finding; the same finding in many letters is recorded once, counted.

        ``late`` findings are reported with the batch's; ``group`` tells apart findings whose
        messages still wait for the record they name.
        """
        key = (severity, code, message, letter_line, group)
        found = self.grouped.get(key)
        if found is not None and record is not None:
            found.count += 1
            if len(found.others) < LISTED:
                found.others.append(record.id)
            return found
        finding = Finding(
            severity,
            code,
            message,
            record=record.id if record else None,
            path=record.path if record else path,
            line=record.line if record else line,
            letter_line=letter_line,
        )
        self.grouped[key] = finding
        (self.late if late else self.report.findings).append(finding)
        return finding

    def add_naming(
        self,
        severity: Severity,
        code: str,
        message: str,
        record: Record,
        wanted: tuple[str, Any, str | None],
        *,
        style: FindingStyle = "display",
        letter_line: int | None = None,
        late: bool = False,
    ) -> None:
        """Record a finding naming (at ``NAMED_LATER``) the first record ``wanted``."""
        finding = self.add(
            severity,
            code,
            message,
            record,
            letter_line=letter_line,
            late=late,
            group=wanted,
        )
        if finding.count == 1:
            self.want(*wanted).findings.append((finding, style))

    def want(self, kind: str, key: Any, exclude: str | None = None) -> WantedField:
        """Return the wish for the first record with ``key`` of ``kind`` (made once)."""
        wanted = self.wanted.get((kind, key, exclude))
        if wanted is None:
            wanted = self.wanted[kind, key, exclude] = WantedField(kind, key, exclude)
        return wanted

    def add_error(self, error: LettergenError, code: str) -> None:
        """Record a LettergenError as an error finding at the place it names."""
        finding = Finding(
            "error", code, error.message, record=error.record, path=error.path, line=error.line
        )
        if error.field:
            finding.message = f"field '{error.field}': {finding.message}"
        self.report.findings.append(finding)

    def count(
        self, table: dict[str, FieldCount], name: str, record: Record, only_new: bool = False
    ) -> None:
        """Count ``record`` under ``name`` in ``table`` (``missing`` or ``empty``)."""
        entry = table.setdefault(name, FieldCount())
        if only_new and entry.ids and entry.ids[-1] == record.id:
            return
        entry.count += 1
        if entry.first is None:
            entry.first = record
        if len(entry.ids) < LISTED:
            entry.ids.append(record.id)

    def count_shape(self, shape: tuple[str, ...], number: int = 1) -> None:
        """Count a flat record's set of fields (flat records share a few such sets)."""
        self.shapes[shape] = self.shapes.get(shape, 0) + number
        if len(self.shapes) > SHAPES_KEPT:
            self.count_shapes()

    def count_shapes(self) -> None:
        """Add the fields of the flat records counted by shape to :attr:`keys`."""
        for shape, count in self.shapes.items():
            for key in shape:
                name = f"recipient.{key}"
                self.keys[name] = self.keys.get(name, 0) + count
        self.shapes.clear()

    def keep_skeleton(self, skeleton: tuple[str, ...], record_id: str) -> None:
        """Count one more letter laid out as ``skeleton`` (the template's own lines)."""
        known = self.skeletons.get(skeleton)
        if known is None:
            if len(self.skeletons) < SKELETONS_KEPT:
                self.skeletons[skeleton] = ("\n".join(skeleton), [record_id], 1)
        else:
            ids = known[1] if len(known[1]) >= LISTED else [*known[1], record_id]
            self.skeletons[skeleton] = (known[0], ids, known[2] + 1)

    def take(self, persons: list[list[tuple[str, ...]]]) -> CheckedPart:
        """Return what this tally holds, for the run's tally to :meth:`merge`."""
        late = {id(finding) for finding in self.late}
        return CheckedPart(
            records=self.report.records,
            letters=self.report.letters,
            checked=self.letters,
            findings=[(key, f, id(f) in late) for key, f in self.grouped.items()],
            wanted=[
                ((w.kind, w.key, w.exclude), finding, style)
                for w in self.wanted.values()
                for finding, style in w.findings
            ],
            missing=self.missing,
            empty=self.empty,
            keys=self.keys,
            shapes=self.shapes,
            skeletons=self.skeletons,
            bodies=self.bodies,
            persons=persons,
        )

    def merge(self, part: CheckedPart) -> None:
        """Take in what a part of the run gave, as if its letters had been checked here
        (parts are merged in the order of their records)."""
        self.report.records += part.records
        self.report.letters += part.letters
        self.letters += part.checked
        new: set[int] = set()
        for key, finding, late in part.findings:
            found = self.grouped.get(key)
            if found is None or finding.record is None:
                self.grouped[key] = finding
                (self.late if late else self.report.findings).append(finding)
                new.add(id(finding))
                continue
            found.count += finding.count
            for rid in [finding.record, *finding.others]:
                if len(found.others) < LISTED:
                    found.others.append(rid)
        # Which record a finding names is looked for once, for its first occurrence.
        for wanted, finding, style in part.wanted:
            if id(finding) in new:
                self.want(*wanted).findings.append((finding, style))
        for mine, theirs in ((self.missing, part.missing), (self.empty, part.empty)):
            for name, count in theirs.items():
                entry = mine.setdefault(name, FieldCount())
                entry.count += count.count
                entry.first = entry.first or count.first
                entry.ids.extend(count.ids[: max(0, LISTED - len(entry.ids))])
        for name, number in part.keys.items():
            self.keys[name] = self.keys.get(name, 0) + number
        for shape, number in part.shapes.items():
            self.count_shape(shape, number)
        for skeleton, (text, ids, number) in part.skeletons.items():
            known = self.skeletons.get(skeleton)
            if known is not None:
                kept = known[1] + ids[: max(0, LISTED - len(known[1]))]
                self.skeletons[skeleton] = (known[0], kept, known[2] + number)
            elif len(self.skeletons) < SKELETONS_KEPT:
                self.skeletons[skeleton] = (text, ids, number)
        for path, bodies in part.bodies.items():
            kept_bodies = self.bodies.setdefault(path, set())
            for body in bodies:
                if len(kept_bodies) < 2:
                    kept_bodies.add(body)
