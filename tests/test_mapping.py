"""Spreadsheet headers mapped onto template fields: lettergen.yaml's ``fields:`` and ``--map``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from lettergen.cli import cli
from tests.conftest import snapshot, write

TEMPLATE = """\
    {{ recipient.first_name }} {{ recipient.last_name }}
    {{ recipient.organisation }}
    {% for line in recipient.address.street %}
    {{ line }}
    {% endfor %}
    {{ recipient.address.postcode }} {{ recipient.address.city }}
    """

# Headers as an NGO's database exports them.
CSV = """\
    ID;First Name;Last name;Ministère;Rue;Post code;address.city
    fabius;Laurent;Fabius;Affaires étrangères;"37, Quai d'Orsay
    CS 40305";75007;Paris
    taubira;Christiane;Taubira;Justice;13, place Vendôme;75042;Paris Cedex 01
    """

FIELDS = """\
    fields:
      ID: id
      First Name: first_name
      Last name: last_name
      Ministère: organisation
      Rue: address.street
      Post code: address.postcode
    """

FABIUS = "Laurent Fabius\nAffaires étrangères\n37, Quai d'Orsay\nCS 40305\n75007 Paris\n"
TAUBIRA = "Christiane Taubira\nJustice\n13, place Vendôme\n75042 Paris Cedex 01\n"


def campaign(tmp_path: Path, fields: str = FIELDS, people: str = "people.csv") -> Path:
    """Write a campaign folder with the template and ``fields``; return its lettergen.yaml."""
    write(tmp_path / "letter.txt.j2", TEMPLATE)
    return write(
        tmp_path / "lettergen.yaml",
        f"template: letter.txt.j2\nrecipients: [{people}]\n" + textwrap.dedent(fields),
    )


def render(runner: CliRunner, tmp_path: Path, settings: Path, *extra: str) -> Result:
    args = ["render", "--campaign", str(settings), "-o", str(tmp_path / "out"), *extra]
    return runner.invoke(cli, args)


def letters(tmp_path: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((tmp_path / "out").glob("*.txt"))}


def test_fields_section_maps_headers_dotted_targets_and_multiline_cells(
    runner: CliRunner, tmp_path: Path
) -> None:
    write(tmp_path / "people.csv", CSV)
    result = render(runner, tmp_path, campaign(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert letters(tmp_path) == {"fabius": FABIUS, "taubira": TAUBIRA}


def test_map_option_adds_to_and_overrides_the_fields_section(
    runner: CliRunner, tmp_path: Path
) -> None:
    write(tmp_path / "people.csv", CSV)
    # The campaign maps "Ministère" wrongly; --map puts it right and adds the street.
    fields = FIELDS.replace("Ministère: organisation", "Ministère: ministry").replace(
        "      Rue: address.street\n", ""
    )
    result = render(
        runner,
        tmp_path,
        campaign(tmp_path, fields),
        "--map",
        "Ministère=organisation",
        "--map",
        "Rue=address.street",
    )
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {"fabius": FABIUS, "taubira": TAUBIRA}


def test_headers_match_ignoring_case_and_spacing(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "people.csv", CSV.replace("Post code", "POST  CODE"))
    result = render(runner, tmp_path, campaign(tmp_path))
    assert result.exit_code == 0, result.output
    assert letters(tmp_path)["taubira"] == TAUBIRA


def test_xlsx_headers_are_mapped_and_a_multiline_cell_is_a_list_of_lines(
    runner: CliRunner, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "First Name", "Last name", "Ministère", "Rue", "Post code", "address.city"])
    sheet.append(
        ["fabius", "Laurent", "Fabius", "Affaires étrangères", "37, Quai d'Orsay\nCS 40305"]
    )
    sheet["F2"] = 75007
    sheet["G2"] = "Paris"
    book.save(tmp_path / "people.xlsx")
    template = write(
        tmp_path / "lines.txt.j2",
        "{{ recipient.address.street | join(', ') }} / {{ recipient.address.street | first }}\n"
        "{{ recipient.address.street }}\n{{ recipient.address.postcode + 1 }}\n",
    )
    settings = campaign(tmp_path, FIELDS, people="people.xlsx")
    result = runner.invoke(
        cli,
        ["render", str(template), "--campaign", str(settings), "-o", str(tmp_path / "out")],
    )
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {
        "fabius": "37, Quai d'Orsay, CS 40305 / 37, Quai d'Orsay\n"
        "37, Quai d'Orsay\nCS 40305\n75008\n"
    }


def test_mapping_renames_json_keys_too(runner: CliRunner, tmp_path: Path) -> None:
    record = {
        "ID": "fabius",
        "First Name": "Laurent",
        "Last name": "Fabius",
        "Ministère": "Affaires étrangères",
        "Rue": ["37, Quai d'Orsay", "CS 40305"],
        "Post code": "75007",
        "address": {"city": "Paris"},
    }
    (tmp_path / "people.json").write_text(json.dumps([record]), encoding="utf-8")
    result = render(runner, tmp_path, campaign(tmp_path, people="people.json"))
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {"fabius": FABIUS}


def test_mapped_header_missing_from_a_file_is_a_warning_naming_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    write(tmp_path / "people.csv", CSV)
    result = render(runner, tmp_path, campaign(tmp_path), "--map", "Titre=title")
    assert result.exit_code == 0, result.output
    people = tmp_path / "people.csv"
    assert result.stderr == (
        f"{people}:1: warning: field mapping 'Titre' -> 'title': no column 'Titre' in the "
        "header (columns: 'ID', 'First Name', 'Last name', 'Ministère', 'Rue', 'Post code', "
        "'address.city')\n"
    )
    assert letters(tmp_path) == {"fabius": FABIUS, "taubira": TAUBIRA}


def test_two_columns_for_one_field_is_an_error_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = write(tmp_path / "people.csv", CSV.replace("Rue;", "address.street;"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    result = render(runner, tmp_path, campaign(tmp_path), "--map", "ID=address.street")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}:1: columns 1 and 5 both give the field 'address.street' "
        "(check the field mapping)\n"
    )
    assert snapshot(out) == before


def test_a_field_and_its_parent_both_columns_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    people = write(tmp_path / "people.csv", CSV)
    result = render(runner, tmp_path, campaign(tmp_path), "--map", "Ministère=address")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}:1: column 'address.street' would go inside the field 'address', "
        "which is also a column\n"
    )
    assert not (tmp_path / "out").exists()


def test_unmapped_header_missing_from_the_template_suggests_the_mapping(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = write(tmp_path / "people.csv", CSV)
    fields = FIELDS.replace("      First Name: first_name\n", "").replace(
        "      Post code: address.postcode\n", ""
    )
    template = tmp_path / "letter.txt.j2"
    result = render(runner, tmp_path, campaign(tmp_path, fields))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{people}:2: record 'fabius': missing field 'recipient.first_name' (used at "
        f"{template}:1); the record has 'First Name': map it with --map "
        "'First Name=first_name' (or 'fields:' in lettergen.yaml)"
    )
    assert not (tmp_path / "out").exists()

    # A nested field is matched by its last part: "Post code" for address.postcode.
    result = render(runner, tmp_path, campaign(tmp_path, fields), "--map", "First Name=first_name")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].endswith(
        "missing field 'recipient.address.postcode' (used at "
        f"{template}:6); the record has 'Post code': map it with --map "
        "'Post code=address.postcode' (or 'fields:' in lettergen.yaml)"
    )


def test_map_option_without_equals_is_misuse(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "people.csv", CSV)
    result = render(runner, tmp_path, campaign(tmp_path), "--map", "Post code")
    assert result.exit_code == 2
    assert "'Post code' is not HEADER=FIELD, e.g. 'Post code=postcode'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_fields_section_that_is_not_a_mapping_names_the_campaign_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    write(tmp_path / "people.csv", CSV)
    settings = campaign(tmp_path, "fields: [ID, id]\n")
    result = render(runner, tmp_path, settings)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{settings}: field 'fields': 'fields' maps spreadsheet headers to template fields "
        "('Post code: postcode', one per line)\n"
    )
