"""The recipients' index: what the checks remember of every record, kept as hashes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from lettergen.checks.findings import (
    Finding,
)
from lettergen.checks.identity import Identity
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
