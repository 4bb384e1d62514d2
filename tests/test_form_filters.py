"""`{{ recipient | salutation }}` and its kin print what protocol writes, unless the record says."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lettergen.cli import cli

from .conftest import snapshot, write

LETTER = """\
---
sender: me.yaml
---
{{ recipient | address_style }}

{{ recipient | salutation }}

{{ recipient | form_of_address }}, I call on you.

{{ recipient | closing }}
"""
PEOPLE = """\
- id: taubira
  honorific: Mme
  name: Christiane Taubira
  title: Garde des Sceaux, ministre de la Justice
  language: fr
- id: fabius
  honorific: Mr
  name: Laurent Fabius
  title: Minister of Foreign Affairs
- id: valls
  name: Manuel Valls
  title: Prime Minister
  salutation: Dear Manuel,
"""


def _campaign(tmp_path: Path, people: str = PEOPLE) -> tuple[Path, Path]:
    write(tmp_path / "me.yaml", "name: Mady Delvaux-Stehres\n")
    template = write(tmp_path / "letter.txt.j2", LETTER)
    write(tmp_path / "letter.fr.txt.j2", LETTER)
    return template, write(tmp_path / "people.yaml", people)


def test_forms_follow_office_gender_and_language_and_a_records_own_field_wins(
    tmp_path: Path,
) -> None:
    template, people = _campaign(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", str(template), str(people), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "taubira.txt").read_text(encoding="utf-8").split("\n\n") == [
        "Madame Christiane Taubira",
        "Madame la Ministre,",
        "Madame la Ministre, I call on you.",
        "Je vous prie d'agréer, Madame la Ministre, l'expression de ma haute considération.\n",
    ]
    assert (out / "fabius.txt").read_text(encoding="utf-8").split("\n\n") == [
        "Mr Laurent Fabius",
        "Dear Minister,",
        "Minister, I call on you.",
        "Yours sincerely,\n",
    ]
    valls = (out / "valls.txt").read_text(encoding="utf-8").split("\n\n")
    assert valls[1] == "Dear Manuel,"
    assert valls[2] == "Prime Minister, I call on you."


def test_the_fields_a_filter_reads_are_used_and_none_is_required(tmp_path: Path) -> None:
    template, people = _campaign(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(template), str(people)])
    assert result.exit_code == 0, result.output
    assert "unused" not in result.stdout
    assert "missing" not in result.stdout


def test_an_office_protocol_does_not_know_asks_for_the_field(tmp_path: Path) -> None:
    template, people = _campaign(
        tmp_path, PEOPLE + "- {id: whip, name: Jo Bloggs, title: Chief Whip}\n"
    )
    before = snapshot(tmp_path)
    result = CliRunner().invoke(cli, ["render", str(template), str(people), "-o", "out"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"{template}:4: record 'whip': template error: address_style: the record has no "
        "'address_style' field and the title 'Chief Whip' names no office whose address style "
        "lettergen knows in 'en'; give the record the field 'address_style'"
    )
    assert "Traceback" not in result.output
    assert snapshot(tmp_path) == before


def test_suggest_proposes_what_records_lack_and_writes_a_copy_for_review(tmp_path: Path) -> None:
    import yaml

    template, people = _campaign(
        tmp_path, PEOPLE + "- {id: whip, name: Jo Bloggs, title: Chief Whip}\n"
    )
    runner = CliRunner()
    before = people.read_bytes()
    result = runner.invoke(cli, ["suggest", str(template), str(people)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"{people}:1: record 'taubira': salutation: Madame la Ministre," in lines
    assert f"{people}:6: record 'fabius': closing: Yours sincerely," in lines
    # Valls's own salutation is kept, not proposed again.
    assert not any("'valls': salutation" in line for line in lines)
    assert (
        f"{people}:14: record 'whip': nothing to propose: its title 'Chief Whip' names no "
        "office lettergen knows"
    ) in lines

    copy = tmp_path / "reviewed.yaml"
    result = runner.invoke(cli, ["suggest", str(template), str(people), "--write", str(copy)])
    assert result.exit_code == 0, result.output
    records = yaml.safe_load(copy.read_text(encoding="utf-8"))["recipients"]
    assert [r["id"] for r in records] == ["taubira", "fabius", "valls", "whip"]
    assert records[1]["salutation"] == "Dear Minister,"
    assert records[2]["salutation"] == "Dear Manuel,"
    assert "salutation" not in records[3]
    assert people.read_bytes() == before

    again = runner.invoke(cli, ["suggest", str(template), str(people), "--write", str(copy)])
    assert again.exit_code == 2
    assert again.stderr.strip().endswith(
        f"{copy}: exists already; name a new file for the reviewed copy"
    )
