"""Proofreading: render every letter in memory and find what a tired reader would miss.

The checks never print and never write; they return :class:`Finding` objects. Letters are
rendered through :meth:`Merge.render` with ``marked=True`` (the code path ``render`` and
``preview`` use), so the checker knows which text came from a record and which from the
template. Nothing is kept per letter: who every recipient is goes into a table of 64-bit
hashes before the first letter, each letter is compared with it as it is rendered, and the
memory of a run is flat in the number of recipients.

What is checked (issue 4): template syntax; fields the template uses that records lack, or
hold empty; record fields the template never uses; duplicate ids, the same person twice and
clashing file names; leftover placeholders; forms of address that are not the recipient's;
letters that name another recipient of the batch; and letters that are all alike although
the template personalises them.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lettergen.checks.fields import (
    MISSING,
    TemplateUse,
    field_keys,
    is_empty,
    leaf_strings,
    listed,
    lookup,
    raw_strings,
)
from lettergen.checks.findings import (
    LISTED,
    SEVERITIES,
    Finding,
    Report,
    Severity,
)
from lettergen.checks.identity import (
    CAPITAL,
    IDENTITY_FIELDS,
    OFFICE_WORDS,
    Identity,
    core_words,
    holds_office,
    identity_of,
    normalise,
    postal_city,
)
from lettergen.checks.index import (
    BITS_MASK,
    CITY_SALT,
    FILE_SALT,
    ID_SALT,
    NAME_SALT,
    NAMED_LATER,
    ORG_SALT,
    PERSON_SALT,
    SECOND_SURNAME_SALT,
    SHAPES_KEPT,
    SURNAME_SALT,
    FieldCount,
    FindingStyle,
    RecipientHashes,
    WantedField,
    person_keys,
    salted_key,
)
from lettergen.checks.lines import (
    LINES_CACHED,
    PLANS_KEPT,
    LetterLine,
    LinePlan,
    LineValue,
    excerpt,
    is_identity_value,
    own_strings,
    phrases_of,
    read_letter_line,
)
from lettergen.checks.parts import CheckedPart
from lettergen.errors import LettergenError, TemplateError, UsageError, Warn, ignore_warning
from lettergen.inputs.recipients import Record, read_file
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge, name_clash
from lettergen.merge.values import forbidden_character
from lettergen.naming import safe_filename
from lettergen.ooxml import find_forbidden
from lettergen.options import MergeOptions
from lettergen.templating.environment import (
    MARKED_VALUE,
    LetterTemplate,
    strip_marks,
)


class Checker:
    """Checks the letters of one run as they are rendered, then the batch as a whole.

    Use :meth:`letters` (which yields the letters that rendered, unmarked, ready for writing)
    and then :meth:`finish` for the report.

    Nothing is kept per letter: before the first letter, one pass over the records (no
    rendering) puts who every recipient is into a table of hashes, and each letter is
    compared with it as it is rendered. A finding that names another record names it once
    the run is over, from one more reading of the records; a clean batch needs none.
    """

    def __init__(self, merge: Merge) -> None:
        self.merge = merge
        self._start_findings()
        self._uses: dict[Path, TemplateUse] = {}
        # Ids, file names and persons seen so far (hashes), for the duplicates.
        self._seen = RecipientHashes()
        # Who the recipients are (hashes of names, surnames, organisations, cities).
        self._index: RecipientHashes | None = None
        # How many records the run has (counted when the index is built).
        self.total = 0
        self._name_words = 0
        self._org_words = 0
        self._excellent: str | None = None
        self._office_words: set[str] = set(OFFICE_WORDS)
        # Which lines need a look in letters laid out alike, by their skeletons (see _plan).
        self._plans: dict[tuple[str, ...], LinePlan] = {}
        self._line_cache: dict[str, LetterLine] = {}
        self._hits: dict[tuple[int, str], tuple[str, ...]] = {}
        self._values: dict[str, LineValue] = {}
        self._signatory = frozenset(leaf_strings(merge.sender))
        # A control character the signatory's values hold (see _check_characters).
        self._sender_char = find_forbidden("".join(raw_strings(merge.sender)))
        # In a worker process (see begin_part): who each letter's recipient is, for the
        # duplicates, which the main process looks for in the order of the records.
        self._persons: list[list[tuple[str, ...]]] | None = None

    def _start_findings(self) -> None:
        """Start with nothing found: the report, and what the checks count and group."""
        self.report = Report()
        self._grouped: dict[tuple[Any, ...], Finding] = {}
        self._missing: dict[str, FieldCount] = {}
        self._empty: dict[str, FieldCount] = {}
        self._keys: dict[str, int] = {}
        self._shapes: dict[tuple[str, ...], int] = {}
        self._letters = 0
        # Findings made while rendering that belong with the batch's, after the field ones.
        self._late: list[Finding] = []
        self._wanted: dict[tuple[str, Any, str | None], WantedField] = {}
        self._bodies: dict[Path, set[bytes]] = {}
        self._skeletons: dict[tuple[str, ...], tuple[str, list[str], int]] = {}

    # -- recording findings --

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
        found = self._grouped.get(key)
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
        self._grouped[key] = finding
        (self._late if late else self.report.findings).append(finding)
        return finding

    def _add_naming(
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
            self._want(*wanted).findings.append((finding, style))

    def _want(self, kind: str, key: Any, exclude: str | None = None) -> WantedField:
        wanted = self._wanted.get((kind, key, exclude))
        if wanted is None:
            wanted = self._wanted[kind, key, exclude] = WantedField(kind, key, exclude)
        return wanted

    def add_error(self, error: LettergenError, code: str) -> None:
        """Record a LettergenError as an error finding at the place it names."""
        finding = Finding(
            "error", code, error.message, record=error.record, path=error.path, line=error.line
        )
        if error.field:
            finding.message = f"field '{error.field}': {finding.message}"
        self.report.findings.append(finding)

    # -- the records --

    def records(self) -> Iterator[Record]:
        """Yield the run's records (as ``--only``, ``--where``, ``--limit`` choose them).

        Unlike :meth:`Merge.records`, an unreadable file is noted and the next one read, and
        a duplicate id does not stop the reading: the check reports every problem at once.
        """
        return self._select(self._read())

    def _select(self, records: Iterator[Record]) -> Iterator[Record]:
        return self.merge.select(records)

    def _read(
        self, silent: bool = False, columns: frozenset[str] | None = None
    ) -> Iterator[Record]:
        options = self.merge.options
        for path in options.recipients:
            try:
                yield from read_file(
                    path,
                    encoding=options.encoding,
                    warn=ignore_warning if silent else self.merge.warn,
                    sheet=options.sheet,
                    field_map=options.field_map,
                    columns=columns,
                )
            except LettergenError as error:
                if not silent:
                    self.add_error(error, "recipients-file")

    def _reread_records(self, columns: frozenset[str] | None = None) -> Iterator[Record]:
        """Read the run's records once more, saying nothing (it was said the first time).

        With ``columns``, the records may hold only those fields (see :func:`read_file`);
        unless ``--where`` chooses records, which it does by any field.
        """
        if self.merge.where is not None:
            columns = None
        try:
            yield from self._select(self._read(silent=True, columns=columns))
        except LettergenError:
            return  # the first reading reported it

    def _build_index(self) -> None:
        """Put who every recipient is into :attr:`_index`, before the first letter."""
        if self._index is not None:
            return
        index = self._index = RecipientHashes()
        self.total = 0
        office_words = self._office_words
        for record in self._reread_records(IDENTITY_FIELDS):
            self.total += 1
            ident = identity_of(record)
            # Every recipient's office is an office a letter may name, wherever it stands in
            # the list (and whichever process checks the letter: see parallel.py).
            for office in ident.offices:
                office_words.update(core_words(office))
            words = len(ident.name.split())
            if words >= 2:
                index.add(salted_key(NAME_SALT, ident.name))
                self._name_words = max(self._name_words, min(8, words))
            if ident.surname and index.add(salted_key(SURNAME_SALT, ident.surname)):
                # More than one record has this surname.
                index.add(salted_key(SECOND_SURNAME_SALT, ident.surname))
            words = len(ident.organisation.split())
            # One-word organisations ("Parliament") are too common a word to be a leak.
            if words >= 2:
                index.add(salted_key(ORG_SALT, ident.organisation))
                self._org_words = max(self._org_words, min(20, words))
            if ident.city:
                index.add(salted_key(CITY_SALT, ident.city))
            if ident.excellency and self._excellent is None:
                self._excellent = ident.id

    def prepare(self) -> int:
        """Read who every recipient is, before the first letter; return how many records."""
        self._build_index()
        return self.total

    def letters(self, *, raising: bool = False) -> Iterator[Letter]:
        """Render and check each record's letter; yield those that render, without marks.

        With ``raising`` (how ``render`` checks), what stops a letter from being written at
        all (an unreadable file, a duplicate id, a letter that does not render, a file name
        clash) raises the core's own error at once, as a run without checks would.
        """
        self._build_index()
        if raising:
            # The core's reading and Merge.unique raise for duplicate ids and file names.
            checked = (self.check(record, raising=True) for record in self.merge.records())
            yield from self.merge.unique(letter for letter in checked if letter)
            return
        for record in self.records():
            letter = self.check(record)
            if letter is not None:
                yield letter

    def check(self, record: Record, *, raising: bool = False) -> Letter | None:
        """Check one record and its letter; return the letter (without marks), or None."""
        self._build_index()
        self.report.records += 1
        if raising:
            letter = self.merge.render(record, marked=True)
            use = self._template_use(self.merge.template_for(record)[0])
            self._check_fields(record, use)
            return self._check_rendered(letter, use)
        duplicate = self._check_id(record)
        try:
            template, _ = self.merge.template_for(record)
            use = self._template_use(template)
        except LettergenError as error:
            self.add_error(error, "template")
            return None
        skip = self._check_fields(record, use)
        try:
            letter = self.merge.render(record, marked=True)
        except LettergenError as error:
            if error.missing_field is not None:
                self._count(self._missing, error.missing_field, record, only_new=True)
            elif not skip:
                self.add("error", "render", error.message, record, letter_line=None)
            return None
        if not duplicate:
            self._check_name(letter)
        return self._check_rendered(letter, use)

    def _check_rendered(self, letter: Letter, use: TemplateUse) -> Letter:
        """Check a letter that rendered: its values, its recipient, its text."""
        self.report.letters += 1
        self._check_characters(letter)
        ident = identity_of(letter.record)
        self._check_person(letter.record, ident)
        # The letter as printed, without the marks the checks read it with: a new letter, so
        # the one rendered for the checks is left as it was.
        return dataclasses.replace(letter, text=self._check_letter(letter, use, ident))

    def _check_characters(self, letter: Letter) -> None:
        """Report a value holding a character no letter should (a vertical tab pasted from
        Excel, a NUL): a Word document cannot hold it and a printed page does not show it.

        Only values from the data, and only those the letter prints: a template may mean its
        own form feed (a page break). The record's values are looked at, not the letter: a
        record is a few hundred characters, its letter a few thousand.
        """
        fields = letter.record.fields
        try:
            values = "".join(fields.values())  # a flat record of text: every CSV row
        except TypeError:
            values = "".join(raw_strings(fields))
        char = (find_forbidden(values) if values else None) or self._sender_char
        if char is None or char not in letter.text:
            return
        error = forbidden_character(letter.record, letter.context, char, template=letter.template)
        if error.field is not None:
            message = f"field '{error.field}': {error.message}"
            self.add("error", "control-character", message, letter.record)

    def _template_use(self, template: LetterTemplate) -> TemplateUse:
        use = self._uses.get(template.path)
        if use is None:
            use = self._uses[template.path] = TemplateUse(template, self.merge.options.name)
        return use

    def _check_id(self, record: Record) -> bool:
        if not self._seen.add(salted_key(ID_SALT, record.id)):
            return False
        self._add_naming(
            "error",
            "duplicate-id",
            f"duplicate id '{record.id}'; first at {NAMED_LATER}",
            record,
            ("id", record.id, None),
            style="where",
        )
        return True

    def _count(
        self, table: dict[str, FieldCount], name: str, record: Record, only_new: bool = False
    ) -> None:
        entry = table.setdefault(name, FieldCount())
        if only_new and entry.ids and entry.ids[-1] == record.id:
            return
        entry.count += 1
        if entry.first is None:
            entry.first = record
        if len(entry.ids) < LISTED:
            entry.ids.append(record.id)

    def _check_fields(self, record: Record, use: TemplateUse) -> bool:
        """Count missing and empty fields; return whether the letter cannot render for them."""
        fatal = False
        fields = record.fields
        nested = False
        for value in fields.values():
            if isinstance(value, dict):
                nested = True
                break
        if nested:
            for key in field_keys(fields):
                self._keys[key] = self._keys.get(key, 0) + 1
        else:
            # Flat records (every CSV row) share a few sets of keys: count those sets.
            shape = tuple(fields)
            self._shapes[shape] = self._shapes.get(shape, 0) + 1
            if len(self._shapes) > SHAPES_KEPT:
                self._count_shapes()
        for name, parts, field_use in use.recipient_uses:
            # A top-level field (most of them) without the general look-up.
            value = fields.get(parts[0], MISSING) if len(parts) == 1 else lookup(fields, parts)
            if value is MISSING:
                if not field_use.optional and not field_use.conditional:
                    self._count(self._missing, name, record)
                    fatal = True
            elif (
                not value.strip() if isinstance(value, str) else is_empty(value)
            ) and not field_use.guarded:
                self._count(self._empty, name, record)
        return fatal

    def _count_shapes(self) -> None:
        """Add the keys of the flat records counted by shape to :attr:`_keys`."""
        for shape, count in self._shapes.items():
            for key in shape:
                name = f"recipient.{key}"
                self._keys[name] = self._keys.get(name, 0) + count
        self._shapes.clear()

    def _check_name(self, letter: Letter) -> None:
        key = letter.name.casefold()
        if self._seen.add(salted_key(FILE_SALT, key)):
            self._add_naming(
                "error",
                "name-clash",
                name_clash(letter.name, NAMED_LATER),
                letter.record,
                ("file", key, None),
                style="place",
            )

    def _check_person(self, record: Record, ident: Identity) -> None:
        if self._persons is not None:
            self._persons.append(person_keys(ident))
            return
        self.check_person(record, person_keys(ident))

    def check_person(self, record: Record, keys: list[tuple[str, ...]]) -> None:
        """Warn when ``keys`` (e-mail; name and organisation) name a record seen before."""
        for key in keys:
            # A 64-bit hash stands for the key: a tuple of strings per record would cost more.
            if not self._seen.add(salted_key(PERSON_SALT, key)):
                continue
            what = "e-mail address" if key[0] == "email" else "name and organisation or address"
            self._add_naming(
                "warning",
                "duplicate-person",
                f"same {what} as record {NAMED_LATER}: the same person twice?",
                record,
                ("person", key, None),
                style="place",
            )
            break

    # -- parts of a run, checked in worker processes --

    def begin_part(self) -> None:
        """Start checking a part of the run's letters afresh (in a worker process), for
        :meth:`take_part` to hand what it finds to the run's checker (:meth:`merge_part`)."""
        self._start_findings()
        self._persons = []

    def note_template(self, record: Record) -> None:
        """Note which template ``record``'s letter takes (checked in a worker process)."""
        self._template_use(self.merge.template_for(record)[0])

    def take_part(self) -> CheckedPart:
        """Return what the letters checked since :meth:`begin_part` gave."""
        late = {id(finding) for finding in self._late}
        assert self._persons is not None
        return CheckedPart(
            records=self.report.records,
            letters=self.report.letters,
            checked=self._letters,
            findings=[(key, f, id(f) in late) for key, f in self._grouped.items()],
            wanted=[
                ((w.kind, w.key, w.exclude), finding, style)
                for w in self._wanted.values()
                for finding, style in w.findings
            ],
            missing=self._missing,
            empty=self._empty,
            keys=self._keys,
            shapes=self._shapes,
            skeletons=self._skeletons,
            bodies=self._bodies,
            persons=self._persons,
        )

    def merge_part(self, part: CheckedPart) -> None:
        """Take in what a part of the run gave, as if its letters had been checked here
        (parts are merged in the order of their records)."""
        self.report.records += part.records
        self.report.letters += part.letters
        self._letters += part.checked
        new: set[int] = set()
        for key, finding, late in part.findings:
            found = self._grouped.get(key)
            if found is None or finding.record is None:
                self._grouped[key] = finding
                (self._late if late else self.report.findings).append(finding)
                new.add(id(finding))
                continue
            found.count += finding.count
            for rid in [finding.record, *finding.others]:
                if len(found.others) < LISTED:
                    found.others.append(rid)
        # Which record a finding names is looked for once, for its first occurrence.
        for wanted, finding, style in part.wanted:
            if id(finding) in new:
                self._want(*wanted).findings.append((finding, style))
        for mine, theirs in ((self._missing, part.missing), (self._empty, part.empty)):
            for name, count in theirs.items():
                entry = mine.setdefault(name, FieldCount())
                entry.count += count.count
                entry.first = entry.first or count.first
                entry.ids.extend(count.ids[: max(0, LISTED - len(entry.ids))])
        for name, number in part.keys.items():
            self._keys[name] = self._keys.get(name, 0) + number
        for shape, number in part.shapes.items():
            self._shapes[shape] = self._shapes.get(shape, 0) + number
        if len(self._shapes) > SHAPES_KEPT:
            self._count_shapes()
        for skeleton, (text, ids, number) in part.skeletons.items():
            known = self._skeletons.get(skeleton)
            if known is not None:
                kept = known[1] + ids[: max(0, LISTED - len(known[1]))]
                self._skeletons[skeleton] = (known[0], kept, known[2] + number)
            elif len(self._skeletons) < 50:
                self._skeletons[skeleton] = (text, ids, number)
        for path, bodies in part.bodies.items():
            kept_bodies = self._bodies.setdefault(path, set())
            for body in bodies:
                if len(kept_bodies) < 2:
                    kept_bodies.add(body)

    # -- one letter --

    def _check_letter(self, letter: Letter, use: TemplateUse, ident: Identity) -> str:
        """Check one rendered letter's lines; return its text as printed (the marks left out)."""
        record = letter.record
        marked = letter.text
        own = own_strings(record.fields)
        lines = self._letter_lines(marked)
        # The template's own text, values left out: its lines are mostly the same objects in
        # every letter (the lines' cache), so the tuple hashes and compares cheaply.
        skeleton = tuple([line.skeleton for line in lines])
        # Where each printed value stands (stripped), and whether it came from this record.
        values: list[tuple[int, str, bool]] = []
        flagged: Iterable[int]
        watched: Iterable[int]
        plan = self._plans.get(skeleton)
        if plan is None and all(line.whole for line in lines):
            plan = self._plan(skeleton, lines)
        if plan is not None:
            # Only the lines that print values, or were seen to matter, need a look.
            flagged, watched, dynamic = plan
            for index in dynamic:
                number = index + 1
                for value in lines[index].values:
                    values.append((number, value, value in own))
        else:
            # A value printed over several lines: its marks are not in one line.
            lines = [read_letter_line(line) for line in strip_marks(marked).split("\n")]
            at = last = 0
            for match in MARKED_VALUE.finditer(marked):
                at += marked.count("\n", last, match.start())
                last = match.start()
                value = strip_marks(match.group(1)).strip()
                values.append((at + 1, value, value in own))
            skeleton = tuple(MARKED_VALUE.sub("\0", marked).split("\n"))
            flagged = watched = range(len(lines))

        # One look at the lines that may matter: the salutation, the closing, placeholders.
        salutation = closing_at = excellency = None
        for index in flagged:
            line = lines[index]
            if line.plain:
                continue
            number = index + 1
            if line.salutation and salutation is None:
                salutation = number
                closing_at = None  # the closing comes after the salutation
            elif line.closing and closing_at is None:
                closing_at = number
            if line.excellency and excellency is None:
                excellency = number
            for found, column in line.placeholders:
                self.add(
                    "error",
                    "placeholder",
                    f"leftover placeholder '{found}' in: {excerpt(line.text, column)}",
                    record,
                    letter_line=number,
                )
        closing = closing_at or len(lines) + 1
        # Lines that print the signatory's values (the signature) hold no form of address.
        signatory = self._signatory
        signed = {line for line, value, mine in values if not mine and value in signatory}
        vocatives = self._check_forms(record, ident, lines, watched, salutation, closing, signed)
        first_value = next((line for line, _, mine in values if mine), 0)
        block_end = salutation or first_value
        block: list[tuple[int, str]] = []
        others: list[tuple[int, str]] = []
        for number, value, mine in values:
            if not mine or not value:
                continue
            if number < block_end:
                block.append((number, value[:200]))
                continue
            facts = self._value(value)
            if facts.capitals >= 2 and facts.norm != ident.name:
                others.append((number, value[:200]))
        self._letters += 1
        self._check_others(record, ident, vocatives, excellency, salutation, block, others)
        texts = [line.text for line in lines]
        self._check_sameness(letter, use, texts, values, salutation, skeleton)
        # The letter as printed: its lines without marks, at hand already.
        return "\n".join(texts)

    def _plan(self, skeleton: tuple[str, ...], lines: list[LetterLine]) -> LinePlan:
        """Return (and keep) which lines of a letter laid out as ``lines`` need a look:
        those that print values, and those of the template's own text that may matter."""
        if len(self._plans) >= PLANS_KEPT:
            self._plans.clear()
        dynamic = {index for index, line in enumerate(lines) if line.values}
        flagged = sorted({*dynamic, *(i for i, line in enumerate(lines) if not line.plain)})
        # A line with no form of address, wherever it stands, need not be looked at again.
        watched = sorted(
            {
                *dynamic,
                *(
                    index
                    for index, line in enumerate(lines)
                    if any(line.forms(s, b) for s in (False, True) for b in (False, True))
                ),
            }
        )
        plan = self._plans[skeleton] = (tuple(flagged), tuple(watched), tuple(sorted(dynamic)))
        return plan

    def _letter_lines(self, marked: str) -> list[LetterLine]:
        """Return what the checks see in each line of a letter rendered with marks."""
        cache = self._line_cache
        lines = []
        for text in marked.split("\n"):
            line = cache.get(text)
            if line is None:
                if len(cache) >= LINES_CACHED:
                    cache.clear()  # lines of records' values, each seen once: start again
                line = cache[text] = read_letter_line(text)
            lines.append(line)
        return lines

    def _check_others(
        self,
        record: Record,
        ident: Identity,
        vocatives: tuple[tuple[int, str, str], ...],
        excellency: int | None,
        salutation: int | None,
        block: list[tuple[int, str]],
        others: list[tuple[int, str]],
    ) -> None:
        """Check one letter against who the other recipients of the batch are."""
        # The value that is the recipient's name (no need to look it up: it names them).
        own_name = next((v for _, v in block if normalise(v) == ident.name), None)
        index = self._index
        assert index is not None  # built by letters() and check()
        for line, said, named in vocatives:
            wanted: tuple[str, Any, str | None] | None = None
            if salted_key(NAME_SALT, named) in index:
                wanted = ("name", named, None)
            else:
                last = named.split()[-1]
                # The first record with that surname, unless it is this one: then the next.
                mine = last == ident.surname
                if salted_key(SECOND_SURNAME_SALT if mine else SURNAME_SALT, last) in index:
                    wanted = ("surname", last, ident.id if mine else None)
            if wanted is not None:
                self._add_naming(
                    "error",
                    "form-of-address",
                    f"'{said}' names {NAMED_LATER}, another recipient of this batch, "
                    "not this recipient",
                    record,
                    wanted,
                    letter_line=line,
                    late=True,
                )
            elif line == salutation:
                self.add(
                    "error",
                    "form-of-address",
                    f"salutation '{said}' names someone who is not this recipient",
                    record,
                    letter_line=line,
                    late=True,
                )
        if (
            excellency is not None
            and self._excellent is not None
            and not ident.excellency
            and (ident.offices or ident.name)
        ):
            self.add(
                "warning",
                "form-of-address",
                f"'Excellency' is the form of address of record '{self._excellent}', "
                "not of this recipient",
                record,
                letter_line=excellency,
                late=True,
            )
        for line, value in others + block:
            if value is own_name:
                continue  # the recipient's own name, as the address block prints it
            for name in self._value(value).names:
                if name != ident.name:
                    self._add_naming(
                        "warning",
                        "leak",
                        f"names {NAMED_LATER}, another recipient of this batch",
                        record,
                        ("name", name, None),
                        letter_line=line,
                        late=True,
                    )
        owns = [f" {own} " for own in (ident.organisation, ident.name, ident.city) if own]
        for line, value in block:
            if value is own_name:
                continue
            facts = self._value(value)
            padded = facts.padded
            # The recipient's own organisation, name and city are no leak: leave them out.
            orgs = facts.organisations
            for own in owns:
                if own in padded:
                    for own in owns:
                        padded = f" {padded} ".replace(own, " ")
                    orgs = self._index_hits(ORG_SALT, padded.strip(), self._org_words)
                    break
            for org in orgs:
                if org != ident.organisation:
                    self._add_naming(
                        "warning",
                        "leak",
                        f"the address block names '{value}', the organisation of {NAMED_LATER}",
                        record,
                        ("org", org, None),
                        letter_line=line,
                        late=True,
                    )
            postal = facts.postal
            if postal and ident.city:
                city = normalise(postal)
                if city != ident.city and salted_key(CITY_SALT, city) in index:
                    self._add_naming(
                        "warning",
                        "leak",
                        f"the address block names {postal}, the city of {NAMED_LATER}, "
                        f"not this recipient's ({ident.city})",
                        record,
                        ("city", city, None),
                        letter_line=line,
                        late=True,
                    )

    def _value(self, value: str) -> LineValue:
        """Return what the checks look up of one printed value (cached: values repeat)."""
        facts = self._values.get(value)
        if facts is None:
            norm = normalise(value)
            facts = LineValue(
                norm=norm,
                padded=f" {norm} ",
                capitals=len(CAPITAL.findall(value)),
                names=self._index_hits(NAME_SALT, norm, self._name_words),
                organisations=self._index_hits(ORG_SALT, norm, self._org_words),
                postal=postal_city(value),
            )
            if len(self._values) >= LINES_CACHED:
                self._values.clear()
            self._values[value] = facts
        return facts

    def _index_hits(self, salt: int, norm: str, longest: int) -> tuple[str, ...]:
        """Return the phrases of ``norm`` (normalised text) that the index holds as ``salt``.

        Cached: the index does not change while letters are checked, and the values of an
        address block (offices, organisations, streets) repeat from letter to letter.
        """
        key = (salt, norm)
        hits = self._hits.get(key)
        if hits is None:
            index = self._index
            assert index is not None
            bits = index.bits
            found = []
            for phrase in phrases_of(norm, longest):
                # The bit first, inline: a phrase is rarely anyone's name.
                h = hash(phrase) ^ salt
                if bits[(h >> 3) & BITS_MASK] & (1 << (h & 7)) and h in index:
                    found.append(phrase)
            if len(self._hits) >= LINES_CACHED:
                self._hits.clear()
            hits = self._hits[key] = tuple(found)
        return hits

    def _check_forms(
        self,
        record: Record,
        ident: Identity,
        lines: list[LetterLine],
        watched: Iterable[int],
        salutation: int | None,
        closing: int,
        signed: set[int],
    ) -> tuple[tuple[int, str, str], ...]:
        """Check salutation and vocatives against this recipient; return name vocatives.

        Only the ``watched`` lines (indexes, in order) are looked at: the others hold no form
        of address.
        """
        names: list[tuple[int, str, str]] = []
        for index in watched:
            line = lines[index]
            number = index + 1
            if number in signed:
                continue
            if number > closing:
                break  # the signature: the sender's offices are not forms of address
            in_body = number >= (salutation or 1)
            forms = line.known[in_body + 2 * (number == salutation)]
            if forms is None:
                forms = line.forms(number == salutation, in_body)
            if not forms:
                continue
            for said, words, vocative, office, office_words, named in forms:
                if office and any(w in self._office_words for w in office_words):
                    self._check_office(record, ident, said, office, number)
                elif (
                    vocative
                    and words
                    and ident.name_words
                    and in_body
                    and named
                    and not set(named) <= ident.name_words
                ):
                    names.append((number, said, " ".join(named)))
        return tuple(names)

    def _check_office(
        self, record: Record, ident: Identity, said: str, office: str, number: int
    ) -> None:
        if not ident.offices:
            return  # nothing to compare with: the record does not say what office it holds
        if holds_office(office, ident.offices):
            return
        finding = self.add(
            "error",
            "form-of-address",
            f"'{said}' addresses the office '{office}', but this recipient is "
            f"{ident.display_offices}",
            record,
            letter_line=number,
        )
        if finding.count == 1:
            # Whose office it is, the end of the run says (the first record that holds it).
            self._want("office", office).findings.append((finding, "office"))

    def _check_sameness(
        self,
        letter: Letter,
        use: TemplateUse,
        texts: list[str],
        values: list[tuple[int, str, bool]],
        salutation: int | None,
        skeleton: tuple[str, ...],
    ) -> None:
        """Keep a digest of the body and of the template's own text, for the batch checks."""
        path = letter.template or self.merge.template.path
        if use.personalised:
            bodies = self._bodies.setdefault(path, set())
            if len(bodies) < 2:
                # Values that say who the recipient is (the vocative, the name) do not count.
                body = texts[salutation or 0 :]
                for line, value, mine in values:
                    if mine and line > (salutation or 0) and value.strip():
                        index = line - (salutation or 0) - 1
                        if 0 <= index < len(body) and is_identity_value(letter.record, value):
                            body[index] = body[index].replace(value, "\0")
                bodies.add(hashlib.blake2b("\n".join(body).encode(), digest_size=16).digest())
        # The template's own text, values left out.
        known = self._skeletons.get(skeleton)
        if known is None:
            if len(self._skeletons) < 50:
                self._skeletons[skeleton] = ("\n".join(skeleton), [letter.record.id], 1)
        else:
            ids = known[1] if len(known[1]) >= LISTED else [*known[1], letter.record.id]
            self._skeletons[skeleton] = (known[0], ids, known[2] + 1)

    # -- the batch --

    def finish(self) -> Report:
        """Run the checks that need the whole batch and return the report."""
        total = self.report.records
        self._variant_findings()
        self._field_findings(total)
        self._batch_findings()
        self._unused_findings(total)
        order = {s: i for i, s in enumerate(SEVERITIES)}
        self.report.findings.sort(key=lambda f: order[f.severity])
        return self.report

    def _variant_findings(self) -> None:
        """Report language variants that use other fields than their default, or are stale."""
        from lettergen.templating.variants import variant_problems

        try:
            problems = variant_problems(self.merge.template.path, self.merge.options.encoding)
        except (LettergenError, OSError):
            return  # the variants that letters use were checked while rendering them
        for problem in problems:
            self.add(
                "error" if problem.severity == "error" else "warning",
                "variant",
                problem.message,
                path=problem.path,
                line=problem.line,
            )

    def _field_findings(self, total: int) -> None:
        for name, entry in self._missing.items():
            ids = listed(entry.ids, entry.count)
            first = entry.first
            self.report.findings.append(
                Finding(
                    "error",
                    "missing-field",
                    f"{entry.count} of {total} record(s) lack {name}: {ids}",
                    record=first.id if first else None,
                    path=first.path if first else None,
                    line=first.line if first else None,
                )
            )
        for name, entry in self._empty.items():
            first = entry.first
            uses = [u for t in self._uses.values() for u in [t.uses.get(name)] if u]
            conditional = all(u.conditional for u in uses)
            where = f" (template line {uses[0].line})" if uses else ""
            self.report.findings.append(
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
        for template_use in self._uses.values():
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
                self.add(
                    "error",
                    "missing-field",
                    f"{name} is used (template line {field_use.line}) but not given",
                    path=where,
                )
            elif is_empty(value) and not field_use.guarded:
                self.add(
                    "error",
                    "empty-field",
                    f"{name} is empty; template line {field_use.line} prints it as nothing",
                    path=where,
                )

    def _unused_findings(self, total: int) -> None:
        self._count_shapes()
        if any(use.dynamic for use in self._uses.values()) or not self._uses:
            return
        used = {name for use in self._uses.values() for name in use.uses}
        for key, count in sorted(self._keys.items()):
            if key == "recipient.id" or key == "recipient.language":
                continue  # ids name the files; a language picks the template
            if any(key == u or key.startswith(u + ".") or u.startswith(key + ".") for u in used):
                continue
            self.report.findings.append(
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
        index = self._index
        for skeleton, ids, count in self._skeletons.values() if index is not None else ():
            for number, text_line in enumerate(skeleton.split("\n"), start=1):
                norm = normalise(text_line.replace("\0", " "))
                for name in phrases_of(norm, self._name_words):
                    if salted_key(NAME_SALT, name) in index:  # type: ignore[operator]
                        hits.append((self._want("name", name), ids, count, number))
        self._resolve()
        self.report.findings.extend(f for f in self._late if NAMED_LATER not in f.message)
        for wanted, ids, count, number in hits:
            if wanted.first is None:
                continue
            other = wanted.first[0]
            reached = count - (1 if other in ids else 0)
            if reached > 0:
                example = next(i for i in ids if i != other)
                self.add(
                    "warning",
                    "leak",
                    f"the template's own text names record '{other}', another recipient "
                    f"of this batch, in {reached} letter(s) to others (e.g. '{example}')",
                    path=self.merge.template.path,
                    letter_line=number,
                )

        for path, bodies in self._bodies.items():
            use = self._uses[path]
            if len(bodies) == 1 and self._letters > 1 and use.personalised:
                first = use.personalised[0]
                self.add(
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
        wanted = [w for w in self._wanted.values() if w.first is None]
        if wanted:
            self._find_firsts(wanted)
        for want in self._wanted.values():
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
        self.report.findings = [f for f in self.report.findings if NAMED_LATER not in f.message]

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
        for record in self._reread_records():
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


def check(merge: Merge) -> Report:
    """Render every letter of ``merge`` in memory, write nothing, and return what is wrong."""
    checker = Checker(merge)
    for _ in checker.letters():
        pass
    return checker.finish()


def check_files(options: MergeOptions, warn: Warn | None = None) -> Report:
    """Check a run given by its options; content problems are findings, never exceptions.

    A template that does not parse or a signatory that cannot be read is an error finding;
    only misuse of the command line (:class:`UsageError`) raises.
    """
    try:
        merge = Merge(options, warn) if warn else Merge(options)
    except UsageError:
        raise
    except LettergenError as error:
        code = "template" if isinstance(error, TemplateError) else "recipients-file"
        finding = Finding("error", code, error.message, path=error.path, line=error.line)
        return Report(findings=[finding])
    return check(merge)
