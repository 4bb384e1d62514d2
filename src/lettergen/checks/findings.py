"""What a check run reports: findings, the report grouping them, and the refusal to render."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lettergen.errors import LettergenError, location

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# How many record ids a grouped finding names before it says "and N more".
LISTED = 10

# Titles of the groups a report is printed in, by finding code, in printing order.
GROUPS = {
    "template": "template",
    "variant": "language variants",
    "recipients-file": "recipients files",
    "render": "letters that do not render",
    "missing-field": "missing fields",
    "empty-field": "empty fields",
    "control-character": "characters no letter can hold",
    "duplicate-id": "duplicate ids",
    "duplicate-person": "the same person twice",
    "name-clash": "file name clashes",
    "placeholder": "leftover placeholders",
    "doubled-word": "words said twice",
    "form-of-address": "forms of address",
    "record-form": "forms of address in the records",
    "leak": "other recipients named",
    "same-letters": "personalisation",
    "unused-field": "unused record fields",
    "page-budget": "letters over their page budget",
    "closing-alone": "a last page with only the closing",
}


@dataclass(slots=True)
class Finding:
    """One problem: how bad, what kind, the message and where (record, file line, letter line).

    A finding shared by several records names the first one and counts the others in
    ``count`` and ``others`` (their ids, up to :data:`LISTED`).
    """

    severity: Severity
    code: str
    message: str
    record: str | None = None
    path: Path | None = None
    line: int | None = None
    letter_line: int | None = None
    count: int = 1
    others: list[str] = field(default_factory=list)

    @property
    def location(self) -> str:
        """``path:line`` (or ``path``) this finding points at, or ``""``."""
        return location(self.path, self.line)

    def __str__(self) -> str:
        parts = [self.location] if self.location else []
        if self.record is not None:
            parts.append(f"record '{self.record}'")
        if self.letter_line is not None:
            parts.append(f"letter line {self.letter_line}")
        parts.append(f"{self.severity}: {self.message}")
        text = ": ".join(parts)
        if self.count > 1:
            more = self.count - 1 - len(self.others)
            names = ", ".join(self.others) + (f" and {more} more" if more > 0 else "")
            text += f" (also in {self.count - 1} other letter(s): {names})"
        return text


@dataclass
class Report:
    """Everything one check run found, and how many letters it looked at."""

    findings: list[Finding] = field(default_factory=list)
    records: int = 0
    letters: int = 0

    def by_severity(self, severity: Severity) -> list[Finding]:
        """Return the findings of one severity, in report order."""
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        """The findings that stop ``render``."""
        return self.by_severity("error")

    @property
    def warnings(self) -> list[Finding]:
        """The findings that stop ``render`` only with ``--strict``."""
        return self.by_severity("warning")

    def failed(self, strict: bool = False) -> bool:
        """Return whether the run has errors (or, with ``strict``, warnings)."""
        return bool(self.errors or (strict and self.warnings))

    def summary(self) -> str:
        """One line: how many letters were checked and how many findings of each kind."""
        counts = [
            f"{len(self.errors)} error(s)",
            f"{len(self.warnings)} warning(s)",
            f"{len(self.by_severity('info'))} note(s)",
        ]
        return f"{self.letters} of {self.records} letter(s) rendered; " + ", ".join(counts)

    def lines(self, severities: Iterable[Severity] = SEVERITIES) -> list[str]:
        """Return the report as text lines, grouped by severity and kind."""
        out: list[str] = []
        order = list(GROUPS)
        for severity in severities:
            found = sorted(
                self.by_severity(severity),
                key=lambda f: order.index(f.code) if f.code in order else len(order),
            )
            codes = list(dict.fromkeys(f.code for f in found))
            for code in codes:
                group = [f for f in found if f.code == code]
                out.append(f"{severity}: {GROUPS.get(code, code)} ({len(group)})")
                out.extend(f"  {f}" for f in group)
        return out


class ChecksFailed(LettergenError):
    """``render`` refused to write because the checks found errors."""

    def __init__(self, report: Report, strict: bool = False) -> None:
        self.shown = report.errors + (report.warnings if strict else [])
        first = self.shown[0] if self.shown else None
        super().__init__(
            f"refusing to write: {report.summary()}; fix these, or render with --no-check",
            path=first.path if first else None,
            line=first.line if first else None,
            record=first.record if first else None,
        )
        self.report = report

    def __str__(self) -> str:
        return "\n".join([*(str(f) for f in self.shown), self.message])
