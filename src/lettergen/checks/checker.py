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

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jinja2 import nodes

from lettergen.checks.findings import (
    LISTED,
    SEVERITIES,
    Finding,
    Report,
    Severity,
)
from lettergen.errors import LettergenError, TemplateError, UsageError, Warn, ignore_warning
from lettergen.hashset import HashSet
from lettergen.inputs.recipients import Record, read_file
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge, name_clash
from lettergen.merge.values import forbidden_character
from lettergen.naming import safe_filename
from lettergen.ooxml import find_forbidden
from lettergen.options import MergeOptions
from lettergen.templating.environment import (
    MARK_END,
    MARK_START,
    MARKED_VALUE,
    LetterTemplate,
    dotted_path,
    strip_marks,
)
from lettergen.templating.loading import load_template

# -- words and names -------------------------------------------------------------------------


_NOT_WORD = re.compile(r"[^a-z0-9]+")


# The caches are small: what repeats is the template's own text and a few offices; names and
# letter lines of 100,000 recipients would each fill a cache with megabytes of strings.
@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Return ``text`` lower-case, without accents, with words separated by single spaces."""
    if text.isascii():
        return " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(_NOT_WORD.sub(" ", ascii_text.casefold()).split())


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
    "Sénateur Sénatrice Maire Préfet Commissaire Garde Präsident Präsidentin Ministerin"
)
_OFFICE_WORDS = frozenset(normalise(_OFFICE_TEXT).split())
# One of those words in ASCII text, as normalise() splits it into words.
_OFFICE_WORD = re.compile(
    rf"(?<![a-z0-9])(?:{'|'.join(sorted(_OFFICE_WORDS))})(?![a-z0-9])", re.IGNORECASE | re.ASCII
)
# Words that join the parts of an office: "Minister of the Interior", "Président de l'Assemblée".
_JOINERS = frozenset(
    ("of", "for", "to", "the", "and", "on", "de", "du", "des", "la", "le", "l", "d", "et")
)
_COMPLEMENT = re.compile(r" (?:of|for|to|on|de|du|des|d) ")
_CAP_WORD = r"[^\W\d_a-z][\w'’-]*"
_PHRASE = re.compile(
    rf"(?P<words>{_CAP_WORD}(?:\s+(?:(?:of|for|the|and|on|de|du|des|la|le|et)\s+)*"
    rf"(?:l['’]|d['’])?{_CAP_WORD})*)"
)
# The rest of the line is looked at, not consumed, so that every honorific in a line is found.
_FORM = re.compile(
    rf"\b(?P<hon>{_HONORIFICS})\.?\s+(?:(?:le|la)\s+|l['’])?(?=(?P<rest>{_CAP_WORD}.*))",
)
# "Minister, I call on you": a bare office is a vocative only in a sentence that says "you".
_ADDRESSED = re.compile(r"\b(?:you|your|yours|vous|votre|vos|Sie|Ihnen|Ihr)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_QUOTES = '"“”«»„'
_SALUTATION = re.compile(
    r"^\s*(?:Dear|My dear|Chère|Cher|Liebe|Lieber|Sehr geehrter?)\s+(?P<rest>.+?)\s*[,:!]?\s*$",
    re.IGNORECASE,
)
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?;:])\s+)(?=[^\W\d_a-z])")
_CLOSING = re.compile(
    r"^\s*(?:Yours|Sincerely|(?:With )?(?:kind|kindest|best|warm|warmest) (?:regards|wishes)|"
    r"Regards|Respectfully|Cordially|Veuillez agréer|Je vous prie d'agréer|Cordialement|"
    r"Bien à vous|Mit freundlichen|Mit besten|Met vriendelijke|Atentamente|Cordiali saluti)\b",
    re.IGNORECASE,
)
# Openings that are not an office named bare: honorifics (checked apart) and Excellency.
_GENERIC = re.compile(rf"(?:{_HONORIFICS}|Your|His|Her)\b")
_EXCELLENCY = re.compile(r"\b(?:Your|His|Her)\s+Excellency\b")
_PLACEHOLDERS = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|\[[A-Z][A-Z0-9_ .-]+[A-Z0-9_]\]|<<[^<>\n]*>>|«[A-Z_ ]+»"
    r"|\bX{3,}\b|\bTODO\b|\bFIXME\b|\bTBD\b"
)


# A word that starts with a capital.
_CAPITAL = re.compile(r"\b[^\W\d_a-z]")

# Record fields that say who the recipient is (their office, name, organisation, city).
_NAME_FIELDS = ("name", "full_name", "fullname")
_FIRST_FIELDS = ("first_name", "firstname", "given_name")
_LAST_FIELDS = ("last_name", "lastname", "family_name", "surname")
_OFFICE_FIELDS = ("title", "position", "office", "function", "job_title", "role")
_ADDRESS_FORM_FIELDS = ("salutation", "form_of_address", "vocative", "address_as")
_ORG_FIELDS = ("organisation", "organization", "ministry", "institution", "department")
_IDENTITY_FIELDS = frozenset(
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
        *_OFFICE_FIELDS,
        *_ADDRESS_FORM_FIELDS,
        *_ORG_FIELDS,
    )
)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@functools.lru_cache(maxsize=2048)
def _office_phrase(words: str) -> str | None:
    """Return the office ``words`` name (``Prime Minister`` of ``Prime Minister Valls``)."""
    # No office word at all (most names): no need to look closer.
    if words.isascii():
        if _OFFICE_WORD.search(words) is None:
            return None
    elif not any(word in _OFFICE_WORDS for word in normalise(words).split()):
        return None
    kept: list[str] = []
    complement = False
    for word in words.split():
        norm = normalise(word)
        if kept and norm in _JOINERS:
            # "Minister of Foreign Affairs": every word after "of" belongs to the office.
            complement = complement or norm not in ("and", "the", "et")
            kept.append(word)
            continue
        if not kept or complement or any(n in _OFFICE_WORDS for n in norm.split()):
            kept.append(word)
            continue
        break
    while kept and normalise(kept[-1]) in _JOINERS:
        kept.pop()
    phrase = " ".join(kept)
    head = normalise(_COMPLEMENT.split(f" {normalise(phrase)} ".replace("  ", " "))[0])
    return phrase if head and any(w in _OFFICE_WORDS for w in head.split()) else None


@functools.lru_cache(maxsize=2048)
def _core_words(office: str) -> tuple[str, ...]:
    """Return the words of the core of ``office`` (not normalised): ``minister``."""
    return tuple(_core(normalise(office))[0].split())


@functools.lru_cache(maxsize=2048)
def _core(office: str) -> tuple[str, str]:
    """Split a normalised office into its core and complement: ``minister``, ``justice``."""
    parts = _COMPLEMENT.split(f" {office} ", maxsplit=1)
    core = " ".join(w for w in parts[0].split() if w not in ("the", "le", "la", "l"))
    complement = " ".join(
        w for w in (parts[1] if len(parts) > 1 else "").split() if w not in _JOINERS
    )
    return core, complement


def _same_office(said: str, own: str) -> bool:
    """Return whether office ``said`` (in a letter) is office ``own`` (of a record)."""
    return _holds(said, (own,))


@functools.lru_cache(maxsize=2048)
def _holds(said: str, offices: tuple[str, ...]) -> bool:
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


def _named_part(form: str) -> str:
    """Return what a salutation or form of address names (``Dear Mr President,``: President)."""
    match = _SALUTATION.match(form)
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
        city = next((c for c in map(_postal_city, reversed(address_lines)) if c), "")
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
        _OFFICE_FIELDS,
        _ADDRESS_FORM_FIELDS,
        _ORG_FIELDS,
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
            phrase = _office_phrase(part.strip()) if part.strip() else None
            if phrase:
                found.append(phrase)
    for form in forms:
        named = _named_part(form)
        phrase = _office_phrase(named) if named else None
        if phrase:
            found.append(phrase)
    excellency = excellency or any("excellenc" in o.casefold() for o in found)
    return tuple(dict.fromkeys(found)), excellency


_POSTAL = re.compile(
    r"^\s*(?:[A-Z]{1,2}-)?\d{4,5}\s+(?P<city>[^\d,]+?)(?:\s+(?:Cedex|CEDEX)\b.*)?$"
)


@functools.lru_cache(maxsize=2048)
def _postal_city(line: str) -> str:
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


# -- what a template uses --------------------------------------------------------------------


@dataclass
class FieldUse:
    """How a template uses one field: where, and whether it may be missing or empty."""

    name: str
    line: int
    optional: bool = False  # tested with `is defined` or given a `default`
    guarded: bool = False  # tested for truth, so an empty value is expected
    conditional: bool = True  # every use is inside an `if`, a loop or a macro


class TemplateUse:
    """The fields one template uses, and whether it promises personalised paragraphs."""

    def __init__(self, template: LetterTemplate, name_pattern: str | None = None) -> None:
        self.template = template
        self.uses: dict[str, FieldUse] = {}
        self.dynamic = False  # `recipient[key]` or `recipient.items()`: every field may be used
        tree = template.env.parse(template.body)
        self._walk(tree, conditional=False)
        if name_pattern:
            self._walk(template.env.parse(name_pattern), conditional=False)
        # Drop prefixes: "recipient.address" when "recipient.address.city" is also used.
        for key in [k for k in self.uses if any(q.startswith(k + ".") for q in self.uses)]:
            del self.uses[key]
        self.salutation_line = self._salutation_line()
        self.personalised = self._personalised_fields()
        # The recipient's fields, each as its path below the record and its use.
        self.recipient_uses = [
            (name, name.split(".")[1:], use)
            for name, use in self.uses.items()
            if name.split(".")[0] == "recipient"
        ]

    def _use(self, path: str, line: int, conditional: bool) -> FieldUse:
        use = self.uses.get(path)
        if use is None:
            use = self.uses[path] = FieldUse(path, self.template.line(line))
        use.conditional = use.conditional and conditional
        return use

    def _walk(self, node: nodes.Node, conditional: bool) -> None:
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            path = dotted_path(node)
            if path is not None:
                self._use(path, node.lineno, conditional)
                return
            if (
                isinstance(node, nodes.Getitem)
                and isinstance(node.node, nodes.Name)
                and node.node.name == "recipient"
            ):
                self.dynamic = True
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            # `recipient.name.upper()`: the field is `recipient.name`, not `.upper`.
            if isinstance(node.node.node, nodes.Name) and node.node.node.name == "recipient":
                self.dynamic = True
            self._walk(node.node.node, conditional)
            for child in [*node.args, *node.kwargs]:
                self._walk(child, conditional)
            return
        if isinstance(node, nodes.If | nodes.CondExpr):
            self._mark(node.test, guarded=True)
            self._walk(node.test, conditional)
            branches = (
                [*node.body, *node.elif_, *node.else_]
                if isinstance(node, nodes.If)
                else [node.expr1, *([node.expr2] if node.expr2 is not None else [])]
            )
            for child in branches:
                self._walk(child, True)
            return
        if isinstance(node, nodes.And | nodes.Or):
            self._mark(node.left, guarded=True)
            self._walk(node.left, conditional)
            self._walk(node.right, True)
            return
        if isinstance(node, nodes.Test) and node.name in ("defined", "undefined"):
            self._mark(node.node, optional=True, guarded=True)
        if isinstance(node, nodes.Filter) and node.name in ("default", "d"):
            truthy = len(node.args) > 1 or any(k.key == "boolean" for k in node.kwargs)
            self._mark(node.node, optional=True, guarded=truthy)
        if isinstance(node, nodes.For):
            self._walk(node.iter, conditional)
            for child in [*node.body, *node.else_]:
                self._walk(child, True)
            return
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            conditional = True
        for child in node.iter_child_nodes():
            self._walk(child, conditional)

    def _mark(
        self, node: nodes.Node | None, *, optional: bool = False, guarded: bool = False
    ) -> None:
        if node is None:
            return
        targets = [node, *node.find_all((nodes.Getattr, nodes.Getitem))]
        for target in targets:
            if not isinstance(target, nodes.Getattr | nodes.Getitem):
                continue
            path = dotted_path(target)
            if path is None:
                continue
            use = self._use(path, target.lineno, conditional=True)
            use.optional = use.optional or optional
            use.guarded = use.guarded or guarded

    def _salutation_line(self) -> int | None:
        """Return the template line of the salutation (``recipient.salutation`` or ``Dear``)."""
        use = self.uses.get("recipient.salutation")
        if use is not None:
            return use.line
        for number, line in enumerate(self.template.body.split("\n"), start=1):
            if _SALUTATION.match(line) and len(line) < 80:
                return self.template.line(number)
        return None

    def _personalised_fields(self) -> list[FieldUse]:
        """Return recipient fields the body uses beyond who the recipient is."""
        meta = self.template.meta
        flag = meta.get("personalised", meta.get("personalized"))
        after = self.salutation_line or 0
        found = [
            use
            for use in self.uses.values()
            if use.name.startswith("recipient.")
            and use.name.split(".")[1] not in _IDENTITY_FIELDS
            and use.line > after
        ]
        if flag is True and not found:
            return [FieldUse("personalised: true", self.template.line(1))]
        return found

    @property
    def fields(self) -> list[str]:
        """The dotted fields the template uses, sorted."""
        return sorted(self.uses)


_MISSING = object()


def lookup(data: Mapping[str, Any], parts: list[str]) -> Any:
    """Return the value at a dotted path in ``data``, or :data:`_MISSING`."""
    value: Any = data
    for part in parts:
        # type() first: the abstract Mapping check is slow, and records are plain dicts.
        if (type(value) is dict or isinstance(value, Mapping)) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def is_empty(value: Any) -> bool:
    """Return whether a field's value would print as nothing."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple):
        return len(value) == 0
    return False


def _leaves(value: Any) -> Iterator[Any]:
    """Yield every value in a record that is not a mapping or a list, as it is."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _raw_strings(value: Any) -> Iterator[str]:
    """Yield every string in a record as it is (stripping would drop a vertical tab)."""
    return (leaf for leaf in _leaves(value) if isinstance(leaf, str))


def _leaf_strings(value: Any) -> Iterator[str]:
    """Yield every string in a record (and each line of multi-line strings), stripped."""
    for leaf in _leaves(value):
        if leaf is None or isinstance(leaf, bool):
            continue
        text = str(leaf).strip()
        if text:
            yield text
            if "\n" in text:
                yield from (line.strip() for line in text.splitlines() if line.strip())


def _field_keys(data: Mapping[str, Any], prefix: str = "recipient") -> Iterator[str]:
    """Yield the dotted keys of a record, one level into nested mappings."""
    for key, value in data.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping) and value and prefix == "recipient":
            yield from (f"{path}.{k}" for k in value)
        else:
            yield path


# -- the checker -----------------------------------------------------------------------------


_BITS_MASK = (1 << 20) - 1
# Sets of keys of flat records counted apart before they are added up (see _check_fields).
_SHAPES_KEPT = 64


class _Hashes(HashSet):
    """The hashes of what the checks remember of every record, with a Bloom filter in front.

    A hash found again is almost always the same key; the findings that name the first record
    holding it are completed at the end of the run by reading the records again
    (:class:`_Wanted`).
    """

    def __init__(self) -> None:
        super().__init__()
        # One bit per hash's low bits (a Bloom filter of 1 MB): most phrases of a letter are
        # no one's name, and testing a bit inline costs less than calling __contains__.
        self.bits = bytearray(_BITS_MASK + 1)

    def add(self, value: int) -> bool:
        """Add ``value``; return True if it was there before."""
        self.bits[(value >> 3) & _BITS_MASK] |= 1 << (value & 7)
        return HashSet.add(self, value)


# Salts that keep one kind of key (a name, a surname, an organisation ...) apart from another
# in one table of hashes.
_NAME, _SURNAME, _SURNAME2, _ORG, _CITY = (0x5A17 << 48, 0x2B31 << 48, 0x6C4D << 48, 0x1E59, 0x7F63)
_ID, _FILE, _PERSON = (0x3D27 << 40, 0x4A8B << 40, 0x0F15 << 40)


def _key(salt: int, text: object) -> int:
    return hash(text) ^ salt


def _person_keys(ident: Identity) -> list[tuple[str, ...]]:
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
_Style = Literal["display", "place", "where", "office"]
# Stands in a finding's message for the record it names, until the end of the run.
_NAMED_LATER = "\x00"


@dataclass(slots=True)
class _Wanted:
    """The first record with some key (an id, a name, an office), wanted by findings."""

    kind: str
    key: Any
    exclude: str | None = None  # the first record with another id than this one
    first: tuple[str, str] | None = None  # its id and place, once found
    findings: list[tuple[Finding, _Style]] = field(default_factory=list)


@dataclass
class _FieldCount:
    ids: list[str] = field(default_factory=list)
    count: int = 0
    first: Record | None = None


@dataclass
class CheckedPart:
    """What checking a part of a run's letters found (see :meth:`Checker.take_part`)."""

    records: int
    letters: int
    checked: int
    # Each finding with its grouping key, and whether it is reported with the batch's.
    findings: list[tuple[tuple[Any, ...], Finding, bool]]
    # Findings that name the first record with some key, once the run is over.
    wanted: list[tuple[tuple[str, Any, str | None], Finding, _Style]]
    missing: dict[str, _FieldCount]
    empty: dict[str, _FieldCount]
    keys: dict[str, int]
    shapes: dict[tuple[str, ...], int]
    skeletons: dict[tuple[str, ...], tuple[str, list[str], int]]
    bodies: dict[Path, set[bytes]]
    # Who each letter's recipient is (Checker.check_person), in the order of the letters.
    persons: list[list[tuple[str, ...]]]


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
        self._seen = _Hashes()
        # Who the recipients are (hashes of names, surnames, organisations, cities).
        self._index: _Hashes | None = None
        # How many records the run has (counted when the index is built).
        self.total = 0
        self._name_words = 0
        self._org_words = 0
        self._excellent: str | None = None
        self._office_words: set[str] = set(_OFFICE_WORDS)
        # Which lines need a look in letters laid out alike, by their skeletons (see _plan).
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._line_cache: dict[str, _Line] = {}
        self._hits: dict[tuple[int, str], tuple[str, ...]] = {}
        self._values: dict[str, _Value] = {}
        self._signatory = frozenset(_leaf_strings(merge.sender))
        # A control character the signatory's values hold (see _check_characters).
        self._sender_char = find_forbidden("".join(_raw_strings(merge.sender)))
        # In a worker process (see begin_part): who each letter's recipient is, for the
        # duplicates, which the main process looks for in the order of the records.
        self._persons: list[list[tuple[str, ...]]] | None = None

    def _start_findings(self) -> None:
        """Start with nothing found: the report, and what the checks count and group."""
        self.report = Report()
        self._grouped: dict[tuple[Any, ...], Finding] = {}
        self._missing: dict[str, _FieldCount] = {}
        self._empty: dict[str, _FieldCount] = {}
        self._keys: dict[str, int] = {}
        self._shapes: dict[tuple[str, ...], int] = {}
        self._letters = 0
        # Findings made while rendering that belong with the batch's, after the field ones.
        self._late: list[Finding] = []
        self._wanted: dict[tuple[str, Any, str | None], _Wanted] = {}
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
        style: _Style = "display",
        letter_line: int | None = None,
        late: bool = False,
    ) -> None:
        """Record a finding naming (at ``_NAMED_LATER``) the first record ``wanted``."""
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

    def _want(self, kind: str, key: Any, exclude: str | None = None) -> _Wanted:
        wanted = self._wanted.get((kind, key, exclude))
        if wanted is None:
            wanted = self._wanted[kind, key, exclude] = _Wanted(kind, key, exclude)
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
        index = self._index = _Hashes()
        self.total = 0
        office_words = self._office_words
        for record in self._reread_records(_IDENTITY_FIELDS):
            self.total += 1
            ident = identity_of(record)
            # Every recipient's office is an office a letter may name, wherever it stands in
            # the list (and whichever process checks the letter: see parallel.py).
            for office in ident.offices:
                office_words.update(_core_words(office))
            words = len(ident.name.split())
            if words >= 2:
                index.add(_key(_NAME, ident.name))
                self._name_words = max(self._name_words, min(8, words))
            if ident.surname and index.add(_key(_SURNAME, ident.surname)):
                index.add(_key(_SURNAME2, ident.surname))  # more than one record has it
            words = len(ident.organisation.split())
            # One-word organisations ("Parliament") are too common a word to be a leak.
            if words >= 2:
                index.add(_key(_ORG, ident.organisation))
                self._org_words = max(self._org_words, min(20, words))
            if ident.city:
                index.add(_key(_CITY, ident.city))
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
            match = re.search(r"missing field '([^']+)'", error.message)
            if match:
                self._count(self._missing, match.group(1), record, only_new=True)
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
        self._check_letter(letter, use, ident)
        return letter

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
            values = "".join(_raw_strings(fields))
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
        if not self._seen.add(_key(_ID, record.id)):
            return False
        self._add_naming(
            "error",
            "duplicate-id",
            f"duplicate id '{record.id}'; first at {_NAMED_LATER}",
            record,
            ("id", record.id, None),
            style="where",
        )
        return True

    def _count(
        self, table: dict[str, _FieldCount], name: str, record: Record, only_new: bool = False
    ) -> None:
        entry = table.setdefault(name, _FieldCount())
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
            for key in _field_keys(fields):
                self._keys[key] = self._keys.get(key, 0) + 1
        else:
            # Flat records (every CSV row) share a few sets of keys: count those sets.
            shape = tuple(fields)
            self._shapes[shape] = self._shapes.get(shape, 0) + 1
            if len(self._shapes) > _SHAPES_KEPT:
                self._count_shapes()
        for name, parts, field_use in use.recipient_uses:
            # A top-level field (most of them) without the general look-up.
            value = fields.get(parts[0], _MISSING) if len(parts) == 1 else lookup(fields, parts)
            if value is _MISSING:
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
        if self._seen.add(_key(_FILE, key)):
            self._add_naming(
                "error",
                "name-clash",
                name_clash(letter.name, _NAMED_LATER),
                letter.record,
                ("file", key, None),
                style="place",
            )

    def _check_person(self, record: Record, ident: Identity) -> None:
        if self._persons is not None:
            self._persons.append(_person_keys(ident))
            return
        self.check_person(record, _person_keys(ident))

    def check_person(self, record: Record, keys: list[tuple[str, ...]]) -> None:
        """Warn when ``keys`` (e-mail; name and organisation) name a record seen before."""
        for key in keys:
            # A 64-bit hash stands for the key: a tuple of strings per record would cost more.
            if not self._seen.add(_key(_PERSON, key)):
                continue
            what = "e-mail address" if key[0] == "email" else "name and organisation or address"
            self._add_naming(
                "warning",
                "duplicate-person",
                f"same {what} as record {_NAMED_LATER}: the same person twice?",
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
                entry = mine.setdefault(name, _FieldCount())
                entry.count += count.count
                entry.first = entry.first or count.first
                entry.ids.extend(count.ids[: max(0, LISTED - len(entry.ids))])
        for name, number in part.keys.items():
            self._keys[name] = self._keys.get(name, 0) + number
        for shape, number in part.shapes.items():
            self._shapes[shape] = self._shapes.get(shape, 0) + number
        if len(self._shapes) > _SHAPES_KEPT:
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

    def _check_letter(self, letter: Letter, use: TemplateUse, ident: Identity) -> None:
        record = letter.record
        marked = letter.text
        own = _own_strings(record.fields)
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
            lines = [_letter_line(line) for line in strip_marks(marked).split("\n")]
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
                    f"leftover placeholder '{found}' in: {_excerpt(line.text, column)}",
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
        letter.text = "\n".join(texts)

    def _plan(self, skeleton: tuple[str, ...], lines: list[_Line]) -> _Plan:
        """Return (and keep) which lines of a letter laid out as ``lines`` need a look:
        those that print values, and those of the template's own text that may matter."""
        if len(self._plans) >= _PLANS_KEPT:
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

    def _letter_lines(self, marked: str) -> list[_Line]:
        """Return what the checks see in each line of a letter rendered with marks."""
        cache = self._line_cache
        lines = []
        for text in marked.split("\n"):
            line = cache.get(text)
            if line is None:
                if len(cache) >= _LINES_CACHED:
                    cache.clear()  # lines of records' values, each seen once: start again
                line = cache[text] = _letter_line(text)
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
            if _key(_NAME, named) in index:
                wanted = ("name", named, None)
            else:
                last = named.split()[-1]
                # The first record with that surname, unless it is this one: then the next.
                mine = last == ident.surname
                if _key(_SURNAME2 if mine else _SURNAME, last) in index:
                    wanted = ("surname", last, ident.id if mine else None)
            if wanted is not None:
                self._add_naming(
                    "error",
                    "form-of-address",
                    f"'{said}' names {_NAMED_LATER}, another recipient of this batch, "
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
                        f"names {_NAMED_LATER}, another recipient of this batch",
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
                    orgs = self._index_hits(_ORG, padded.strip(), self._org_words)
                    break
            for org in orgs:
                if org != ident.organisation:
                    self._add_naming(
                        "warning",
                        "leak",
                        f"the address block names '{value}', the organisation of {_NAMED_LATER}",
                        record,
                        ("org", org, None),
                        letter_line=line,
                        late=True,
                    )
            postal = facts.postal
            if postal and ident.city:
                city = normalise(postal)
                if city != ident.city and _key(_CITY, city) in index:
                    self._add_naming(
                        "warning",
                        "leak",
                        f"the address block names {postal}, the city of {_NAMED_LATER}, "
                        f"not this recipient's ({ident.city})",
                        record,
                        ("city", city, None),
                        letter_line=line,
                        late=True,
                    )

    def _value(self, value: str) -> _Value:
        """Return what the checks look up of one printed value (cached: values repeat)."""
        facts = self._values.get(value)
        if facts is None:
            norm = normalise(value)
            facts = _Value(
                norm=norm,
                padded=f" {norm} ",
                capitals=len(_CAPITAL.findall(value)),
                names=self._index_hits(_NAME, norm, self._name_words),
                organisations=self._index_hits(_ORG, norm, self._org_words),
                postal=_postal_city(value),
            )
            if len(self._values) >= _LINES_CACHED:
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
            for phrase in _phrases(norm, longest):
                # The bit first, inline: a phrase is rarely anyone's name.
                h = hash(phrase) ^ salt
                if bits[(h >> 3) & _BITS_MASK] & (1 << (h & 7)) and h in index:
                    found.append(phrase)
            if len(self._hits) >= _LINES_CACHED:
                self._hits.clear()
            hits = self._hits[key] = tuple(found)
        return hits

    def _check_forms(
        self,
        record: Record,
        ident: Identity,
        lines: list[_Line],
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
        if _holds(office, ident.offices):
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
                        if 0 <= index < len(body) and _is_identity_value(letter.record, value):
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
            ids = _listed(entry.ids, entry.count)
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
                    f"prints as nothing{where}: {_listed(entry.ids, entry.count)}",
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
            if value is _MISSING:
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
        hits: list[tuple[_Wanted, list[str], int, int]] = []
        index = self._index
        for skeleton, ids, count in self._skeletons.values() if index is not None else ():
            for number, text_line in enumerate(skeleton.split("\n"), start=1):
                norm = normalise(text_line.replace("\0", " "))
                for name in _phrases(norm, self._name_words):
                    if _key(_NAME, name) in index:  # type: ignore[operator]
                        hits.append((self._want("name", name), ids, count, number))
        self._resolve()
        self.report.findings.extend(f for f in self._late if _NAMED_LATER not in f.message)
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
                    finding.message = finding.message.replace(_NAMED_LATER, f"record '{first}'")
                elif style == "where":
                    finding.message = finding.message.replace(_NAMED_LATER, place)
                else:
                    finding.message = finding.message.replace(_NAMED_LATER, f"'{first}' ({place})")
        self.report.findings = [f for f in self.report.findings if _NAMED_LATER not in f.message]

    def _find_firsts(self, wanted: list[_Wanted]) -> None:
        """Read the records once more and find the first one each of ``wanted`` asks for."""
        by_kind: dict[str, dict[Any, list[_Wanted]]] = {}
        for want in wanted:
            by_kind.setdefault(want.kind, {}).setdefault(want.key, []).append(want)
        ids, files = by_kind.get("id", {}), by_kind.get("file", {})
        names, surnames = by_kind.get("name", {}), by_kind.get("surname", {})
        orgs, cities = by_kind.get("org", {}), by_kind.get("city", {})
        people, offices = by_kind.get("person", {}), by_kind.get("office", {})
        who = names or surnames or orgs or cities or people or offices
        left = len(wanted)
        warn, self.merge.warn = self.merge.warn, ignore_warning  # said the first time
        try:
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
                    for key in _person_keys(ident) if people else ():
                        found += people.get(key, ())
                    for office, wants in offices.items() if ident.offices else ():
                        if _holds(office, ident.offices):
                            found += wants
                for want in found:
                    if want.first is None and record.id != want.exclude:
                        want.first = (record.id, record.location)
                        left -= 1
                if not left:
                    break
        finally:
            self.merge.warn = warn

    def _file_key(self, record: Record) -> str | None:
        """Return the folded file name of ``record``'s letter (None if it has none)."""
        try:
            if self.merge.name_pattern is None:
                return safe_filename(record.id).casefold() or None
            return self.merge.render(record).name.casefold()
        except LettergenError:
            return None


# Lines kept by the lines' cache: the template's own lines repeat in every letter; lines with
# a record's values mostly do not, and a long run would otherwise keep them all.
_LINES_CACHED = 2048
# Layouts of letters kept (a template gives a few: one per branch its records take).
_PLANS_KEPT = 64
# One form of address in a line: what it says, the words naming someone, whether it speaks
# to the reader, the office it names, that office's words and the other words it names.
_Form = tuple[str, str, bool, str | None, tuple[str, ...], tuple[str, ...]]


@dataclass(slots=True)
class _Value:
    """What the checks look up of one value printed in a letter."""

    norm: str  # normalised
    padded: str  # normalised, with a space at each end
    capitals: int  # how many of its words start with a capital
    names: tuple[str, ...]  # its phrases that are names of recipients
    organisations: tuple[str, ...]  # its phrases that are recipients' organisations
    postal: str  # the city, if it is the postal line of an address


# Which lines of a layout of letters need a look (see Checker._plan): indexes of the lines that
# may be the salutation, the closing..., and of those that may hold a form of address.
# And the indexes of the lines that print values.
_Plan = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


@dataclass(slots=True)
class _Line:
    """What the checks see in one line of a letter (rendered with marks around values)."""

    text: str  # the line as printed
    values: tuple[str, ...]  # the values printed in it, stripped
    skeleton: str  # the line with each value replaced by NUL
    whole: bool  # every value printed in it starts and ends in it
    salutation: bool
    closing: bool
    excellency: bool
    placeholders: tuple[tuple[str, int], ...]  # leftover placeholders and their columns
    plain: bool  # none of salutation, closing, Excellency or placeholders
    # The forms of address found so far, by in_body + 2 * salutation (see forms).
    known: list[tuple[_Form, ...] | None]

    def forms(self, salutation: bool, in_body: bool) -> tuple[_Form, ...]:
        """Return the forms of address in this line that the checks look at."""
        found = self.known[in_body + 2 * salutation]
        if found is None:
            kept: list[_Form] = []
            for said, words, vocative in _spans(self.text, salutation, in_body):
                if not vocative and in_body:
                    continue  # speaks of someone rather than to the recipient
                office = _office_phrase(words) if words else None
                office_words = tuple(normalise(office).split()) if office else ()
                # Names matter only in the body (vocatives): "Dear Mr Smith", "Minister Y,".
                named = (
                    tuple(w for w in normalise(words).split() if w not in _JOINERS)
                    if in_body
                    else ()
                )
                kept.append((said, words, vocative, office, office_words, named))
            found = self.known[in_body + 2 * salutation] = tuple(kept)
        return found


def _letter_line(marked: str) -> _Line:
    """Return what the checks see in one line of a letter."""
    if (
        marked[:1] == MARK_START
        and marked.find(MARK_END) == len(marked) - 1
        and marked.count(MARK_START) == 1
    ):
        # One value and nothing else (an address line, a salutation): no pattern needed.
        text = marked[1:-1]
        values: tuple[str, ...] = (text.strip(),)
        skeleton = "\0"
        whole = True
    elif (parsed := _marked_values(marked)) is not None:
        text, values, skeleton = parsed
        whole = True
    elif MARK_START in marked or MARK_END in marked:
        # Marks that do not pair up in this line: a value printed over several lines.
        values = tuple(
            (strip_marks(v) if MARK_START in v else v).strip() for v in MARKED_VALUE.findall(marked)
        )
        skeleton = MARKED_VALUE.sub("\0", marked)
        text = strip_marks(marked)
        whole = MARK_START not in skeleton and MARK_END not in skeleton
    else:
        text = skeleton = marked
        values = ()
        whole = True
    triggered = (
        "{" in text
        or "}" in text
        or "[" in text
        or "<<" in text
        or "«" in text
        or "XXX" in text
        or "TODO" in text
        or "FIXME" in text
        or "TBD" in text
    )
    found = _PLACEHOLDERS.finditer(text) if triggered else ()
    placeholders = tuple((match.group(0), match.start()) for match in found)
    salutation = _is_salutation(text)
    closing = _CLOSING.match(text) is not None
    excellency = "Excellency" in text and _EXCELLENCY.search(text) is not None
    return _Line(
        text=text,
        values=values,
        skeleton=skeleton,
        whole=whole,
        salutation=salutation,
        closing=closing,
        excellency=excellency,
        placeholders=placeholders,
        plain=not (salutation or closing or excellency or placeholders),
        known=[None, None, None, None],
    )


def _marked_values(marked: str) -> tuple[str, tuple[str, ...], str] | None:
    """Return the text, the values (stripped) and the skeleton of a line whose every value
    closes before the next opens; None for any other line (and for one without values)."""
    parts = marked.split(MARK_START)
    head = parts[0]
    if len(parts) == 1 or MARK_END in head:
        return None
    texts = [head]
    skeleton = [head]
    values = []
    for part in parts[1:]:
        value, closed, rest = part.partition(MARK_END)
        if not closed or MARK_END in rest:
            return None
        values.append(value.strip())
        texts += (value, rest)
        skeleton += ("\0", rest)
    return "".join(texts), tuple(values), "".join(skeleton)


def _own_strings(fields: Mapping[str, Any]) -> set[str]:
    """Return the strings of a record (as :func:`_leaf_strings`), quickly for flat records."""
    own: set[str] = set()
    for value in fields.values():
        if isinstance(value, str):
            text = value.strip()
            if text:
                own.add(text)
                if "\n" in text:
                    own.update(line.strip() for line in text.splitlines() if line.strip())
        else:
            own.update(_leaf_strings(value))
    return own


def _is_salutation(line: str) -> bool:
    return len(line) < 100 and bool(_SALUTATION.match(line))


def _is_identity_value(record: Record, value: str) -> bool:
    fields = record.fields
    value = value.strip()
    return any(value in set(_leaf_strings(fields.get(key))) for key in _IDENTITY_FIELDS)


@functools.lru_cache(maxsize=1024)
def _spans(line: str, salutation: bool, in_body: bool) -> tuple[tuple[str, str, bool], ...]:
    """Return the forms of address in one letter line: (words, what they name, vocative?).

    Cached: most lines of a batch are the template's own and repeat in every letter.
    """
    spans: list[tuple[str, str, bool]] = []
    quoted = '"' in line or "“" in line or "”" in line or "«" in line or "»" in line or "„" in line
    match = _SALUTATION.match(line) if salutation else None
    if match and _office_phrase(_named_part(line)) == _named_part(line):
        spans.append((line.strip(), _named_part(line), True))  # "Dear Prime Minister,"
    for form in _FORM.finditer(line):
        if quoted and sum(line.count(q, 0, form.start()) for q in _QUOTES) % 2:
            continue  # inside quotation marks: reported speech, addressed to someone else
        phrase = _PHRASE.match(line, form.start("rest"))
        words = phrase.group("words") if phrase else ""
        end = form.start("rest") + len(words)
        tail = line[end : end + 2]
        before = line[: form.start()].rstrip()
        vocative = bool(match) or (
            (not before or before[-1] in ",.;:!?") and (not tail.strip() or tail[0] in ",!")
        )
        if vocative and in_body and not match:
            # "Mr President, I call on you" speaks to the reader; "Monsieur le Président de la
            # République, François Hollande, l'a été aussi" speaks of someone.
            vocative = bool(_ADDRESSED.search(_sentence(line, form.start())))
        spans.append((line[form.start() : end], words, vocative))
    if in_body and not salutation:
        for start in _SENTENCE_START.finditer(line):
            phrase = _PHRASE.match(line, start.end())
            if not phrase:
                continue
            after = line[phrase.end() : phrase.end() + 1]
            if after != "," or _GENERIC.match(phrase.group(0)):
                continue
            words = phrase.group("words")
            office = _office_phrase(words)
            # "The Prime Minister of X, Mr Y, said" is about someone; "Minister, I call on
            # you" speaks to the reader: the office comes first and the sentence says "you".
            first = normalise(words.split()[0]).split()
            sentence = _sentence(line, phrase.end())
            if (
                office is not None
                and office == words
                and first
                and first[0] in _OFFICE_WORDS
                and _ADDRESSED.search(sentence)
            ):
                spans.append((office, office, True))
    return tuple(spans)


def _sentence(line: str, at: int) -> str:
    """Return the sentence of ``line`` that holds position ``at``."""
    starts = [m.end() for m in _SENTENCE_END.finditer(line, 0, at)]
    after = _SENTENCE_END.search(line, at)
    return line[starts[-1] if starts else 0 : after.start() if after else len(line)]


def _phrases(norm: str, longest: int) -> Iterator[str]:
    """Yield every run of two to ``longest`` words of normalised text (for look-ups).

    One word is never enough: only names and organisations of two words or more are looked
    up, one word ("Paris", "Martin") being too common to be a leak.
    """
    words = norm.split()
    for start in range(len(words)):
        for end in range(start + 2, min(len(words), start + longest) + 1):
            yield " ".join(words[start:end])


def _excerpt(line: str, at: int, width: int = 60) -> str:
    start = max(0, at - width // 2)
    text = line[start : start + width].strip()
    return ("…" if start else "") + text + ("…" if start + width < len(line) else "")


def _listed(ids: list[str], count: int) -> str:
    more = count - len(ids)
    return ", ".join(ids) + (f" and {more} more" if more > 0 else "")


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


@dataclass
class FieldInfo:
    """One field a template uses, and the records that lack it or hold it empty."""

    name: str
    line: int
    optional: bool
    lacking: list[str] = field(default_factory=list)
    lacking_count: int = 0
    empty_count: int = 0

    def describe(self, total: int | None) -> str:
        """One line: the field, where the template uses it, and who lacks it."""
        text = f"{self.name}  (template line {self.line}{', optional' if self.optional else ''})"
        if total is None:
            return text
        if self.lacking_count:
            ids = _listed(self.lacking, self.lacking_count)
            text += f": {self.lacking_count} of {total} record(s) lack it: {ids}"
        if self.empty_count:
            text += f"; {self.empty_count} of {total} hold it empty"
        return text


def field_table(
    template: Path, recipients: Sequence[Path] = (), encoding: str | None = None
) -> tuple[list[FieldInfo], int | None]:
    """Return the fields ``template`` uses and, given recipients, who lacks which.

    The second value is the number of records read (None without recipients).
    """
    use = TemplateUse(load_template(template, encoding))
    infos = {name: FieldInfo(name, u.line, u.optional) for name, u in sorted(use.uses.items())}
    if not recipients:
        return list(infos.values()), None
    total = 0
    for path in recipients:
        for record in read_file(path, encoding=encoding):
            total += 1
            for name, info in infos.items():
                parts = name.split(".")
                if parts[0] != "recipient":
                    continue
                value = lookup(record.fields, parts[1:])
                if value is _MISSING:
                    info.lacking_count += 1
                    if len(info.lacking) < LISTED:
                        info.lacking.append(record.id)
                elif is_empty(value):
                    info.empty_count += 1
    return list(infos.values()), total
