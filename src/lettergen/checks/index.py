"""The recipients' index: what the checks remember of every record, kept as hashes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from lettergen.checks.findings import (
    Finding,
)
from lettergen.checks.identity import (
    OFFICE_WORDS,
    Identity,
    address_text,
    core_words,
    identity_of,
    street_lines,
)
from lettergen.hashset import HashSet
from lettergen.inputs.recipients import Record

BITS_MASK = (1 << 20) - 1


# Sets of keys of flat records counted apart before they are added up (see _check_fields).
SHAPES_KEPT = 64


class RecipientHashes(HashSet):
    """The hashes of what the checks remember of every record, with a Bloom filter in front.

    A hash found again is almost always the same key; the findings that name the first record
    holding it are completed at the end of the run by reading the records again
    (:class:`WantedField`).
    """

    def __init__(self) -> None:
        super().__init__()
        # One bit per hash's low bits (a Bloom filter of 1 MB): most phrases of a letter are
        # no one's name, and testing a bit inline costs less than calling __contains__.
        self.bits = bytearray(BITS_MASK + 1)

    def add(self, value: int) -> bool:
        """Add ``value``; return True if it was there before."""
        self.bits[(value >> 3) & BITS_MASK] |= 1 << (value & 7)
        return HashSet.add(self, value)


# Salts that keep one kind of key (a name, a surname, an organisation ...) apart from another
# in one table of hashes.
NAME_SALT, SURNAME_SALT, SECOND_SURNAME_SALT, ORG_SALT, CITY_SALT = (
    0x5A17 << 48,
    0x2B31 << 48,
    0x6C4D << 48,
    0x1E59,
    0x7F63,
)


ID_SALT, FILE_SALT, PERSON_SALT = (0x3D27 << 40, 0x4A8B << 40, 0x0F15 << 40)


# A street, a street with an organisation, and a street two organisations give.
STREET_SALT, STREET_ORG_SALT, SHARED_STREET_SALT = (0x5C3B << 44, 0x2E71 << 44, 0x6A09 << 44)


def salted_key(salt: int, text: object) -> int:
    return hash(text) ^ salt


def person_keys(ident: Identity) -> list[tuple[str, ...]]:
    """Return what makes two records the same person: e-mail; name and organisation."""
    keys: list[tuple[str, ...]] = []
    if ident.email:
        keys.append(("email", ident.email))
    where = ident.organisation or ident.address
    if ident.name and where:
        keys.append(("name", " ".join(sorted(ident.name.split())), where))
    return keys


# How a finding names the record it waits for: "record 'x'", "'x' (file:line)", "file:line",
# or a note on whose office a form of address gives.
FindingStyle = Literal["display", "place", "where", "office"]


# Stands in a finding's message for the record it names, until the end of the run.
NAMED_LATER = "\x00"


@dataclass(slots=True)
class WantedField:
    """The first record with some key (an id, a name, an office), wanted by findings."""

    kind: str
    key: Any
    exclude: str | None = None  # the first record with another id than this one
    first: tuple[str, str] | None = None  # its id and place, once found
    findings: list[tuple[Finding, FindingStyle]] = field(default_factory=list)


@dataclass
class FieldCount:
    ids: list[str] = field(default_factory=list)
    count: int = 0
    first: Record | None = None


@dataclass
class BatchIndex:
    """Who the recipients of a run are, as hashes: read from every record before the first
    letter, so each letter can be compared with the whole batch as it is rendered."""

    hashes: RecipientHashes = field(default_factory=RecipientHashes)
    # How many records the run has.
    total: int = 0
    # The most words a name, and an organisation, of the batch has (phrases looked up).
    name_words: int = 0
    org_words: int = 0
    # The first record addressed as "Excellency" (None if none is).
    excellent: str | None = None
    # Words of offices a letter may name: the usual ones and every recipient's.
    office_words: set[str] = field(default_factory=lambda: set(OFFICE_WORDS))

    def shared_streets(self, record: Record, ident: Identity) -> list[str]:
        """The streets of ``record``'s address (in its city) that a record of another
        organisation has."""
        address = address_text(record.fields)
        if not address:
            return []
        hashes = self.hashes
        bits = hashes.bits
        shared = []
        for street in street_lines(address):
            key = salted_key(SHARED_STREET_SALT, (street, ident.city))
            # The Bloom filter first: most streets are one organisation's.
            if bits[(key >> 3) & BITS_MASK] & (1 << (key & 7)) and key in hashes:
                shared.append(street)
        return shared

    def add(self, record: Record) -> None:
        """Add who ``record`` is."""
        index = self.hashes
        self.total += 1
        ident = identity_of(record)
        # Every recipient's office is an office a letter may name, wherever it stands in the
        # list (and whichever process checks the letter).
        for office in ident.offices:
            self.office_words.update(core_words(office))
        words = len(ident.name.split())
        if words >= 2:
            index.add(salted_key(NAME_SALT, ident.name))
            self.name_words = max(self.name_words, min(8, words))
        if ident.surname and index.add(salted_key(SURNAME_SALT, ident.surname)):
            # More than one record has this surname.
            index.add(salted_key(SECOND_SURNAME_SALT, ident.surname))
        words = len(ident.organisation.split())
        # One-word organisations ("Parliament") are too common a word to be a leak.
        if words >= 2:
            index.add(salted_key(ORG_SALT, ident.organisation))
            self.org_words = max(self.org_words, min(20, words))
        if ident.city:
            index.add(salted_key(CITY_SALT, ident.city))
        for street in street_lines(address_text(record.fields)):
            # Three members of one ministry share its street; another ministry does not.
            # (The city too: "1 Main Street" is another street in another city.)
            where = (street, ident.city)
            # The first record of this organisation at this street: is it another's?
            if not index.add(
                salted_key(STREET_ORG_SALT, (*where, ident.organisation))
            ) and index.add(salted_key(STREET_SALT, where)):
                index.add(salted_key(SHARED_STREET_SALT, where))
        if ident.excellency and self.excellent is None:
            self.excellent = ident.id
