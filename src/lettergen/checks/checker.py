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
from collections.abc import Iterator
from pathlib import Path

from lettergen.checks.batch import BatchChecks
from lettergen.checks.fields import (
    MISSING,
    TemplateUse,
    field_keys,
    is_empty,
    leaf_strings,
    lookup,
    raw_strings,
)
from lettergen.checks.findings import (
    Finding,
    Report,
)
from lettergen.checks.identity import (
    IDENTITY_FIELDS,
    Identity,
    identity_of,
)
from lettergen.checks.index import (
    FILE_SALT,
    ID_SALT,
    NAMED_LATER,
    PERSON_SALT,
    BatchIndex,
    RecipientHashes,
    person_keys,
    salted_key,
)
from lettergen.checks.letter import LetterChecks
from lettergen.checks.parts import CheckedPart
from lettergen.checks.records import RecordChecks
from lettergen.checks.tally import Tally
from lettergen.checks.window import too_wide
from lettergen.errors import LettergenError, TemplateError, UsageError, Warn, ignore_warning
from lettergen.inputs.recipients import Record, read_file
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge, name_clash
from lettergen.merge.values import forbidden_character
from lettergen.ooxml import find_forbidden
from lettergen.options import MergeOptions
from lettergen.templating.environment import (
    LetterTemplate,
)


class Checker:
    """Checks the letters of one run as they are rendered, then the batch as a whole.

    Use :meth:`letters` (which yields the letters that rendered, unmarked, ready for writing)
    and then :meth:`finish` for the report.

    Nothing is kept per letter: before the first letter, one pass over the records (no
    rendering) puts who every recipient is into a table of hashes (:class:`BatchIndex`), and
    each letter is compared with it as it is rendered (:class:`LetterChecks`). A finding that
    names another record names it once the run is over, from one more reading of the records
    (:class:`BatchChecks`); a clean batch needs none.
    """

    def __init__(self, merge: Merge, *, shortcuts: bool = True) -> None:
        """``shortcuts=False`` looks at every line of every letter: slower, with the same
        findings (what the shortcut for letters laid out alike is tested against)."""
        self.merge = merge
        self.tally = Tally()
        self._uses: dict[Path, TemplateUse] = {}
        # Ids, file names and persons seen so far (hashes), for the duplicates.
        self._seen = RecipientHashes()
        # Who the recipients are: read once, before the first letter.
        self._index = BatchIndex()
        self._indexed = False
        # The recipients files that do not read, and why (found by the reading before the
        # first letter).
        self._unreadable: dict[Path, LettergenError] = {}
        self._letter_checks = LetterChecks(
            self.tally,
            self._index,
            frozenset(leaf_strings(merge.sender)),
            merge.template.path,
            shortcuts=shortcuts,
        )
        self._record_checks = RecordChecks(self.tally)
        # A control character the signatory's values hold (see _check_characters).
        self._sender_char = find_forbidden("".join(raw_strings(merge.sender)))
        # In a worker process (see begin_part): who each letter's recipient is, for the
        # duplicates, which the main process looks for in the order of the records.
        self._persons: list[list[tuple[str, ...]]] | None = None

    @property
    def report(self) -> Report:
        """The report so far (complete once :meth:`finish` has run)."""
        return self.tally.report

    @property
    def total(self) -> int:
        """How many records the run has (counted before the first letter)."""
        return self._index.total

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
            if not silent and path in self._unreadable:
                # A file that does not read is reported by its error alone: the records
                # before the error are not checked (the last of them may be half read).
                self.tally.add_error(self._unreadable[path], "recipients-file")
                continue
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
                if silent:
                    self._unreadable.setdefault(path, error)
                else:
                    self.tally.add_error(error, "recipients-file")

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

    def prepare(self) -> int:
        """Read who every recipient is, before the first letter; return how many records."""
        if not self._indexed:
            self._indexed = True
            for record in self._reread_records(IDENTITY_FIELDS):
                self._index.add(record)
        return self._index.total

    # -- the letters --

    def letters(self, *, raising: bool = False) -> Iterator[Letter]:
        """Render and check each record's letter; yield those that render, without marks.

        With ``raising`` (how ``render`` checks), what stops a letter from being written at
        all (an unreadable file, a duplicate id, a letter that does not render, a file name
        clash) raises the core's own error at once, as a run without checks would.
        """
        self.prepare()
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
        self.prepare()
        self.tally.report.records += 1
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
            self.tally.add_error(error, "template")
            return None
        skip = self._check_fields(record, use)
        try:
            letter = self.merge.render(record, marked=True)
        except LettergenError as error:
            if error.missing_field is not None:
                self.tally.count(self.tally.missing, error.missing_field, record, only_new=True)
            elif not skip:
                self.tally.add("error", "render", error.message, record, letter_line=None)
            return None
        if not duplicate:
            self._check_name(letter)
        return self._check_rendered(letter, use)

    def _check_rendered(self, letter: Letter, use: TemplateUse) -> Letter:
        """Check a letter that rendered: its values, its recipient, its text."""
        self.tally.report.letters += 1
        self._check_characters(letter)
        ident = identity_of(letter.record)
        self._check_person(letter.record, ident)
        template, _ = self.merge.template_for(letter.record)
        locale = template.meta.get("locale")
        self._record_checks.check(letter.record, str(locale) if locale else None)
        for street in self._index.shared_streets(letter.record, ident):
            message = (
                f"field 'recipient.address': '{street}' is also the street of a recipient of "
                "another organisation: copied from another row?"
            )
            self.tally.add("warning", "leak", message, letter.record)
        # The letter as printed, without the marks the checks read it with: a new letter, so
        # the one rendered for the checks is left as it was.
        text = self._letter_checks.check(letter, use, ident)
        if template.meta.get("blocks"):
            self._check_window(letter.record, text, template)
        return dataclasses.replace(letter, text=text)

    def _check_window(self, record: Record, text: str, template: LetterTemplate) -> None:
        """Warn of each address line wider than the envelope's window (see :mod:`.window`)."""
        for number, line, width, room in too_wide(text, template.meta, template.path):
            self.tally.add(
                "warning",
                "address-width",
                f"address line '{line}' is {width:.0f} mm wide in the window's type, the "
                f"address field {room:.0f} mm: it wraps or is hidden in a window envelope; "
                "shorten it or split it over two lines",
                record,
                letter_line=number,
            )

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
            self.tally.add("error", "control-character", message, letter.record)

    def _template_use(self, template: LetterTemplate) -> TemplateUse:
        use = self._uses.get(template.path)
        if use is None:
            use = self._uses[template.path] = TemplateUse(template, self.merge.options.name)
        return use

    # -- the records, one by one --

    def _check_id(self, record: Record) -> bool:
        if not self._seen.add(salted_key(ID_SALT, record.id)):
            return False
        self.tally.add_naming(
            "error",
            "duplicate-id",
            f"duplicate id '{record.id}'; first at {NAMED_LATER}",
            record,
            ("id", record.id, None),
            style="where",
        )
        return True

    def _check_fields(self, record: Record, use: TemplateUse) -> bool:
        """Count missing and empty fields; return whether the letter cannot render for them."""
        tally = self.tally
        fatal = False
        fields = record.fields
        nested = False
        for value in fields.values():
            if isinstance(value, dict):
                nested = True
                break
        if nested:
            for key in field_keys(fields):
                tally.keys[key] = tally.keys.get(key, 0) + 1
        else:
            # Flat records (every CSV row) share a few sets of keys: count those sets.
            tally.count_shape(tuple(fields))
        for name, parts, field_use in use.recipient_uses:
            # A top-level field (most of them) without the general look-up.
            value = fields.get(parts[0], MISSING) if len(parts) == 1 else lookup(fields, parts)
            if value is MISSING:
                if not field_use.optional and not field_use.conditional:
                    tally.count(tally.missing, name, record)
                    fatal = True
            elif (
                not value.strip() if isinstance(value, str) else is_empty(value)
            ) and not field_use.guarded:
                tally.count(tally.empty, name, record)
        return fatal

    def _check_name(self, letter: Letter) -> None:
        key = letter.name.casefold()
        if self._seen.add(salted_key(FILE_SALT, key)):
            self.tally.add_naming(
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
            self.tally.add_naming(
                "warning",
                "duplicate-person",
                f"same {what} as record {NAMED_LATER}: the same person twice?",
                record,
                ("person", key, None),
                style="place",
            )
            break

    # -- parts of a run, checked in worker processes --

    def begin_part(self, previous: Record | None = None) -> None:
        """Start checking a part of the run's letters afresh (in a worker process), for
        :meth:`take_part` to hand what it finds to the run's checker (:meth:`merge_part`).

        ``previous`` is the record before the part's first (None for the run's first)."""
        self.tally = self._letter_checks.tally = self._record_checks.tally = Tally()
        self._record_checks.follow(previous)
        self._persons = []

    def note_template(self, record: Record) -> None:
        """Note which template ``record``'s letter takes (checked in a worker process)."""
        self._template_use(self.merge.template_for(record)[0])

    def take_part(self) -> CheckedPart:
        """Return what the letters checked since :meth:`begin_part` gave."""
        assert self._persons is not None
        return self.tally.take(self._persons)

    def merge_part(self, part: CheckedPart) -> None:
        """Take in what a part of the run gave, as if its letters had been checked here
        (parts are merged in the order of their records)."""
        self.tally.merge(part)

    # -- the batch --

    def finish(self) -> Report:
        """Run the checks that need the whole batch and return the report."""
        batch = BatchChecks(self.tally, self.merge, self._uses, self._index, self._reread_records)
        return batch.finish()


def check(merge: Merge) -> Report:
    """Render every letter of ``merge`` in memory, write nothing, and return what is wrong."""
    checker = Checker(merge)
    for _ in checker.letters():
        pass
    report = checker.finish()
    if not report.records and not report.errors:
        # Nothing else went wrong: an empty list (or a --where true for no record) is.
        try:
            merge.require_records()
        except LettergenError as error:
            report.findings.insert(0, Finding("error", "recipients-file", error.message))
    return report


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
