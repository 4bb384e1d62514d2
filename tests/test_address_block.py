"""`{{ recipient | address_block }}`: the address as the destination country's post reads it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli

from .conftest import write

# Prints the block once joined (``{{ }}``) and once line by line (``{% for %}``): both the same.
LETTER = """\
---
sender: me.yaml
{extra}---
{{{{ recipient | address_block }}}}
--
{{% for line in recipient | address_block %}}
{{{{ line }}}}
{{% endfor %}}
"""
SENDER = "name: Mady Delvaux-Stehres\ncountry: Luxembourg\n"


def _render(
    tmp_path: Path, people: str, *, extra: str = "", sender: str = SENDER
) -> tuple[int, str, dict[str, list[str]]]:
    """Render ``people`` (a YAML list); return the exit code, stderr and each letter's lines."""
    write(tmp_path / "me.yaml", sender)
    template = write(tmp_path / "letter.txt.j2", LETTER.format(extra=extra))
    write(tmp_path / "letter.fr.txt.j2", LETTER.format(extra=extra))
    records = write(tmp_path / "people.yaml", people)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", str(template), str(records), "-o", str(out)])
    letters: dict[str, list[str]] = {}
    for path in sorted(out.glob("*.txt")) if out.is_dir() else []:
        joined, looped = path.read_text(encoding="utf-8").split("--\n")
        assert joined.rstrip("\n") == looped.rstrip("\n")  # printed and looped alike
        letters[path.stem] = looped.rstrip("\n").split("\n")
    return result.exit_code, result.stderr, letters


def test_each_country_has_its_order_postcode_place_and_capitals(tmp_path: Path) -> None:
    people = """\
    - {id: fr, name: Jean Dupont, organisation: Mairie, street: "1, place de l'Hôtel de Ville",
       postcode: "75004", city: Paris, country: FR}
    - {id: de, name: Erika Mustermann, street: Platz der Republik 1, postcode: "11011",
       city: Berlin, country: DE}
    - {id: be, name: Jan Peeters, organisation: Chambre, street: Rue de la Loi 16,
       postcode: "1000", city: Bruxelles, country: BE}
    - {id: lu, name: Marie Muller, street: "19, rue du Marché-aux-Herbes", postcode: "1728",
       city: Luxembourg, country: LU}
    - {id: gb, name: Jane Smith, street: 10 Downing Street, postcode: sw1a 2aa, city: London,
       country: UK}  # the EU's code for GB
    - {id: us, name: John Smith, street: 1600 Pennsylvania Avenue NW, postcode: "20500",
       city: Washington, state: DC, country: US}
    - {id: it, name: Mario Rossi, street: Piazza del Quirinale, postcode: "00187", city: Roma,
       province: RM, country: IT}
    """
    code, err, letters = _render(tmp_path, people)
    assert code == 0, err
    assert letters == {
        "fr": ["Mairie", "Jean Dupont", "1, place de l'Hôtel de Ville", "75004 PARIS", "FRANCE"],
        "de": ["Erika Mustermann", "Platz der Republik 1", "11011 BERLIN", "GERMANY"],
        "be": ["Chambre", "Jan Peeters", "Rue de la Loi 16", "1000 BRUXELLES", "BELGIUM"],
        # The letters go from Luxembourg: no country line; the postcode takes its "L-".
        "lu": ["Marie Muller", "19, rue du Marché-aux-Herbes", "L-1728 LUXEMBOURG"],
        "gb": ["Jane Smith", "10 Downing Street", "LONDON", "SW1A 2AA", "UNITED KINGDOM"],
        "us": [
            "John Smith",
            "1600 Pennsylvania Avenue NW",
            "WASHINGTON, DC 20500",
            "UNITED STATES",
        ],
        "it": ["Mario Rossi", "Piazza del Quirinale", "00187 ROMA RM", "ITALY"],
    }


def test_the_country_line_is_in_the_letters_language_and_only_abroad(tmp_path: Path) -> None:
    people = """\
    - {id: de-fr, language: fr, name: Erika Mustermann, street: Platz der Republik 1,
       postcode: "11011", city: Berlin, country: Deutschland}
    - {id: lu-fr, language: fr, name: Marie Muller, street: "2, rue de la Reine",
       postcode: L-2418, city: Luxembourg, country: Luxembourg}
    - {id: home, name: Paul Weber, street: "2, rue de la Reine", postcode: "2418",
       city: Luxembourg}
    """
    code, err, letters = _render(tmp_path, people)
    assert code == 0, err
    assert letters["de-fr"][-1] == "ALLEMAGNE"
    assert letters["lu-fr"][-1] == "L-2418 LUXEMBOURG"
    # No country: the sender's, so no country line.
    assert letters["home"] == ["Paul Weber", "2, rue de la Reine", "L-2418 LUXEMBOURG"]


def test_the_letters_country_says_where_they_are_posted_from(tmp_path: Path) -> None:
    people = """\
    - {id: lu, name: Marie Muller, street: "2, rue de la Reine", postcode: "2418",
       city: Luxembourg, country: LU}
    - {id: be, name: Jan Peeters, street: Rue de la Loi 16, postcode: "1000", city: Bruxelles,
       country: BE}
    """
    code, err, letters = _render(tmp_path, people, extra="country: BE\n")
    assert code == 0, err
    assert letters["lu"][-1] == "LUXEMBOURG"
    assert letters["be"][-1] == "1000 BRUXELLES"


def test_a_ready_made_address_gets_only_the_name_lines_and_the_country_line(
    tmp_path: Path,
) -> None:
    people = """\
    - id: fabius
      honorific: Mr
      name: Laurent Fabius
      title: Minister of Foreign Affairs
      organisation: Ministère des Affaires étrangères
      country: France
      address:
        - 37, Quai d'Orsay
        - 75700 Paris 07SP
    - id: bartolone
      language: fr
      honorific: Monsieur
      name: Claude Bartolone
      title: Président de l'Assemblée nationale
      address: "Hôtel de Lassay\\n128, rue de l'Université\\n75007 Paris"
      country: FR
    - id: juncker
      name: Jean-Claude Juncker
      address: [Rue de la Loi 200, B-1049 Bruxelles]
      country: BE
      address_style: Monsieur le Président Jean-Claude Juncker
    """
    code, err, letters = _render(tmp_path, people)
    assert code == 0, err
    # France writes the organisation before the person; the lines themselves stay as written.
    assert letters["fabius"] == [
        "Ministère des Affaires étrangères",
        "Mr Laurent Fabius",
        "Minister of Foreign Affairs",
        "37, Quai d'Orsay",
        "75700 Paris 07SP",
        "FRANCE",
    ]
    # The office's style in the letter's language (the French variant).
    assert letters["bartolone"] == [
        "Monsieur Claude Bartolone",
        "Président de l'Assemblée nationale",
        "Hôtel de Lassay",
        "128, rue de l'Université",
        "75007 Paris",
        "FRANCE",
    ]
    # The record's own address_style wins.
    assert letters["juncker"][0] == "Monsieur le Président Jean-Claude Juncker"
    assert letters["juncker"][-1] == "BELGIUM"


def test_an_address_mapping_is_formatted_like_fields_of_the_record(tmp_path: Path) -> None:
    people = """\
    - id: x
      name: Erika Mustermann
      address: {street: [Platz der Republik 1, Paul-Löbe-Haus], postcode: "11011", city: Berlin,
                country: DE}
    """
    code, err, letters = _render(tmp_path, people)
    assert code == 0, err
    assert letters["x"] == [
        "Erika Mustermann",
        "Platz der Republik 1",
        "Paul-Löbe-Haus",
        "11011 BERLIN",
        "GERMANY",
    ]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            "{id: x, name: X, street: 1 rue Y, city: Paris, country: FR}",
            "address_block: the record has no postcode, which an address in France needs; "
            "give the record the field 'postcode' (e.g. 33380)",
        ),
        (
            "{id: x, name: X, address: {street: 1 rue Y, city: Paris, country: FR}}",
            "address_block: the record has no postcode, which an address in France needs; "
            "give the record the field 'address.postcode' (e.g. 33380)",
        ),
        (
            "{id: x, name: X, street: 1 rue Y, zip: '750', city: Paris, country: FR}",
            "address_block: zip '750' is not a postcode in France (e.g. 33380); "
            "correct the field 'zip'",
        ),
        (
            "{id: x, name: X, street: 1 Main St, postcode: '20500', city: Washington, country: US}",
            "address_block: the record has no state, which an address in United States needs; "
            "give the record the field 'state' (e.g. AL)",
        ),
        (
            "{id: x, name: X, street: 1 rue Y, postcode: '75007', city: Paris, country: Narnia}",
            "address_block: country 'Narnia' is not a country lettergen knows; give the field "
            "'country' a two-letter ISO code such as FR or DE",
        ),
        (
            "{id: x, name: X}",
            "address_block: the record has no address; give it the field 'address' (its lines "
            "as posted) or the fields 'street', 'postcode' and 'city'",
        ),
    ],
)
def test_an_address_the_post_cannot_deliver_stops_the_run_naming_record_and_field(
    tmp_path: Path, record: str, message: str
) -> None:
    code, err, letters = _render(tmp_path, f"- {record}\n")
    assert code == 1
    path = tmp_path / "letter.txt.j2"
    assert err == f"{path}:4: record 'x': template error: {message}\n"
    assert letters == {}
    assert not (tmp_path / "out").exists()


def test_check_reports_the_missing_postcode_as_a_finding(tmp_path: Path) -> None:
    write(tmp_path / "me.yaml", SENDER)
    template = write(tmp_path / "letter.txt.j2", LETTER.format(extra=""))
    records = write(
        tmp_path / "people.yaml",
        "- {id: x, name: X, street: 1 rue Y, city: Paris, country: FR}\n",
    )
    result = CliRunner().invoke(cli, ["check", str(template), str(records)])
    assert result.exit_code == 1
    assert "record 'x'" in result.stdout
    assert "give the record the field 'postcode'" in result.stdout
    assert "Traceback" not in result.output


def test_parts_without_any_country_are_refused(tmp_path: Path) -> None:
    people = "- {id: x, name: X, street: 1 rue Y, postcode: '75007', city: Paris}\n"
    code, err, _ = _render(tmp_path, people, sender="name: Nobody\n")
    assert code == 1
    assert "give the record the field 'country' (a two-letter ISO code such as FR)" in err


def test_the_country_data_is_read_from_the_package_without_the_network() -> None:
    # Every socket refused: formatting must not need one, nor load an HTTP client.
    code = textwrap.dedent(
        """
        import json, socket, sys
        def refuse(*args, **kwargs):
            raise OSError("network used")
        socket.socket = refuse
        socket.create_connection = refuse
        from lettergen.templating.addresses import address_lines
        lines = address_lines(
            {"name": "X", "street": "1 rue Y", "postcode": "75007", "city": "Paris",
             "country": "FR"},
            {"sender": {"country": "LU"}, "letter": {"locale": "en"}},
        )
        print(json.dumps([lines, "requests" in sys.modules]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    lines, requests_loaded = json.loads(done.stdout)
    assert lines == ["X", "1 rue Y", "75007 PARIS", "FRANCE"]
    assert requests_loaded is False


def test_the_fields_the_filter_reads_are_used(tmp_path: Path) -> None:
    write(tmp_path / "me.yaml", SENDER)
    template = write(tmp_path / "letter.txt.j2", LETTER.format(extra=""))
    records = write(
        tmp_path / "people.yaml",
        "- {id: x, name: X, organisation: O, street: S 1, postcode: '75007', city: Paris, "
        "country: FR, hobby: chess}\n",
    )
    result = CliRunner().invoke(cli, ["check", str(template), str(records)])
    assert result.exit_code == 0, result.output
    # Only the field no address has is never used.
    unused = [line for line in result.stdout.splitlines() if "never used" in line]
    assert unused == [
        f"  {template}: info: recipient.hobby is never used by the template "
        "(1 of 1 record(s) have it)"
    ]
