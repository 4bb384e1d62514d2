"""The checks that need the whole batch, run once its letters are checked.

Fields records lack or hold empty (counted while the letters rendered), the signatory's and
the template's own fields, record fields the template never uses, language variants, the
template's own text naming a recipient, letters that all read alike; and, from one more
reading of the records, the first record each waiting finding names (a clean batch needs none).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lettergen.checks.fields import MISSING, TemplateUse, is_empty, listed, lookup
from lettergen.checks.findings import SEVERITIES, Finding, Report
from lettergen.checks.identity import holds_office, identity_of
from lettergen.checks.index import (
    NAME_SALT,
    NAMED_LATER,
    BatchIndex,
    WantedField,
    person_keys,
    salted_key,
)
from lettergen.checks.lines import phrases_of
from lettergen.checks.tally import Tally
from lettergen.errors import LettergenError
from lettergen.inputs.recipients import Record
from lettergen.merge.render import Merge
from lettergen.naming import safe_filename
from lettergen.protocol.words import normalise
from lettergen.templating.variants import variant_problems


class BatchChecks:
    """Finishes a run's checks: the findings that need every letter, and the report."""

    def __init__(
        self,
        tally: Tally,
        merge: Merge,
        uses: dict[Path, TemplateUse],
        index: BatchIndex,
        reread: Callable[[], Iterator[Record]],
    ) -> None:
        self.tally = tally
        self.merge = merge
        self.uses = uses
        self.index = index
        # Reads the run's records once more, silently (to name the records findings want).
        self.reread = reread

    def finish(self) -> Report:
        """Run the checks that need the whole batch and return the report."""
        total = self.tally.report.records
        self._variant_findings()
        self._field_findings(total)
        self._batch_findings()
        self._unused_findings(total)
        order = {s: i for i, s in enumerate(SEVERITIES)}
        self.tally.report.findings.sort(key=lambda f: order[f.severity])
        return self.tally.report

    def _variant_findings(self) -> None:
        """Report language variants that use other fields than their default, or are stale."""
        try:
            problems = variant_problems(self.merge.template.path, self.merge.options.encoding)
        except (LettergenError, OSError):
            return  # the variants that letters use were checked while rendering them
        for problem in problems:
            self.tally.add(
                "error" if problem.severity == "error" else "warning",
                "variant",
                problem.message,
                path=problem.path,
                line=problem.line,
            )

    def _field_findings(self, total: int) -> None:
        for name, entry in self.tally.missing.items():
            ids = listed(entry.ids, entry.count)
            first = entry.first
            self.tally.report.findings.append(
                Finding(
                    "error",
                    "missing-field",
                    f"{entry.count} of {total} record(s) lack {name}: {ids}",
                    record=first.id if first else None,
                    path=first.path if first else None,
                    line=first.line if first else None,
                )
            )
        for name, entry in self.tally.empty.items():
            first = entry.first
            uses = [u for t in self.uses.values() for u in [t.uses.get(name)] if u]
            conditional = all(u.conditional for u in uses)
            where = f" (template line {uses[0].line})" if uses else ""
            self.tally.report.findings.append(
                Finding(
                    "warning" if conditional else "error",
                    "empty-field",
                    f"{entry.count} of {total} record(s) have an empty {name}, which the letter "
                    f"prints as nothing{where}: {listed(entry.ids, entry.count)}",
                    record=first.id if first else None,
                    path=first.path if first else None,
                    line=first.line if first else None,
                )
            )
        for template_use in self.uses.values():
            self._outside_fields(template_use)

    def _outside_fields(self, use: TemplateUse) -> None:
        """Check the signatory's and the template's own fields once."""
        sources = {"sender": self.merge.sender, "letter": use.template.meta}
        for name, field_use in use.uses.items():
            parts = name.split(".")
            if parts[0] not in sources or field_use.optional or field_use.conditional:
                continue
            value = lookup(sources[parts[0]], parts[1:])
            where = (
                self.merge.sender_path
                if parts[0] == "sender" and self.merge.sender_path
                else use.template.path
            )
            if value is MISSING:
                self.tally.add(
                    "error",
                    "missing-field",
                    f"{name} is used (template line {field_use.line}) but not given",
                    path=where,
                )
            elif is_empty(value) and not field_use.guarded:
                self.tally.add(
                    "error",
                    "empty-field",
                    f"{name} is empty; template line {field_use.line} prints it as nothing",
                    path=where,
                )

    def _unused_findings(self, total: int) -> None:
        self.tally.count_shapes()
        if any(use.dynamic for use in self.uses.values()) or not self.uses:
            return
        used = {name for use in self.uses.values() for name in (*use.uses, *use.read_by_filters)}
        for key, count in sorted(self.tally.keys.items()):
            if key == "recipient.id" or key == "recipient.language":
                continue  # ids name the files; a language picks the template
            if any(key == u or key.startswith(u + ".") or u.startswith(key + ".") for u in used):
                continue
            self.tally.report.findings.append(
                Finding(
                    "info",
                    "unused-field",
                    f"{key} is never used by the template ({count} of {total} record(s) have it)",
                    path=self.merge.template.path,
                )
            )

    def _batch_findings(self) -> None:
        # The template's own text naming a recipient reaches every other letter.
        hits: list[tuple[WantedField, list[str], int, int]] = []
        index = self.index.hashes
        for skeleton, ids, count in self.tally.skeletons.values():
            for number, text_line in enumerate(skeleton.split("\n"), start=1):
                norm = normalise(text_line.replace("\0", " "))
                for name in phrases_of(norm, self.index.name_words):
                    if salted_key(NAME_SALT, name) in index:
                        hits.append((self.tally.want("name", name), ids, count, number))
        self._resolve()
        self.tally.report.findings.extend(
            f for f in self.tally.late if NAMED_LATER not in f.message
        )
        for wanted, ids, count, number in hits:
            if wanted.first is None:
                continue
            other = wanted.first[0]
            reached = count - (1 if other in ids else 0)
            if reached > 0:
                example = next(i for i in ids if i != other)
                self.tally.add(
                    "warning",
                    "leak",
                    f"the template's own text names record '{other}', another recipient "
                    f"of this batch, in {reached} letter(s) to others (e.g. '{example}')",
                    path=self.merge.template.path,
                    letter_line=number,
                )

        for path, bodies in self.tally.bodies.items():
            use = self.uses[path]
            if len(bodies) == 1 and self.tally.letters > 1 and use.personalised:
                first = use.personalised[0]
                self.tally.add(
                    "info",
                    "same-letters",
                    f"every letter from {path.name} reads the same apart from its address block "
                    f"and salutation, although the template personalises it with {first.name} "
                    f"(template line {first.line})",
                    path=path,
                    line=first.line,
                )

    def _resolve(self) -> None:
        """Name, in the findings that wait for it, the first record each one wants."""
        wanted = [w for w in self.tally.wanted.values() if w.first is None]
        if wanted:
            self._find_firsts(wanted)
        for want in self.tally.wanted.values():
            if want.first is None:
                continue  # only a hash was the same: no such record after all
            first, place = want.first
            for finding, style in want.findings:
                if style == "office":
                    if first != finding.record:
                        finding.message += f" ('{want.key}' is the office of record '{first}')"
                elif style == "display":
                    finding.message = finding.message.replace(NAMED_LATER, f"record '{first}'")
                elif style == "where":
                    finding.message = finding.message.replace(NAMED_LATER, place)
                else:
                    finding.message = finding.message.replace(NAMED_LATER, f"'{first}' ({place})")
        self.tally.report.findings = [
            f for f in self.tally.report.findings if NAMED_LATER not in f.message
        ]

    def _find_firsts(self, wanted: list[WantedField]) -> None:
        """Read the records once more and find the first one each of ``wanted`` asks for."""
        by_kind: dict[str, dict[Any, list[WantedField]]] = {}
        for want in wanted:
            by_kind.setdefault(want.kind, {}).setdefault(want.key, []).append(want)
        ids, files = by_kind.get("id", {}), by_kind.get("file", {})
        names, surnames = by_kind.get("name", {}), by_kind.get("surname", {})
        orgs, cities = by_kind.get("org", {}), by_kind.get("city", {})
        people, offices = by_kind.get("person", {}), by_kind.get("office", {})
        who = names or surnames or orgs or cities or people or offices
        left = len(wanted)
        for record in self.reread():
            found = list(ids.get(record.id, ()))
            if files:
                found += files.get(self._file_key(record), ())
            if who:
                ident = identity_of(record)
                found += names.get(ident.name, ())
                found += surnames.get(ident.surname, ())
                found += orgs.get(ident.organisation, ())
                found += cities.get(ident.city, ())
                for key in person_keys(ident) if people else ():
                    found += people.get(key, ())
                for office, wants in offices.items() if ident.offices else ():
                    if holds_office(office, ident.offices):
                        found += wants
            for want in found:
                if want.first is None and record.id != want.exclude:
                    want.first = (record.id, record.location)
                    left -= 1
            if not left:
                break

    def _file_key(self, record: Record) -> str | None:
        """Return the folded file name of ``record``'s letter (None if it has none)."""
        try:
            if self.merge.name_pattern is None:
                return safe_filename(record.id).casefold() or None
            return self.merge.render(record, quiet=True).name.casefold()
        except LettergenError:
            return None
