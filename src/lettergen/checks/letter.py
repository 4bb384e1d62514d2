"""One letter's checks: its lines read against its recipient and the batch's other recipients.

A letter rendered with marks (``Merge.render(marked=True)``) tells which text came from the
record: the checks find the salutation and the closing, forms of address that are not the
recipient's, leftover placeholders, and names, organisations or cities of other recipients of
the batch (looked up in the :class:`BatchIndex`). What they find goes into the run's
:class:`Tally`; nothing is kept per letter, only bounded caches of lines and values, which
repeat from letter to letter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lettergen.checks.fields import TemplateUse
from lettergen.checks.identity import CAPITAL, INSTRUCTION, Identity, holds_office, postal_city
from lettergen.checks.index import (
    BITS_MASK,
    CITY_SALT,
    NAME_SALT,
    NAMED_LATER,
    ORG_SALT,
    SECOND_SURNAME_SALT,
    SURNAME_SALT,
    BatchIndex,
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
from lettergen.checks.tally import Tally
from lettergen.inputs.recipients import Record
from lettergen.merge.letter import Letter
from lettergen.protocol.countries import country_name, recipient_country
from lettergen.protocol.words import normalise
from lettergen.templating.environment import MARKED_VALUE, strip_marks


class LetterChecks:
    """Checks rendered letters one by one against their recipients and the batch."""

    def __init__(
        self,
        tally: Tally,
        index: BatchIndex,
        signatory: frozenset[str],
        default_template: Path,
        *,
        shortcuts: bool = True,
    ) -> None:
        self.tally = tally
        # Whether letters laid out alike have only their lines that print values looked at.
        self.shortcuts = shortcuts
        self.index = index
        # The signatory's values: lines printing them (the signature) hold no form of address.
        self.signatory = signatory
        self.default_template = default_template
        # Which lines need a look in letters laid out alike, by their skeletons (see _plan).
        self._plans: dict[tuple[str, ...], LinePlan] = {}
        self._line_cache: dict[str, LetterLine] = {}
        self._hits: dict[tuple[int, str], tuple[str, ...]] = {}
        self._values: dict[str, LineValue] = {}

    def check(self, letter: Letter, use: TemplateUse, ident: Identity) -> str:
        """Check one rendered letter's lines; return its text as printed (the marks left out)."""
        record = letter.record
        marked = letter.text
        own = own_strings(record.fields)
        lines = self._lines(marked)
        # The template's own text, values left out: its lines are mostly the same objects in
        # every letter (the lines' cache), so the tuple hashes and compares cheaply.
        skeleton = tuple([line.skeleton for line in lines])
        # Where each printed value stands (stripped), and whether it came from this record.
        values: list[tuple[int, str, bool]] = []
        flagged: Iterable[int]
        watched: Iterable[int]
        plan = self._plans.get(skeleton)
        if plan is None and all(line.whole for line in lines):
            # Without the shortcut, every line is looked at.
            every = tuple(range(len(lines)))
            plan = self._plan(skeleton, lines) if self.shortcuts else (every, every, every)
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
            for word in line.doubled:
                self.tally.add(
                    "error",
                    "doubled-word",
                    f"'{word} {word}': the template and a value both say '{word}'",
                    record,
                    letter_line=number,
                )
            for code, phrase, _ in line.countries:
                self._check_country(record, code, phrase, number)
            for found, column in line.placeholders:
                instruction = INSTRUCTION.fullmatch(found) is not None
                self.tally.add(
                    "warning" if instruction else "error",
                    "placeholder",
                    f"{'instruction text' if instruction else 'leftover placeholder'} '{found}' "
                    f"in: {excerpt(line.text, column)}",
                    record,
                    letter_line=number,
                )
        closing = closing_at or len(lines) + 1
        # Lines that print the signatory's values (the signature) hold no form of address.
        signatory = self.signatory
        signed = {line for line, value, mine in values if not mine and value in signatory}
        vocatives = self._forms(record, ident, lines, watched, salutation, closing, signed)
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
        self.tally.letters += 1
        self._against_batch(record, ident, vocatives, excellency, salutation, block, others)
        texts = [line.text for line in lines]
        self._keep_digests(letter, use, texts, values, salutation, skeleton)
        # The letter as printed: its lines without marks, at hand already.
        return "\n".join(texts)

    def _check_country(self, record: Record, code: str, phrase: str, number: int) -> None:
        """Report a country the letter names as the recipient's own that is not theirs."""
        own = recipient_country(record.fields)
        if own is None or own[0] == code:
            return
        _, key, value = own
        self.tally.add(
            "error",
            "own-country",
            f"field 'recipient.{key}': '{phrase}' names {country_name(code)} as the "
            f"recipient's own country, but the record's {key} '{value}' says "
            f"{country_name(own[0])}",
            record,
            letter_line=number,
        )

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

    def _lines(self, marked: str) -> list[LetterLine]:
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

    def _against_batch(
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
        index = self.index.hashes
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
                self.tally.add_naming(
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
                self.tally.add(
                    "error",
                    "form-of-address",
                    f"salutation '{said}' names someone who is not this recipient",
                    record,
                    letter_line=line,
                    late=True,
                )
        if (
            excellency is not None
            and self.index.excellent is not None
            and not ident.excellency
            and (ident.offices or ident.name)
        ):
            self.tally.add(
                "warning",
                "form-of-address",
                f"'Excellency' is the form of address of record '{self.index.excellent}', "
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
                    self.tally.add_naming(
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
                    orgs = self._index_hits(ORG_SALT, padded.strip(), self.index.org_words)
                    break
            for org in orgs:
                if org != ident.organisation:
                    self.tally.add_naming(
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
                    self.tally.add_naming(
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
                names=self._index_hits(NAME_SALT, norm, self.index.name_words),
                organisations=self._index_hits(ORG_SALT, norm, self.index.org_words),
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
            index = self.index.hashes
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

    def _forms(
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
                if office and any(w in self.index.office_words for w in office_words):
                    self._office(record, ident, said, office, number)
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

    def _office(self, record: Record, ident: Identity, said: str, office: str, number: int) -> None:
        if not ident.offices:
            return  # nothing to compare with: the record does not say what office it holds
        if holds_office(office, ident.offices):
            return
        finding = self.tally.add(
            "error",
            "form-of-address",
            f"'{said}' addresses the office '{office}', but this recipient is "
            f"{ident.display_offices}",
            record,
            letter_line=number,
        )
        if finding.count == 1:
            # Whose office it is, the end of the run says (the first record that holds it).
            self.tally.want("office", office).findings.append((finding, "office"))

    def _keep_digests(
        self,
        letter: Letter,
        use: TemplateUse,
        texts: list[str],
        values: list[tuple[int, str, bool]],
        salutation: int | None,
        skeleton: tuple[str, ...],
    ) -> None:
        """Keep a digest of the body and of the template's own text, for the batch checks."""
        path = letter.template or self.default_template
        if use.personalised:
            bodies = self.tally.bodies.setdefault(path, set())
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
        self.tally.keep_skeleton(skeleton, letter.record.id)
