"""A corpus of campaigns as real offices keep them, clean and with planted slips (issue 12).

Clean campaigns: recipients of 2014-2016 (ministers, heads of government, parliaments, EU
institutions, embassies) with their public office addresses and the forms of address their
offices are written to with, in eight languages, full of what must not raise an alarm: third
persons with honorifics, offices named in the third person, quotations, particles in surnames,
two recipients with one first name, three members of one ministry at one address, titles that
contain another office's name, a Commission vice-president at the Commission's address.

Slips: each is one edit of one clean campaign, the kind of slip it is, and the record and field
``lettergen check`` must name. :func:`write_campaign` writes a campaign (clean or with a slip) as
a template, a signatory and a recipients file; :func:`findings_of` reads what ``check`` said.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lettergen.checks.checker import check_files
from lettergen.checks.findings import Finding
from lettergen.options import MergeOptions

Record = dict[str, Any]


def _r(id_: str, honorific: str, name: str, title: str, organisation: str, address: list[str],
       salutation: str, city: str, homeland: str, **more: str) -> Record:  # fmt: skip
    return {
        "id": id_,
        "honorific": honorific,
        "name": name,
        "title": title,
        "organisation": organisation,
        "address": address,
        "salutation": salutation,
        "city": city,
        "homeland": homeland,
        **more,
    }


FR_GOV = [
    _r("valls", "Mr", "Manuel Valls", "Prime Minister", "Hôtel de Matignon",
       ["57, rue de Varenne", "75007 Paris"], "Dear Prime Minister,", "Paris", "France",
       form_of_address="Prime Minister"),
    _r("fabius", "Mr", "Laurent Fabius", "Minister of Foreign Affairs",
       "Ministère des Affaires étrangères et du Développement international",
       ["37, Quai d'Orsay", "75700 Paris 07SP"], "Dear Minister,", "Paris", "France",
       form_of_address="Minister"),
    _r("taubira", "Ms", "Christiane Taubira", "Keeper of the Seals, Minister of Justice",
       "Ministère de la Justice", ["13, place Vendôme", "75042 Paris Cedex 01"],
       "Dear Minister,", "Paris", "France", form_of_address="Minister"),
    _r("cazeneuve", "Mr", "Bernard Cazeneuve", "Minister of the Interior",
       "Ministère de l'Intérieur", ["Place Beauvau", "75800 Paris Cedex 08"],
       "Dear Minister,", "Paris", "France", form_of_address="Minister"),
]  # fmt: skip

DE_GOV = [
    _r("merkel", "Frau", "Angela Merkel", "Bundeskanzlerin", "Bundeskanzleramt",
       ["Willy-Brandt-Straße 1", "10557 Berlin"], "Sehr geehrte Frau Bundeskanzlerin,",
       "Berlin", "Deutschland"),
    _r("steinmeier", "Herr", "Frank-Walter Steinmeier", "Bundesminister des Auswärtigen",
       "Auswärtiges Amt", ["Werderscher Markt 1", "10117 Berlin"],
       "Sehr geehrter Herr Bundesminister,", "Berlin", "Deutschland"),
    _r("demaiziere", "Herr", "Thomas de Maizière", "Bundesminister des Innern",
       "Bundesministerium des Innern", ["Alt-Moabit 140", "10557 Berlin"],
       "Sehr geehrter Herr Bundesminister,", "Berlin", "Deutschland"),
    _r("maas", "Herr", "Heiko Maas", "Bundesminister der Justiz und für Verbraucherschutz",
       "Bundesministerium der Justiz und für Verbraucherschutz",
       ["Mohrenstraße 37", "10117 Berlin"], "Sehr geehrter Herr Bundesminister,", "Berlin",
       "Deutschland"),
]  # fmt: skip

DE_FOREIGN_OFFICE = [
    _r("steinmeier", "Mr", "Frank-Walter Steinmeier", "Federal Minister for Foreign Affairs",
       "Federal Foreign Office", ["Werderscher Markt 1", "10117 Berlin"], "Dear Minister,",
       "Berlin", "Germany"),
    _r("roth", "Mr", "Michael Roth", "Minister of State for Europe", "Federal Foreign Office",
       ["Werderscher Markt 1", "10117 Berlin"], "Dear Minister,", "Berlin", "Germany"),
    _r("boehmer", "Ms", "Maria Böhmer", "Minister of State", "Federal Foreign Office",
       ["Werderscher Markt 1", "10117 Berlin"], "Dear Minister,", "Berlin", "Germany"),
]  # fmt: skip

UK_GOV = [
    _r("hammond", "Mr", "Philip Hammond",
       "Secretary of State for Foreign and Commonwealth Affairs",
       "Foreign and Commonwealth Office", ["King Charles Street", "London SW1A 2AH"],
       "Dear Foreign Secretary,", "London", "the United Kingdom"),
    _r("may", "Mrs", "Theresa May", "Home Secretary", "Home Office",
       ["2 Marsham Street", "London SW1P 4DF"], "Dear Home Secretary,", "London",
       "the United Kingdom"),
    _r("gove", "Mr", "Michael Gove", "Lord Chancellor and Secretary of State for Justice",
       "Ministry of Justice", ["102 Petty France", "London SW1H 9AJ"],
       "Dear Lord Chancellor,", "London", "the United Kingdom"),
]  # fmt: skip

UK_COMMONS = [
    _r("bercow", "Mr", "John Bercow", "Speaker of the House of Commons", "House of Commons",
       ["London SW1A 0AA"], "Dear Mr Speaker,", "London", "the United Kingdom"),
    _r("blunt", "Mr", "Crispin Blunt", "Chair of the Foreign Affairs Committee",
       "House of Commons", ["London SW1A 0AA"], "Dear Mr Blunt,", "London",
       "the United Kingdom"),
    _r("vaz", "Mr", "Keith Vaz", "Chair of the Home Affairs Committee", "House of Commons",
       ["London SW1A 0AA"], "Dear Mr Vaz,", "London", "the United Kingdom"),
]  # fmt: skip

ES_GOV = [
    _r("margallo", "Sr.", "José Manuel García-Margallo",
       "Ministro de Asuntos Exteriores y de Cooperación",
       "Ministerio de Asuntos Exteriores y de Cooperación",
       ["Plaza de la Provincia, 1", "28012 Madrid"], "Señor Ministro:", "Madrid", "España"),
    _r("fernandez", "Sr.", "Jorge Fernández Díaz", "Ministro del Interior",
       "Ministerio del Interior", ["Paseo de la Castellana, 5", "28046 Madrid"],
       "Señor Ministro:", "Madrid", "España"),
    _r("catala", "Sr.", "Rafael Catalá Polo", "Ministro de Justicia", "Ministerio de Justicia",
       ["Calle San Bernardo, 45", "28015 Madrid"], "Señor Ministro:", "Madrid", "España"),
]  # fmt: skip

IT_GOV = [
    _r("gentiloni", "On.", "Paolo Gentiloni",
       "Ministro degli Affari Esteri e della Cooperazione Internazionale",
       "Ministero degli Affari Esteri e della Cooperazione Internazionale",
       ["Piazzale della Farnesina, 1", "00135 Roma"], "Signor Ministro,", "Roma", "Italia"),
    _r("alfano", "On.", "Angelino Alfano", "Ministro dell'Interno", "Ministero dell'Interno",
       ["Piazza del Viminale, 1", "00184 Roma"], "Signor Ministro,", "Roma", "Italia"),
    _r("orlando", "On.", "Andrea Orlando", "Ministro della Giustizia",
       "Ministero della Giustizia", ["Via Arenula, 70", "00186 Roma"], "Signor Ministro,",
       "Roma", "Italia"),
]  # fmt: skip

NL_GOV = [
    _r("koenders", "De heer", "Bert Koenders", "Minister van Buitenlandse Zaken",
       "Ministerie van Buitenlandse Zaken", ["Rijnstraat 8", "2515 XP Den Haag"],
       "Geachte minister,", "Den Haag", "Nederland"),
    _r("vandersteur", "De heer", "Ard van der Steur", "Minister van Veiligheid en Justitie",
       "Ministerie van Veiligheid en Justitie", ["Turfmarkt 147", "2511 DP Den Haag"],
       "Geachte minister,", "Den Haag", "Nederland"),
    _r("rutte", "De heer", "Mark Rutte", "Minister-president", "Ministerie van Algemene Zaken",
       ["Lange Vijverberg 4-5", "2513 AC Den Haag"], "Geachte minister-president,",
       "Den Haag", "Nederland"),
]  # fmt: skip

PL_GOV = [
    _r("schetyna", "Pan", "Grzegorz Schetyna", "Minister Spraw Zagranicznych",
       "Ministerstwo Spraw Zagranicznych", ["al. J. Ch. Szucha 23", "00-580 Warszawa"],
       "Szanowny Panie Ministrze,", "Warszawa", "Polska"),
    _r("piotrowska", "Pani", "Teresa Piotrowska", "Minister Spraw Wewnętrznych",
       "Ministerstwo Spraw Wewnętrznych", ["ul. Stefana Batorego 5", "02-591 Warszawa"],
       "Szanowna Pani Minister,", "Warszawa", "Polska"),
    _r("kopacz", "Pani", "Ewa Kopacz", "Prezes Rady Ministrów", "Kancelaria Prezesa Rady Ministrów",
       ["Al. Ujazdowskie 1/3", "00-583 Warszawa"], "Szanowna Pani Premier,", "Warszawa",
       "Polska"),
]  # fmt: skip

PT_GOV = [
    _r("machete", "Senhor", "Rui Machete", "Ministro dos Negócios Estrangeiros",
       "Ministério dos Negócios Estrangeiros", ["Largo do Rilvas", "1399-030 Lisboa"],
       "Senhor Ministro,", "Lisboa", "Portugal"),
    _r("teixeiradacruz", "Senhora", "Paula Teixeira da Cruz", "Ministra da Justiça",
       "Ministério da Justiça", ["Praça do Comércio", "1149-019 Lisboa"], "Senhora Ministra,",
       "Lisboa", "Portugal"),
    _r("macedo", "Senhor", "Miguel Macedo", "Ministro da Administração Interna",
       "Ministério da Administração Interna", ["Praça do Comércio", "1149-015 Lisboa"],
       "Senhor Ministro,", "Lisboa", "Portugal"),
]  # fmt: skip

EU_COMMISSION = [
    _r("timmermans", "Mr", "Frans Timmermans", "First Vice-President", "European Commission",
       ["Rue de la Loi 200", "1049 Brussels"], "Dear First Vice-President,", "Brussels",
       "the Netherlands"),
    _r("mogherini", "Ms", "Federica Mogherini",
       "High Representative of the Union for Foreign Affairs and Security Policy",
       "European External Action Service", ["Rond Point Schuman 9A", "1046 Brussels"],
       "Dear High Representative,", "Brussels", "Italy"),
    _r("avramopoulos", "Mr", "Dimitris Avramopoulos",
       "Commissioner for Migration, Home Affairs and Citizenship", "European Commission",
       ["Rue de la Loi 200", "1049 Brussels"], "Dear Commissioner,", "Brussels", "Greece"),
]  # fmt: skip

EU_PARLIAMENT = [
    _r("schulz", "Mr", "Martin Schulz", "President of the European Parliament",
       "European Parliament", ["Rue Wiertz 60", "1047 Brussels"], "Dear President,",
       "Brussels", "Germany"),
    _r("brok", "Mr", "Elmar Brok", "Member of the European Parliament", "European Parliament",
       ["Rue Wiertz 60", "1047 Brussels"], "Dear Mr Brok,", "Brussels", "Germany"),
    _r("moraes", "Mr", "Claude Moraes", "Member of the European Parliament",
       "European Parliament", ["Rue Wiertz 60", "1047 Brussels"], "Dear Mr Moraes,",
       "Brussels", "the United Kingdom"),
]  # fmt: skip

FR_PARLIAMENT = [
    _r("bartolone", "M.", "Claude Bartolone", "Président de l'Assemblée nationale",
       "Assemblée nationale", ["126, rue de l'Université", "75355 Paris 07 SP"],
       "Monsieur le Président,", "Paris", "la France"),
    _r("larcher", "M.", "Gérard Larcher", "Président du Sénat", "Sénat",
       ["15, rue de Vaugirard", "75291 Paris Cedex 06"], "Monsieur le Président,", "Paris",
       "la France"),
    _r("guigou", "Mme", "Élisabeth Guigou", "Présidente de la commission des affaires étrangères",
       "Assemblée nationale", ["126, rue de l'Université", "75355 Paris 07 SP"],
       "Madame la Présidente,", "Paris", "la France"),
]  # fmt: skip

EMBASSIES_PARIS = [
    _r("wasum", "Mme", "Susanne Wasum-Rainer", "Ambassadrice d'Allemagne en France",
       "Ambassade d'Allemagne", ["13/15, avenue Franklin D. Roosevelt", "75008 Paris"],
       "Madame l'Ambassadeur,", "Paris", "l'Allemagne", country="France"),
    _r("magliano", "M.", "Giandomenico Magliano", "Ambassadeur d'Italie en France",
       "Ambassade d'Italie", ["51, rue de Varenne", "75007 Paris"], "Monsieur l'Ambassadeur,",
       "Paris", "l'Italie", country="France"),
    _r("westmacott", "M.", "Peter Westmacott", "Ambassadeur du Royaume-Uni en France",
       "Ambassade du Royaume-Uni", ["35, rue du Faubourg Saint-Honoré", "75008 Paris"],
       "Monsieur l'Ambassadeur,", "Paris", "le Royaume-Uni", country="France"),
]  # fmt: skip

BE_GOV = [
    _r("reynders", "Mr", "Didier Reynders",
       "Deputy Prime Minister and Minister of Foreign Affairs",
       "FPS Foreign Affairs", ["Rue des Petits Carmes 15", "1000 Brussels"],
       "Dear Deputy Prime Minister,", "Brussels", "Belgium"),
    _r("jambon", "Mr", "Jan Jambon",
       "Deputy Prime Minister and Minister of Security and Home Affairs",
       "FPS Home Affairs", ["Rue de la Loi 2", "1000 Brussels"],
       "Dear Deputy Prime Minister,", "Brussels", "Belgium"),
    _r("geens", "Mr", "Koen Geens", "Minister of Justice", "FPS Justice",
       ["Boulevard de Waterloo 115", "1000 Brussels"], "Dear Minister,", "Brussels",
       "Belgium"),
]  # fmt: skip

IE_GOV = [
    _r("flanagan", "Mr", "Charles Flanagan", "Minister for Foreign Affairs and Trade",
       "Department of Foreign Affairs and Trade", ["Iveagh House", "80 St Stephen's Green",
       "Dublin 2"], "Dear Minister,", "Dublin", "Ireland"),
    _r("fitzgerald", "Ms", "Frances Fitzgerald", "Minister for Justice and Equality",
       "Department of Justice and Equality", ["51 St Stephen's Green", "Dublin 2"],
       "Dear Minister,", "Dublin", "Ireland"),
    _r("flanagan-t", "Mr", "Charles Flanagan", "Chair of the Joint Committee on Justice",
       "Houses of the Oireachtas", ["Leinster House", "Kildare Street", "Dublin 2"],
       "Dear Chair,", "Dublin", "Ireland"),
]  # fmt: skip

LU_GOV = [
    _r("bettel", "Mr", "Xavier Bettel", "Prime Minister", "Ministry of State",
       ["4, rue de la Congrégation", "L-1352 Luxembourg"], "Dear Prime Minister,",
       "Luxembourg", "Luxembourg"),
    _r("asselborn", "Mr", "Jean Asselborn", "Minister of Foreign and European Affairs",
       "Ministry of Foreign and European Affairs", ["9, rue du Palais de Justice",
       "L-1841 Luxembourg"], "Dear Minister,", "Luxembourg", "Luxembourg"),
    _r("braz", "Mr", "Félix Braz", "Minister of Justice", "Ministry of Justice",
       ["13, rue Erasme", "L-1468 Luxembourg"], "Dear Minister,", "Luxembourg", "Luxembourg"),
    _r("schneider", "Mr", "Étienne Schneider", "Deputy Prime Minister", "Ministry of the Economy",
       ["19-21, boulevard Royal", "L-2449 Luxembourg"], "Dear Deputy Prime Minister,",
       "Luxembourg", "Luxembourg"),
]  # fmt: skip


@dataclass(frozen=True)
class Campaign:
    """One campaign: its letter's language and its recipients, in list order."""

    name: str
    language: str
    records: list[Record]


CAMPAIGNS = [
    Campaign("fr-government-2015", "en", FR_GOV),
    Campaign("de-regierung-2015", "de", DE_GOV),
    Campaign("de-foreign-office-2015", "en", DE_FOREIGN_OFFICE),
    Campaign("uk-government-2015", "en", UK_GOV),
    Campaign("uk-commons-2015", "en", UK_COMMONS),
    Campaign("es-gobierno-2015", "es", ES_GOV),
    Campaign("it-governo-2015", "it", IT_GOV),
    Campaign("nl-kabinet-2015", "nl", NL_GOV),
    Campaign("pl-rzad-2015", "pl", PL_GOV),
    Campaign("pt-governo-2014", "pt", PT_GOV),
    Campaign("eu-commission-2015", "en", EU_COMMISSION),
    Campaign("eu-parliament-2015", "en", EU_PARLIAMENT),
    Campaign("fr-parlement-2015", "fr", FR_PARLIAMENT),
    Campaign("ambassades-paris-2015", "fr", EMBASSIES_PARIS),
    Campaign("be-government-2015", "en", BE_GOV),
    Campaign("ie-government-2015", "en", IE_GOV),
    Campaign("lu-government-2015", "en", LU_GOV),
]
BY_NAME = {campaign.name: campaign for campaign in CAMPAIGNS}

# The letter in each language: a salutation, a body full of third persons, offices in the third
# person, a quotation with "Dear Colleague", cities, and the recipient's country as their own.
_BODIES = {
    "en": (
        "I write to you in {{ recipient.city }} about Mr Mukhtar Ablyazov and Ms Nadiya "
        'Savchenko. The Prime Minister of Ukraine said in Kyiv that "Dear Colleague, the '
        'Minister of Justice will decide". Your country, {{ recipient.homeland }}, has a '
        "voice in Brussels and Strasbourg.\n\nYours sincerely,"
    ),
    "fr": (
        "Je vous écris à {{ recipient.city }} au sujet de M. Moukhtar Abliazov. Le Premier "
        "ministre a déclaré à Lyon : « Cher collègue, la ministre de la Justice décidera ». "
        "Votre pays, {{ recipient.homeland }}, a une voix à Bruxelles.\n\nVeuillez agréer "
        "l'expression de ma haute considération."
    ),
    "de": (
        "Ich schreibe Ihnen nach {{ recipient.city }} wegen Herrn Muchtar Abljasow. Der "
        "Premierminister sagte in Kiew: „Lieber Kollege, der Justizminister entscheidet“. Ihr "
        "Land, {{ recipient.homeland }}, hat in Brüssel eine Stimme.\n\nMit freundlichen Grüßen"
    ),
    "es": (
        "Le escribo a {{ recipient.city }} sobre el Sr. Mujtar Abliazov. El Primer Ministro "
        "dijo en Kiev: «Querido colega, el Ministro de Justicia decidirá». Su país, "
        "{{ recipient.homeland }}, tiene voz en Bruselas.\n\nAtentamente,"
    ),
    "it": (
        "Le scrivo a {{ recipient.city }} sul caso del signor Mukhtar Ablyazov. Il Primo "
        "Ministro ha detto a Kiev: «Caro collega, il Ministro della Giustizia deciderà». Il suo "
        "paese, {{ recipient.homeland }}, ha voce a Bruxelles.\n\nCordiali saluti,"
    ),
    "nl": (
        "Ik schrijf u in {{ recipient.city }} over de heer Mukhtar Ablyazov. De premier zei "
        "in Kiev: „Beste collega, de minister van Justitie beslist”. Uw land, "
        "{{ recipient.homeland }}, heeft een stem in Brussel.\n\nMet vriendelijke groet,"
    ),
    "pl": (
        "Piszę do {{ recipient.city }} w sprawie pana Muchtara Ablazowa. Premier powiedział w "
        "Kijowie: „Drogi kolego, minister sprawiedliwości zdecyduje”. Pana kraj, "
        "{{ recipient.homeland }}, ma głos w Brukseli.\n\nZ wyrazami szacunku,"
    ),
    "pt": (
        "Escrevo-lhe para {{ recipient.city }} sobre o Sr. Mukhtar Ablyazov. O Primeiro-"
        "Ministro disse em Kiev: «Caro colega, o Ministro da Justiça decidirá». O seu país, "
        "{{ recipient.homeland }}, tem voz em Bruxelas.\n\nCom os melhores cumprimentos,"
    ),
}


def template_text(language: str) -> str:
    """The campaign's letter template in ``language``."""
    return (
        f"---\nlocale: {language}\nsender: sender.yaml\n---\n"
        "{{ recipient.honorific }} {{ recipient.name }}\n{{ recipient.title }}\n"
        "{{ recipient.organisation }}\n{% for line in recipient.address %}{{ line }}\n"
        "{% endfor %}\n{{ recipient.salutation }}\n\n"
        f"{_BODIES[language]}\n\n{{{{ sender.name }}}}\n"
    )


@dataclass(frozen=True)
class Slip:
    """One planted slip: which campaign, what edit, and what ``check`` must say of it."""

    kind: str
    campaign: str
    record: str  # the record the finding must name
    field: str  # the field it must name ("" when the finding names a letter line)
    code: str  # the finding's code
    says: str  # words its message must hold
    edit: Callable[[list[Record]], None] = field(repr=False)


def _set(record: str, **values: Any) -> Callable[[list[Record]], None]:
    def edit(records: list[Record]) -> None:
        target = next(r for r in records if r["id"] == record)
        target.update(values)

    return edit


def _copy(source: str, target: str, key: str) -> Callable[[list[Record]], None]:
    """The value of ``key`` in ``source``'s row copied (filled down) into ``target``'s."""

    def edit(records: list[Record]) -> None:
        value = next(r for r in records if r["id"] == source)[key]
        next(r for r in records if r["id"] == target)[key] = value

    return edit


OTHER_OFFICE = "another office"
DEPUTY = "a deputy as the principal"
EXCELLENCY = "an excellency at home"
GENDER = "gender and form disagree"
GENDER_FIELD = "gender and honorific disagree"
FILLED_DOWN = "filled down / copied"
MINISTRY = "another portfolio's ministry"
LANGUAGE = "salutation in another language"
UNUSUAL = "a form protocol would not write"
DOUBLED = "a doubled word at a join"
COUNTRY = "another country as the recipient's own"
PLACEHOLDER = "a leftover placeholder"
LEAK = "another recipient's organisation or street"

SLIPS = [
    Slip(OTHER_OFFICE, "fr-government-2015", "fabius", "form_of_address", "record-form",
         "addresses the office of prime minister",
         _set("fabius", form_of_address="Mr Prime Minister")),
    Slip(OTHER_OFFICE, "fr-government-2015", "cazeneuve", "salutation", "record-form",
         "addresses the office of minister",
         _set("cazeneuve", salutation="Dear Minister of Justice,")),
    Slip(OTHER_OFFICE, "uk-government-2015", "may", "salutation", "record-form",
         "addresses the office of", _set("may", salutation="Dear Foreign Secretary,")),
    Slip(DEPUTY, "be-government-2015", "reynders", "salutation", "record-form",
         "addresses the office of prime minister",
         _set("reynders", salutation="Dear Prime Minister,")),
    Slip(DEPUTY, "lu-government-2015", "schneider", "salutation", "record-form",
         "addresses the office of prime minister",
         _set("schneider", salutation="Dear Prime Minister,")),
    Slip(EXCELLENCY, "fr-government-2015", "cazeneuve", "form_of_address", "record-form",
         "gives an Excellency", _set("cazeneuve", form_of_address="Your Excellency")),
    Slip(EXCELLENCY, "uk-government-2015", "gove", "salutation", "record-form",
         "gives an Excellency", _set("gove", salutation="Your Excellency,")),
    Slip(GENDER, "fr-government-2015", "taubira", "form_of_address", "record-form",
         "addresses a man", _set("taubira", form_of_address="Mr Minister")),
    Slip(GENDER, "de-regierung-2015", "steinmeier", "salutation", "record-form",
         "addresses a woman", _set("steinmeier", salutation="Sehr geehrte Frau Bundesministerin,")),
    Slip(GENDER, "uk-government-2015", "may", "salutation", "record-form",
         "addresses a man", _set("may", salutation="Dear Sir,")),
    Slip(GENDER_FIELD, "pt-governo-2014", "machete", "gender", "record-form",
         "contradicts the honorific", _set("machete", gender="f")),
    Slip(GENDER_FIELD, "eu-commission-2015", "mogherini", "gender", "record-form",
         "contradicts the honorific", _set("mogherini", gender="m")),
    Slip(FILLED_DOWN, "fr-government-2015", "fabius", "salutation", "record-form",
         "filled down or copied", _copy("valls", "fabius", "salutation")),
    Slip(FILLED_DOWN, "fr-government-2015", "cazeneuve", "organisation", "record-form",
         "filled down or copied", _copy("taubira", "cazeneuve", "organisation")),
    Slip(FILLED_DOWN, "be-government-2015", "geens", "salutation", "record-form",
         "filled down or copied", _copy("jambon", "geens", "salutation")),
    Slip(MINISTRY, "de-regierung-2015", "maas", "organisation", "record-form",
         "is the ministry of foreign affairs", _set("maas", organisation="Auswärtiges Amt")),
    Slip(MINISTRY, "it-governo-2015", "orlando", "organisation", "record-form",
         "is the ministry of", _set("orlando", organisation="Ministero dell'Interno")),
    Slip(LANGUAGE, "fr-government-2015", "fabius", "salutation", "record-form",
         "opens a letter in fr", _set("fabius", salutation="Monsieur le Ministre,")),
    Slip(LANGUAGE, "de-foreign-office-2015", "roth", "salutation", "record-form",
         "opens a letter in de", _set("roth", salutation="Sehr geehrter Herr Staatsminister,")),
    Slip(UNUSUAL, "fr-government-2015", "fabius", "salutation", "record-form",
         "is not how protocol opens",
         _set("fabius", salutation="Dear Minister of Foreign Affairs,")),
    Slip(UNUSUAL, "ie-government-2015", "fitzgerald", "salutation", "record-form",
         "is not how protocol opens", _set("fitzgerald", salutation="Dear Minister for Justice,")),
    Slip(DOUBLED, "uk-government-2015", "hammond", "", "doubled-word", "'in in'",
         _set("hammond", city="in London")),
    Slip(DOUBLED, "de-regierung-2015", "maas", "", "doubled-word", "'nach nach'",
         _set("maas", city="nach Berlin")),
    Slip(COUNTRY, "fr-government-2015", "cazeneuve", "", "own-country",
         "names Italy as the recipient's own country",
         _set("cazeneuve", homeland="Italy", country="France")),
    Slip(COUNTRY, "ambassades-paris-2015", "magliano", "", "own-country",
         "names Germany as the recipient's own country", _set("magliano", homeland="l'Allemagne")),
    Slip(PLACEHOLDER, "eu-parliament-2015", "brok", "", "placeholder", "«Name»",
         _set("brok", salutation="Dear «Name»,")),
    Slip(PLACEHOLDER, "nl-kabinet-2015", "rutte", "", "placeholder", "[FirstName]",
         _set("rutte", name="[FirstName] Rutte")),
    Slip(LEAK, "fr-government-2015", "cazeneuve", "address", "leak", "13 place vendome",
         _copy("taubira", "cazeneuve", "address")),
    Slip(LEAK, "es-gobierno-2015", "catala", "", "leak", "names record 'fernandez'",
         _set("catala", homeland="España, como dijo Jorge Fernández Díaz")),
    Slip(LEAK, "uk-government-2015", "may", "address", "leak", "102 petty france",
         _set("may", address=["102 Petty France", "London SW1H 9AJ"])),
]  # fmt: skip

# The codes of the checks the corpus exercises: a clean campaign gives none of them.
CODES = frozenset(slip.code for slip in SLIPS) | {"leak", "form-of-address"}


def write_campaign(folder: Path, campaign: Campaign, slip: Slip | None = None) -> MergeOptions:
    """Write ``campaign`` (with ``slip`` planted) into ``folder``; return the options to
    check it with."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [dict(record) for record in campaign.records]
    if slip is not None:
        slip.edit(records)
    (folder / "sender.yaml").write_text("name: Mady Delvaux-Stehres\n", encoding="utf-8")
    template = folder / "letter.txt.j2"
    template.write_text(template_text(campaign.language), encoding="utf-8")
    people = folder / "recipients.yaml"
    people.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), "utf-8")
    return MergeOptions(template=template, recipients=[people])


def findings_of(options: MergeOptions) -> list[Finding]:
    """What ``lettergen check`` finds in a written campaign, of the corpus's codes."""
    return [f for f in check_files(options).findings if f.code in CODES]


def names(finding: Finding, slip: Slip) -> bool:
    """Whether ``finding`` is the one ``slip`` asks for: its code, record (the first it names
    or one of the others it counts), field and words."""
    return (
        finding.code == slip.code
        and slip.record in (finding.record, *finding.others)
        and (not slip.field or f"field 'recipient.{slip.field}'" in finding.message)
        and slip.says in finding.message
    )
