"""TEMPLATE and RECIPIENTS told apart: a recipients file is never taken as the template."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from tests.conftest import ROOT, snapshot, write

NEW = """\
    - id: ana-gomes
      honorific: Ms
      name: Ana Gomes
      title: Ambassador
      organisation: Embassy of Portugal
      address: [1 Rue de Noisiel, 75116 Paris]
      salutation: Dear Ambassador,
      form_of_address: Ambassador
    """


@pytest.fixture
def campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample campaign (the current folder) with one more recipients file."""
    for name in ("templates", "recipients"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "lettergen.yaml", tmp_path / "lettergen.yaml")
    write(tmp_path / "recipients" / "new.yaml", NEW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def loose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder without lettergen.yaml: a template and a recipients file."""
    write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    write(tmp_path / "people.yaml", "- id: a\n  name: A\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_lone_recipients_file_in_a_campaign_is_its_recipients(
    campaign: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["render", "recipients/new.yaml"])
    assert result.exit_code == 0, result.output
    assert "Wrote 1 letter(s) (txt, 1 file(s)) to letters/" in result.stdout
    letters = sorted(p.name for p in (campaign / "letters").glob("*.txt"))
    assert letters == ["ana-gomes.txt"]
    text = (campaign / "letters" / "ana-gomes.txt").read_text(encoding="utf-8")
    # The address as the post reads it: the embassy first, as in Belgium, where the record
    # (which names no country) is taken to be, like the letter.
    assert text.startswith("Embassy of Portugal\nHer Excellency Ana Gomes\nAmbassador\n")
    assert "Dear Ambassador," in text
    assert "honorific:" not in text  # not the YAML printed as a letter


def test_several_recipients_files_in_a_campaign(campaign: Path, runner: CliRunner) -> None:
    args = ["check", "recipients/new.yaml", "recipients/french-government.yaml"]
    result = runner.invoke(cli, args)
    assert "6 of 6 letter(s) rendered" in result.stdout, result.output


@pytest.mark.parametrize("command", ["render", "check", "preview"])
def test_a_recipients_file_as_template_without_a_campaign(
    loose: Path, runner: CliRunner, command: str
) -> None:
    result = runner.invoke(cli, [command, "people.yaml"])
    assert result.exit_code == 2
    assert result.stderr == (
        "'people.yaml' is a recipients file, but the first argument is the TEMPLATE: name the "
        "template first and the recipients after it (TEMPLATE RECIPIENTS...), or set "
        "'template:' in lettergen.yaml and name only the recipients\n"
    )
    assert result.stdout == ""
    assert not (loose / "letters").exists()


@pytest.mark.parametrize("command", ["render", "check"])
def test_the_arguments_the_wrong_way_round(campaign: Path, runner: CliRunner, command: str) -> None:
    """Even in a campaign: the template given after the recipients is a mistake, named."""
    before = snapshot(campaign)
    result = runner.invoke(cli, [command, "recipients/new.yaml", "templates/appeal.txt.j2"])
    assert result.exit_code == 2
    assert result.stderr == (
        "'recipients/new.yaml' is a recipients file, but the first argument is the TEMPLATE: "
        "name the template first and the recipients after it "
        "(templates/appeal.txt.j2 recipients/new.yaml)\n"
    )
    assert snapshot(campaign) == before


@pytest.mark.parametrize("suffix", [".yml", ".json", ".csv", ".tsv", ".xlsx", ".CSV", ".ods"])
def test_every_kind_of_recipients_file_is_no_template(
    loose: Path, runner: CliRunner, suffix: str
) -> None:
    data = loose / f"people{suffix}"
    data.write_bytes(b"id,name\na,A\n")
    result = runner.invoke(cli, ["render", data.name, "people.yaml"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"'{data.name}' is a recipients file, but the first argument is the TEMPLATE: "
    )
    assert not (loose / "letters").exists()


def test_fields_refuses_a_recipients_file_as_template(loose: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["fields", "people.yaml"])
    assert result.exit_code == 2
    assert result.stderr == (
        "'people.yaml' is a recipients file, but the first argument is the TEMPLATE: name the "
        "template first and the recipients after it (TEMPLATE RECIPIENTS...)\n"
    )


def test_a_template_then_recipients_is_unchanged(loose: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["render", "letter.txt.j2", "people.yaml"])
    assert result.exit_code == 0, result.output
    assert (loose / "letters" / "a.txt").read_text(encoding="utf-8") == "Dear A,\n"
