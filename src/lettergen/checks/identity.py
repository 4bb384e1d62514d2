"""Who a recipient is: names, offices and forms of address read from a record, for the checks."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lettergen.inputs.recipients import Record
from lettergen.protocol.proposals import TITLE_FIELDS
from lettergen.protocol.words import normalise

_HONORIFICS = (
    r"Mr|Mrs|Ms|Miss|Mx|Madam|Madame|Mme|Monsieur|M|Dr|Sir|Dame|Lord|Lady|Herr|Frau|Señor|Señora"
)


# Office words in common forms of address; titles found in the records are added per run.
_OFFICE_TEXT = (
    "President Vice-President Prime Minister Minister Secretary Secretary-General Chancellor "
    "Vice-Chancellor Ambassador Commissioner Representative Chair Chairman Chairwoman "
    "Chairperson Speaker Governor Mayor Senator Deputy Director Director-General "
    "Rapporteur Judge Premier Ombudsman Consul Prefect Councillor Congressman "
    "Congresswoman Keeper Attorney Chief "
    "Président Présidente Ministre Secrétaire Ambassadeur Ambassadrice Député Députée "
    "Sénateur Sénatrice Maire Préfet Commissaire Garde Präsident Präsidentin Ministerin "
    "Bundeskanzler Bundeskanzlerin Kanzler Kanzlerin Bundesminister Bundesministerin "
    "Staatsminister Staatsministerin Staatssekretär Staatssekretärin Bundespräsident "
    "Bundespräsidentin"
)


OFFICE_WORDS = frozenset(normalise(_OFFICE_TEXT).split())


# One of those words in ASCII text, as normalise() splits it into words.
_OFFICE_WORD = re.compile(
    rf"(?<![a-z0-9])(?:{'|'.join(sorted(OFFICE_WORDS))})(?![a-z0-9])", re.IGNORECASE | re.ASCII
)


# Words that join the parts of an office: "Minister of the Interior", "Président de l'Assemblée".
JOINERS = frozenset(
    ("of", "for", "to", "the", "and", "on", "de", "du", "des", "la", "le", "l", "d", "et")
)


_COMPLEMENT = re.compile(r" (?:of|for|to|on|de|du|des|d) ")


_CAP_WORD = r"[^\W\d_a-z][\w'’-]*"


PHRASE = re.compile(
    rf"(?P<words>{_CAP_WORD}(?:\s+(?:(?:of|for|the|and|on|de|du|des|la|le|et)\s+)*"
    rf"(?:l['’]|d['’])?{_CAP_WORD})*)"
)


# "Lord" that begins the name of an office ("Lord Chancellor", "Lord Mayor"), not an honorific.
_LORD_OFFICE = (
    r"(?:Lord|Lady)\s+(?:Chancellor|Mayor|President|Privy|Advocate|Chief|Speaker|Provost|"
    r"Lieutenant|Justice|High|Chamberlain|Commissioner)\b"
)


# The rest of the line is looked at, not consumed, so that every honorific in a line is found.
FORM = re.compile(
    rf"\b(?!{_LORD_OFFICE})(?P<hon>{_HONORIFICS})\.?\s+(?:(?:le|la)\s+|l['’])?(?=(?P<rest>{_CAP_WORD}.*))",
)


# "Minister, I call on you": a bare office is a vocative only in a sentence that says "you".
ADDRESSED = re.compile(r"\b(?:you|your|yours|vous|votre|vos|Sie|Ihnen|Ihr)\b", re.IGNORECASE)


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


QUOTES = '"“”«»„'


SALUTATION = re.compile(
    r"^\s*(?:Dear|My dear|Chère|Cher|Liebe|Lieber|Sehr geehrter?)\s+(?P<rest>.+?)\s*[,:!]?\s*$",
    re.IGNORECASE,
)


SENTENCE_START = re.compile(r"(?:^|(?<=[.!?;:])\s+)(?=[^\W\d_a-z])")


CLOSING = re.compile(
    r"^\s*(?:Yours|Sincerely|(?:With )?(?:kind|kindest|best|warm|warmest) (?:regards|wishes)|"
    r"Regards|Respectfully|Cordially|Veuillez agréer|Je vous prie d'agréer|Cordialement|"
    r"Bien à vous|Mit freundlichen|Mit besten|Met vriendelijke|Atentamente|Cordiali saluti)\b",
    re.IGNORECASE,
)


# Openings that are not an office named bare: honorifics (checked apart) and Excellency.
GENERIC = re.compile(rf"(?:{_HONORIFICS}|Your|His|Her)\b")


EXCELLENCY = re.compile(r"\b(?:Your|His|Her)\s+Excellency\b")


# Instruction text a template or starter leaves for its author ("Write the body of your letter
# here"): a warning, as a sentence may say "here" for real.
INSTRUCTION = re.compile(
    r"\b(?:Write|Insert|Type|Add|Replace|Put|Enter)\b[^.\n]{0,60}?\bhere\b", re.IGNORECASE
)
# What every merge syntax leaves behind when a field was not filled: Jinja's own marks, Word's
# «Field», {field} and ${field}, %field%, [FirstName] and [NAME], <<field>>, XXX, TODO, TBC...
PLACEHOLDERS = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|\$?\{[A-Za-z_][\w.]*\}|%[A-Za-z_]\w*%"
    r"|\[[A-Z][A-Z0-9_ .-]+[A-Z0-9_]\]|\[[A-Z][a-z]+(?:[A-Z][a-z]*)+\]|\[[a-z]+(?:_[a-z]+)+\]"
    r"|<<[^<>\n]*>>|«[A-Za-z_][\w ]*»"
    r"|\bX{3,}\b|\bTODO\b|\bFIXME\b|\bTBD\b|\bTBC\b|" + f"(?i:{INSTRUCTION.pattern})"
)


# A word that starts with a capital.
CAPITAL = re.compile(r"\b[^\W\d_a-z]")


# Record fields that say who the recipient is (their office, name, organisation, city).
_NAME_FIELDS = ("name", "full_name", "fullname")


_FIRST_FIELDS = ("first_name", "firstname", "given_name")


_LAST_FIELDS = ("last_name", "lastname", "family_name", "surname")


_ADDRESS_FORM_FIELDS = ("salutation", "form_of_address", "vocative", "address_as")


ORG_FIELDS = ("organisation", "organization", "ministry", "institution", "department")


IDENTITY_FIELDS = frozenset(
    (
        "id",
        "honorific",
        "language",
        "address",
        "city",
        "country",
        "postcode",
        "email",
        *_NAME_FIELDS,
        *_FIRST_FIELDS,
        *_LAST_FIELDS,
        *TITLE_FIELDS,
        *_ADDRESS_FORM_FIELDS,
        *ORG_FIELDS,
    )
)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@functools.lru_cache(maxsize=2048)
def office_phrase(words: str) -> str | None:
    """Return the office ``words`` name (``Prime Minister`` of ``Prime Minister Valls``)."""
    # No office word at all (most names): no need to look closer.
    if words.isascii():
        if _OFFICE_WORD.search(words) is None:
            return None
    elif not any(word in OFFICE_WORDS for word in normalise(words).split()):
        return None
    kept: list[str] = []
    complement = False
    for word in words.split():
        norm = normalise(word)
        if kept and norm in JOINERS:
            # "Minister of Foreign Affairs": every word after "of" belongs to the office.
            complement = complement or norm not in ("and", "the", "et")
            kept.append(word)
            continue
        if not kept or complement or any(n in OFFICE_WORDS for n in norm.split()):
            kept.append(word)
            continue
        break
    while kept and normalise(kept[-1]) in JOINERS:
        kept.pop()
    phrase = " ".join(kept)
    head = normalise(_COMPLEMENT.split(f" {normalise(phrase)} ".replace("  ", " "))[0])
    return phrase if head and any(w in OFFICE_WORDS for w in head.split()) else None


@functools.lru_cache(maxsize=2048)
def core_words(office: str) -> tuple[str, ...]:
    """Return the words of the core of ``office`` (not normalised): ``minister``."""
    return tuple(_core(normalise(office))[0].split())


@functools.lru_cache(maxsize=2048)
def _core(office: str) -> tuple[str, str]:
    """Split a normalised office into its core and complement: ``minister``, ``justice``."""
    parts = _COMPLEMENT.split(f" {office} ", maxsplit=1)
    core = " ".join(w for w in parts[0].split() if w not in ("the", "le", "la", "l"))
    complement = " ".join(
        w for w in (parts[1] if len(parts) > 1 else "").split() if w not in JOINERS
    )
    return core, complement


def _same_office(said: str, own: str) -> bool:
    """Return whether office ``said`` (in a letter) is office ``own`` (of a record)."""
    return holds_office(said, (own,))


@functools.lru_cache(maxsize=2048)
def holds_office(said: str, offices: tuple[str, ...]) -> bool:
    """Return whether office ``said`` is one of ``offices``.

    ``Minister`` is any minister; ``Minister of Justice`` is only the one whose office says
    so (a bare ``Minister`` in the record's form of address does not make it every minister).
    """
    said_core, said_rest = _core(normalise(said))
    same = [rest for core, rest in (_core(normalise(o)) for o in offices) if core == said_core]
    if not same:
        return False
    rests = [rest for rest in same if rest]
    return not said_rest or not rests or said_rest in rests


_LEADING_HONORIFIC = re.compile(rf"^(?:{_HONORIFICS})\.?\s+(?:(?:le|la)\s+|l['’])?")


def named_part(form: str) -> str:
    """Return what a salutation or form of address names (``Dear Mr President,``: President)."""
    match = SALUTATION.match(form)
    rest = match.group("rest") if match else form.strip().rstrip(",:!")
    return _LEADING_HONORIFIC.sub("", rest.strip()).strip()


@dataclass(slots=True)
class Identity:
    """Who a record is, as far as forms of address and leaks are concerned (normalised)."""

    id: str
    name: str = ""
    name_words: frozenset[str] = frozenset()
    surname: str = ""
    offices: tuple[str, ...] = ()
    organisation: str = ""
    city: str = ""
    excellency: bool = False
    email: str = ""
    address: str = ""  # normalised; only for records without an organisation

    @property
    def display_offices(self) -> str:
        """The record's offices for messages: ``Minister of Justice``, not every spelling."""
        shown: list[str] = []
        for office in sorted(self.offices, key=len, reverse=True):
            if not any(_same_office(office, other) for other in shown):
                shown.append(office)
        return " / ".join(shown)


def identity_of(record: Record) -> Identity:
    """Return the identity of ``record``: its name, offices, organisation and city.

    The checks read every record twice, so this is kept lean: what offices a record's titles
    and forms of address give is cached, as they repeat.
    """
    fields = record.fields
    name_keys, last_keys, first_keys, office_keys, form_keys, org_keys = _identity_keys(
        tuple(fields)
    )
    name = _first_text(fields, name_keys)
    last = _first_text(fields, last_keys)
    if not name:
        name = f"{_first_text(fields, first_keys)} {last}".strip()
    norm_name = normalise(name)
    titles = _all_texts(fields, office_keys)
    forms = _all_texts(fields, form_keys)
    found, excellency = _offices(titles, forms)
    address = fields.get("address")
    address_lines = (
        [str(a) for a in address]
        if isinstance(address, list)
        else _text(address).splitlines()
        if isinstance(address, str)
        else []
    )
    city = _text(fields.get("city"))
    if not city and isinstance(address, dict):
        city = _text(address.get("city"))
    if not city:
        city = next((c for c in map(postal_city, reversed(address_lines)) if c), "")
    norm_last = normalise(last)
    words = norm_name.split()
    organisation = normalise(_first_text(fields, org_keys))
    return Identity(
        id=record.id,
        name=norm_name,
        name_words=frozenset(words) | frozenset(norm_last.split()),
        surname=norm_last or (words[-1] if words else ""),
        offices=found,
        organisation=organisation,
        city=normalise(city),
        excellency=excellency,
        email=_text(fields.get("email")).casefold(),
        # Only where there is no organisation does the address tell two people apart.
        address="" if organisation else normalise(" ".join(address_lines)),
    )


@functools.lru_cache(maxsize=256)
def _identity_keys(keys: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Return which of ``keys`` (a record's) hold its name, surname, first name, offices,
    forms of address and organisation, each in the order of preference.

    Records share a few sets of keys (every row of a CSV file has the same): looking up only
    the keys a record has costs less than trying every spelling of every field.
    """
    have = set(keys)
    groups = (
        _NAME_FIELDS,
        _LAST_FIELDS,
        _FIRST_FIELDS,
        TITLE_FIELDS,
        _ADDRESS_FORM_FIELDS,
        ORG_FIELDS,
    )
    return tuple(tuple(key for key in group if key in have) for group in groups)


def _first_text(fields: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """Return the first of ``keys`` whose value is non-blank text, stripped (else "")."""
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str):
            value = value.strip()
            if value:
                return value
    return ""


def _all_texts(fields: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, ...]:
    """Return the non-blank text values of ``keys``, stripped, in the order of ``keys``."""
    found = []
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str):
            value = value.strip()
            if value:
                found.append(value)
    return tuple(found)


@functools.lru_cache(maxsize=2048)
def _offices(titles: tuple[str, ...], forms: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """Return the offices that titles and forms of address give, and whether one is an
    Excellency."""
    excellency = any("excellenc" in form.casefold() for form in forms)
    found: list[str] = []
    for title in titles:
        for part in re.split(r"[,;/]", title):
            phrase = office_phrase(part.strip()) if part.strip() else None
            if phrase:
                found.append(phrase)
    for form in forms:
        named = named_part(form)
        phrase = office_phrase(named) if named else None
        if phrase:
            found.append(phrase)
    excellency = excellency or any("excellenc" in o.casefold() for o in found)
    return tuple(dict.fromkeys(found)), excellency


_POSTAL = re.compile(
    r"^\s*(?:[A-Z]{1,2}-)?\d{4,5}\s+(?P<city>[^\d,]+?)(?:\s+(?:Cedex|CEDEX)\b.*)?$"
)


@functools.lru_cache(maxsize=2048)
def street_lines(address: str) -> tuple[str, ...]:
    """The street lines of an address (one text, lines apart), as compared across records:
    normalised, not the postal line ("102 petty france")."""
    lines = (normalise(line) for line in address.splitlines() if not postal_city(line))
    # A house number and two words: "Praça do Comércio" houses several ministries, "Dublin 2"
    # is a postal district.
    return tuple(
        line
        for line in lines
        if any(word.isdigit() for word in line.split())
        and sum(not word.isdigit() for word in line.split()) >= 2
    )


def address_text(fields: Mapping[str, Any]) -> str:
    """A record's address as one text, lines apart ("" when it has none)."""
    address = fields.get("address")
    if isinstance(address, list):
        return "\n".join(str(line) for line in address)
    return address if isinstance(address, str) else ""


@functools.lru_cache(maxsize=2048)
def postal_city(line: str) -> str:
    """Return the city of one address line if it is a postal line, else ``""``."""
    return _city_of([line])


def _city_of(lines: list[str]) -> str:
    """Return the city on the postal line of an address (``75007 Paris`` -> ``Paris``)."""
    for line in reversed(lines):
        match = _POSTAL.match(line.strip())
        if match:
            return " ".join(
                w for w in match.group("city").split() if not any(c.isdigit() for c in w)
            )
    return ""
