"""The forms-of-address knowledge base obeys its schema (protocol_schema.md), and ships.

Every rule is checked on the data as a reader gets it (``yaml.safe_load`` of the packaged
file): normalised titles, one office per title, three genders or one string per form, all
eight languages with all four keys, sources cited and defined, only the allowed placeholders,
neutral forms that presume no gender, and portfolio words for every portfolio.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from lettergen.checks.identity import normalise
from lettergen.protocol.knowledge import ADDRESSED_AS as KNOWN_ADDRESSED_AS

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FILE = ROOT / "src" / "lettergen" / "protocol" / "knowledge.yaml"

LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pl", "pt")
FORM_KEYS = ("salutation", "form_of_address", "closing", "address_style")
GENDERS = ("female", "male", "neutral")
PLACEHOLDERS = {"name", "surname", "honorific", "portfolio_title"}
TOP_KEYS = {"licence", "sources", "portfolios", "offices", "honorifics"}

REQUIRED_PORTFOLIOS = {
    "foreign_affairs", "justice", "interior", "finance", "defence", "health", "education",
    "labour", "agriculture", "environment", "economy", "trade", "transport", "culture",
    "european_affairs", "development", "energy", "social_affairs", "digital", "family",
    "housing", "sport",
}  # fmt: skip

REQUIRED_OFFICES = {
    "head_of_state_president", "monarch", "head_of_government", "deputy_head_of_government",
    "minister", "secretary_of_state", "minister_of_state", "state_secretary", "deputy_minister",
    "ambassador", "high_commissioner", "mep", "member_of_parliament", "senator",
    "president_of_parliament", "speaker", "president_of_european_parliament",
    "president_of_european_commission", "vice_president_of_commission", "commissioner",
    "high_representative", "president_of_european_council", "secretary_general", "mayor",
    "lord_mayor", "judge", "lord_chancellor", "peer", "archbishop", "bishop", "governor",
    "chair_of_committee", "first_minister", "minister_president", "prefect", "director_general",
    "ombudsman", "cardinal", "charge_d_affaires", "consul_general", "diplomat",
    "vice_president_of_parliament", "deputy_office_holder",
}  # fmt: skip

# Words that say a gender, per language (normalised). A neutral form has none of them, or words
# of both genders (the paired "Madame, Monsieur le Ministre,").
GENDER_WORDS: dict[str, dict[str, set[str]]] = {
    "en": {
        "female": {"mrs", "ms", "miss", "madam", "dame", "lady", "her", "baroness", "queen"},
        "male": {"mr", "sir", "lord", "his", "king"},
    },
    "fr": {"female": {"madame", "mme", "reine"}, "male": {"monsieur", "sire", "roi"}},
    "de": {"female": {"frau", "ihrer", "konigin"}, "male": {"herr", "herrn", "seiner", "konig"}},
    "es": {
        "female": {"senora", "sra", "estimada", "excelentisima", "excma", "reina"},
        "male": {"senor", "sr", "estimado", "excelentisimo", "excmo", "rey"},
    },
    "it": {
        "female": {"signora", "gentilissima", "regina"},
        "male": {"signor", "signore", "egregio", "re"},
    },
    "nl": {
        "female": {"mevrouw", "hare", "koningin"},
        "male": {"heer", "meneer", "mijnheer", "zijne", "koning"},
    },
    "pl": {
        "female": {"pani", "szanowna", "jej", "krolowa"},
        "male": {"pan", "panie", "szanowny", "jego", "krol"},
    },
    "pt": {
        "female": {"senhora", "exma", "excelentissima", "rainha"},
        "male": {"senhor", "exmo", "excelentissimo", "rei"},
    },
}

# Wordings real lists use, and the offices the longest-title rule must find in them, in order.
WORDINGS = [
    ("Minister of Foreign Affairs", ["minister"]),
    ("Federal Minister for Foreign Affairs", ["minister"]),
    ("Deputy Prime Minister and Minister for Finance", ["deputy_head_of_government", "minister"]),
    ("Premier ministre", ["head_of_government"]),
    (
        "Vice-Chancellor and Federal Minister for Economic Affairs",
        ["deputy_head_of_government", "minister"],
    ),
    ("Secretary of State for Foreign and Commonwealth Affairs", ["secretary_of_state"]),
    (
        "Lord Chancellor and Secretary of State for Justice",
        ["lord_chancellor", "secretary_of_state"],
    ),
    (
        "High Representative of the Union for Foreign Affairs and Security Policy",
        ["high_representative"],
    ),
    ("Vice-President of the European Commission", ["vice_president_of_commission"]),
    ("President of the European Commission", ["president_of_european_commission"]),
    ("Parliamentary State Secretary", ["state_secretary"]),
    ("Secrétaire d'État chargé des Affaires européennes", ["state_secretary"]),
    ("Deputy Minister of Foreign Affairs", ["deputy_minister"]),
    ("Wiceminister Spraw Zagranicznych", ["deputy_minister"]),
    ("Minister of State for Europe", ["minister_of_state"]),
    ("Ambassador of the French Republic", ["ambassador"]),
    ("Member of the European Parliament", ["mep"]),
    ("Député européen", ["mep"]),
    ("Member of Parliament", ["member_of_parliament"]),
    ("Presidente del Gobierno", ["head_of_government"]),
    ("Vicepresidenta del Gobierno", ["deputy_head_of_government"]),
    ("Bundestagspräsident", ["president_of_parliament"]),
    ("Marszałek Sejmu", ["president_of_parliament"]),
    ("Lord Mayor of London", ["lord_mayor"]),
    ("Bürgermeisterin", ["mayor"]),
    ("President of the Republic", ["head_of_state_president"]),
    ("Chair of the Committee on Foreign Affairs", ["chair_of_committee"]),
    ("Secretary-General of NATO", ["secretary_general"]),
    ("Baroness", ["peer"]),
    ("Presidente del Consiglio dei Ministri", ["head_of_government"]),
    ("Presidente del Consiglio europeo", ["president_of_european_council"]),
    ("Président de la Commission européenne", ["president_of_european_commission"]),
    ("Présidente de la commission des affaires étrangères", ["chair_of_committee"]),
    ("Foreign Minister", ["minister"]),
    ("Parliamentary Under-Secretary of State", ["state_secretary"]),
    ("Ministre délégué chargé du Commerce extérieur", ["minister_of_state"]),
    ("Ministerpräsidentin des Landes Nordrhein-Westfalen", ["minister_president"]),
    ("First Minister of Scotland", ["first_minister"]),
    ("Préfète de la région Bretagne", ["prefect"]),
    ("Director-General for Trade", ["director_general"]),
    ("European Ombudsman", ["ombudsman"]),
    ("Archbishop of Canterbury", ["archbishop"]),
    ("Sędzia Trybunału Konstytucyjnego", ["judge"]),
    ("Poseł na Sejm RP", ["member_of_parliament"]),
    ("Stały Przedstawiciel RP przy UE", ["ambassador"]),
    ("Deputy Permanent Representative of Ireland to the EU", ["diplomat"]),
    ("Minister-Counsellor, Embassy of Spain", ["diplomat"]),
    ("Chargé d'affaires a.i.", ["charge_d_affaires"]),
    ("Consul General of Italy in Munich", ["consul_general"]),
    ("Vice-President of the European Parliament", ["vice_president_of_parliament"]),
    ("Wicemarszałek Sejmu", ["vice_president_of_parliament"]),
    ("Deputy Speaker of the House of Commons", ["vice_president_of_parliament"]),
    ("Deputy Mayor of Paris", ["deputy_office_holder"]),
    ("Adjointe au maire de Paris", ["deputy_office_holder"]),
    ("Vice-Chair of the Committee on Foreign Affairs", ["deputy_office_holder"]),
    ("Deputy Secretary-General of NATO", ["deputy_office_holder"]),
    ("Under-Secretary-General for Peacekeeping Operations", ["deputy_office_holder"]),
    ("Vice-President of the United States", ["deputy_office_holder"]),
    ("Deputy High Commissioner", ["deputy_office_holder"]),
]

# Offices that protocol addresses with another office's words (the lead's checks must accept
# these): an MEP as a deputy ("Madame la Députée"), Polish juniors and deputies by the higher
# title ("Panie Ministrze", "Panie Premierze"), junior ministers as "Minister", a UK Secretary
# of State or the Lord Chancellor as a minister outside English, a Lord Mayor as a mayor, a
# First Minister as "Premier ministre", a minister-president in Dutch like the Dutch Prime
# Minister, a prefect in Portuguese ("Prefeito", also a Brazilian mayor).
# What the checks accept (lettergen.protocol.knowledge), and the one form they flag on purpose:
# Polish "Panie Premierze" to a deputy prime minister (a deputy addressed as the principal).
ADDRESSED_AS: dict[str, set[str]] = {
    **{office: set(others) for office, others in KNOWN_ADDRESSED_AS.items()},
    "deputy_head_of_government": {"head_of_government"},
}

# Ministries as real lists write them, and a portfolio their words must name.
MINISTRIES = [
    ("Minister for Foreign Affairs and Trade", {"foreign_affairs", "trade"}),
    ("Bundesminister des Auswärtigen", {"foreign_affairs"}),
    ("Ministre de l'Europe et des Affaires étrangères", {"european_affairs", "foreign_affairs"}),
    ("Ministro de Asuntos Exteriores y de Cooperación", {"foreign_affairs", "development"}),
    ("Ministro degli Affari Esteri e della Cooperazione Internazionale", {"foreign_affairs"}),
    ("Minister van Buitenlandse Zaken", {"foreign_affairs"}),
    ("Minister Spraw Zagranicznych", {"foreign_affairs"}),
    ("Ministro de Estado e dos Negócios Estrangeiros", {"foreign_affairs"}),
    ("Garde des Sceaux, ministre de la Justice", {"justice"}),
    ("Ministra Sprawiedliwości", {"justice"}),
    ("Bundesminister des Innern", {"interior"}),
    ("Ministro dell'Interno", {"interior"}),
    ("Minister of Finance", {"finance"}),
    ("Ministre des Finances et des Comptes publics", {"finance"}),
    ("Ministro de Hacienda y Administraciones Públicas", {"finance"}),
    ("Ministre de la Défense", {"defence"}),
    ("Bundesministerin der Verteidigung", {"defence"}),
    ("Ministra de Sanidad, Servicios Sociales e Igualdad", {"health", "social_affairs"}),
    ("Minister van Volksgezondheid, Welzijn en Sport", {"health", "sport"}),
    ("Ministre de l'Éducation nationale", {"education"}),
    ("Bundesministerin für Arbeit und Soziales", {"labour", "social_affairs"}),
    ("Ministre de l'Agriculture, de l'Agroalimentaire et de la Forêt", {"agriculture"}),
    ("Ministro delle Politiche agricole alimentari e forestali", {"agriculture"}),
    ("Ministre de l'Écologie, du Développement durable et de l'Énergie", {"environment", "energy"}),
    ("Bundesminister für Wirtschaft und Energie", {"economy", "energy"}),
    ("Minister Środowiska", {"environment"}),
    ("Ministro dos Transportes", {"transport"}),
    ("Ministro delle Infrastrutture e dei Trasporti", {"transport"}),
    ("Minister for Culture, Media and Sport", {"culture", "sport"}),
    ("Secretary of State for Communities and Local Government", set()),
    ("Ministre du Logement", {"housing"}),
    ("Bundesministerin für Familie, Senioren, Frauen und Jugend", {"family"}),
    ("Minister for Digital Affairs", {"digital"}),
    ("Minister voor Buitenlandse Handel en Ontwikkelingssamenwerking", {"trade", "development"}),
    ("Minister for European Affairs", {"european_affairs"}),
]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """The knowledge base as the package ships it."""
    text = resources.files("lettergen.protocol").joinpath("knowledge.yaml").read_text("utf-8")
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def titled(data: dict[str, Any]) -> dict[str, Any]:
    """The knowledge base with its titles listed longest first, for the gender checks."""
    titles = (t for office in data["offices"].values() for t in office["titles"])
    return {**data, "_titles_longest_first": sorted(titles, key=len, reverse=True)}


def _forms(data: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    """(office, language, key, gender, text) for every form text of the knowledge base."""
    for office_id, office in data["offices"].items():
        for language, keys in office["forms"].items():
            for key, value in keys.items():
                if isinstance(value, str):
                    yield office_id, language, key, "all", value
                else:
                    for gender, text in value.items():
                        yield office_id, language, key, gender, text


def test_the_package_ships_the_knowledge_base_as_data() -> None:
    shipped = resources.files("lettergen.protocol").joinpath("knowledge.yaml")
    assert shipped.is_file()
    assert shipped.read_text("utf-8") == SOURCE_FILE.read_text("utf-8")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["lettergen"]
    package = ROOT / "src" / "lettergen"
    assert any(SOURCE_FILE in package.glob(pattern) for pattern in patterns), patterns


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that refuses a key given twice in one mapping (safe_load keeps the last)."""


def _construct_unique_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key) for key, _ in node.value]
    repeated = {key for key in keys if keys.count(key) > 1}
    assert not repeated, f"line {node.start_mark.line + 1}: {sorted(repeated)} given twice"
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def test_no_key_is_given_twice() -> None:
    yaml.load(SOURCE_FILE.read_text("utf-8"), Loader=_UniqueKeyLoader)


def test_the_top_level_has_exactly_the_schema_keys(data: dict[str, Any]) -> None:
    assert set(data) == TOP_KEYS
    assert isinstance(data["licence"], str)
    assert "own words" in data["licence"]


def test_every_source_is_a_one_line_citation_with_an_address(data: dict[str, Any]) -> None:
    for source_id, citation in data["sources"].items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", source_id), source_id
        assert isinstance(citation, str) and "\n" not in citation, source_id
        assert re.search(r"https?://\S+", citation), source_id


def test_every_office_cites_defined_sources_and_every_source_is_cited(
    data: dict[str, Any],
) -> None:
    cited: set[str] = set()
    for office_id, office in data["offices"].items():
        sources = office["source"]
        sources = [sources] if isinstance(sources, str) else sources
        assert sources, office_id
        undefined = set(sources) - set(data["sources"])
        assert not undefined, (office_id, undefined)
        cited.update(sources)
    assert cited == set(data["sources"]), set(data["sources"]) - cited


def test_offices_have_snake_case_ids_and_the_schema_keys(data: dict[str, Any]) -> None:
    assert set(data["offices"]) >= REQUIRED_OFFICES, REQUIRED_OFFICES - set(data["offices"])
    for office_id, office in data["offices"].items():
        assert re.fullmatch(r"[a-z]+(?:_[a-z]+)*", office_id), office_id
        assert set(office) == {"source", "titles", "portfolio", "excellency", "forms"}, office_id
        assert isinstance(office["portfolio"], bool), office_id
        assert isinstance(office["excellency"], bool), office_id


def test_titles_are_normalised_and_each_names_one_office(data: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    for office_id, office in data["offices"].items():
        titles = office["titles"]
        assert titles, office_id
        assert len(titles) == len(set(titles)), (office_id, titles)
        for title in titles:
            assert isinstance(title, str) and title, office_id
            assert normalise(title) == title, (office_id, title, normalise(title))
            assert title not in owner, (title, owner.get(title), office_id)
            owner[title] = office_id


def test_every_office_has_all_four_forms_in_all_eight_languages(data: dict[str, Any]) -> None:
    for office_id, office in data["offices"].items():
        assert set(office["forms"]) == set(LANGUAGES), (office_id, sorted(office["forms"]))
        for language, keys in office["forms"].items():
            assert set(keys) == set(FORM_KEYS), (office_id, language, sorted(keys))


def test_every_form_is_one_string_or_all_three_genders(data: dict[str, Any]) -> None:
    for office_id, office in data["offices"].items():
        for language, keys in office["forms"].items():
            for key, value in keys.items():
                where = (office_id, language, key)
                if isinstance(value, str):
                    assert value.strip() == value and value, where
                    continue
                assert isinstance(value, dict) and set(value) == set(GENDERS), where
                for text in value.values():
                    assert isinstance(text, str) and text.strip() == text and text, where


def test_forms_use_only_the_allowed_placeholders(data: dict[str, Any]) -> None:
    for office_id, language, key, gender, text in _forms(data):
        fields = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
        assert fields <= PLACEHOLDERS, (office_id, language, key, gender, fields)


def test_address_styles_name_the_recipient(data: dict[str, Any]) -> None:
    for office_id, language, key, gender, text in _forms(data):
        if key == "address_style":
            assert "{name}" in text or "{surname}" in text, (office_id, language, gender, text)


def test_salutations_end_as_each_language_punctuates_them(data: dict[str, Any]) -> None:
    for office_id, language, key, gender, text in _forms(data):
        if key == "salutation":
            ending = ":" if language == "es" else ","
            assert text.endswith(ending), (office_id, language, gender, text)


def _genders_said(data: dict[str, Any], language: str, text: str) -> set[str]:
    """The genders ``text`` presumes; an office's own name ("Lord Mayor") presumes none."""
    # "Exmo.(a) Senhor(a)", "Estimado/a": a form-letter inflection that addresses both genders.
    if re.search(r"[(]as?[)]|/as?\b", text):
        return {"female", "male"}
    plain = f" {normalise(text)} "
    for title in data["_titles_longest_first"]:
        plain = plain.replace(f" {title} ", " ")
    words = set(plain.split())
    return {g for g, said in GENDER_WORDS[language].items() if words & said}


def test_neutral_forms_presume_no_gender(titled: dict[str, Any]) -> None:
    for office_id, language, key, gender, text in _forms(titled):
        if gender in ("neutral", "all"):
            said = _genders_said(titled, language, text)
            assert said in (set(), {"female", "male"}), (office_id, language, key, text)


def test_gendered_forms_say_their_own_gender_only(titled: dict[str, Any]) -> None:
    for office_id, language, key, gender, text in _forms(titled):
        if gender in ("female", "male"):
            other = "male" if gender == "female" else "female"
            said = _genders_said(titled, language, text)
            assert other not in said, (office_id, language, key, text)


def test_excellency_is_the_style_of_exactly_the_excellency_offices(data: dict[str, Any]) -> None:
    for office_id, office in data["offices"].items():
        english = " ".join(
            v if isinstance(v, str) else " ".join(v.values())
            for v in office["forms"]["en"].values()
        )
        says_excellency = "Excellency" in english or "H.E." in english
        assert says_excellency == office["excellency"], office_id


def test_every_portfolio_has_normalised_words(data: dict[str, Any]) -> None:
    portfolios = data["portfolios"]
    assert set(portfolios) >= REQUIRED_PORTFOLIOS, REQUIRED_PORTFOLIOS - set(portfolios)
    for portfolio_id, entry in portfolios.items():
        assert re.fullmatch(r"[a-z]+(?:_[a-z]+)*", portfolio_id), portfolio_id
        assert set(entry) == {"words"}, portfolio_id
        words = entry["words"]
        assert words and len(words) == len(set(words)), portfolio_id
        for word in words:
            assert isinstance(word, str) and normalise(word) == word, (portfolio_id, word)
            assert " " not in word, (portfolio_id, word)


def test_honorifics_say_one_gender_each_in_every_language(data: dict[str, Any]) -> None:
    honorifics = data["honorifics"]
    assert set(honorifics) == set(LANGUAGES)
    pooled: dict[str, str] = {}
    for language, by_gender in honorifics.items():
        assert set(by_gender) == set(GENDERS), language
        seen: dict[str, str] = {}
        for gender, words in by_gender.items():
            assert isinstance(words, list), (language, gender)
            for word in words:
                assert isinstance(word, str) and word, (language, gender)
                key = normalise(word)
                assert key not in seen, (language, word, seen.get(key), gender)
                seen[key] = gender
                # Readers pool the languages: a word says one gender in all of them.
                said = pooled.setdefault(key, gender)
                assert said == gender, (language, word, said, gender)


_INDEXES: dict[int, dict[str, str]] = {}


def _title_index(key: int, data: dict[str, Any]) -> dict[str, str]:
    """Normalised title -> office, built once per loaded knowledge base."""
    if key not in _INDEXES:
        _INDEXES[key] = {t: o for o, office in data["offices"].items() for t in office["titles"]}
    return _INDEXES[key]


def _offices_in(data: dict[str, Any], title: str) -> list[str]:
    """The offices the schema's longest-title rule finds in ``title``, left to right."""
    titles = _title_index(id(data), data)
    longest = max(len(t.split()) for t in titles)
    words = normalise(title).split()
    found, at = [], 0
    while at < len(words):
        for size in range(min(longest, len(words) - at), 0, -1):
            office = titles.get(" ".join(words[at : at + size]))
            if office:
                found.append(office)
                at += size
                break
        else:
            at += 1
    return found


def _portfolios_in(data: dict[str, Any], title: str) -> set[str]:
    """The portfolios whose stems (a stem plus up to three letters) are words of ``title``."""
    words = normalise(title).split()
    return {
        portfolio
        for portfolio, entry in data["portfolios"].items()
        for stem in entry["words"]
        if any(w.startswith(stem) and len(w) - len(stem) <= 3 for w in words)
    }


@pytest.mark.parametrize(("title", "portfolios"), MINISTRIES)
def test_ministries_name_their_portfolios(
    data: dict[str, Any], title: str, portfolios: set[str]
) -> None:
    assert portfolios <= _portfolios_in(data, title)


def test_no_portfolio_word_is_found_in_words_that_only_look_alike(data: dict[str, Any]) -> None:
    assert _portfolios_in(data, "international cooperation on homelessness") == {"development"}


def test_each_office_is_addressed_as_itself(data: dict[str, Any]) -> None:
    """A salutation or form of address of an office names that office, or none, or one that
    protocol addresses it as (ADDRESSED_AS): a check comparing offices must not flag them."""
    wrong = []
    for office_id, language, key, gender, text in _forms(data):
        if key in ("salutation", "form_of_address"):
            named = set(_offices_in(data, text.replace("{surname}", "").replace("{name}", "")))
            allowed = {office_id} | ADDRESSED_AS.get(office_id, set())
            if not named <= allowed:
                wrong.append((office_id, language, gender, text, sorted(named - allowed)))
    assert not wrong, wrong


@pytest.mark.parametrize(("title", "offices"), WORDINGS)
def test_real_wordings_name_the_right_offices(
    data: dict[str, Any], title: str, offices: list[str]
) -> None:
    assert _offices_in(data, title) == offices
