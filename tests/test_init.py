"""``lettergen init``: a new campaign folder that renders as it is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lettergen.cli import cli
from tests.conftest import snapshot


def test_init_then_render_in_the_new_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "water campaign"

    result = runner.invoke(cli, ["init", str(folder)])

    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "lettergen.yaml",
        "recipients/recipients.yaml",
        "templates/letter.txt.j2",
        "templates/sender.yaml",
    ]
    assert f"created {folder / 'templates' / 'letter.txt.j2'}" in result.output
    assert result.output.rstrip().endswith(
        f"Next: cd {folder} && lettergen render   (then edit the template and recipients)"
    )

    monkeypatch.chdir(folder)
    result = runner.invoke(cli, ["render", "--date", "2025-01-31"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote 2 letter(s) (txt, 2 file(s)) to letters/\n"
    # The starter's own instructions are still in the letter: a warning, until they are edited.
    assert "warning: instruction text 'Write the body of your letter here'" in result.stderr
    people = yaml.safe_load((folder / "recipients" / "recipients.yaml").read_text())["recipients"]
    for person in people:
        lines = (folder / "letters" / f"{person['id']}.txt").read_text(encoding="utf-8").split("\n")
        assert lines[0] == "Brussels, 31 January 2025"
        assert lines[2] == f"{person['name']}, {person['title']}"
        assert person["salutation"] in lines
        assert lines[-3:] == ["Jo Example", "Member of the European Parliament", ""]
        assert not any("{" in line or "}" in line for line in lines)


def test_starter_campaign_passes_its_own_check_but_for_its_instructions(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(cli, ["init", str(tmp_path / "c")]).exit_code == 0
    monkeypatch.chdir(tmp_path / "c")

    result = runner.invoke(cli, ["check"])

    assert result.exit_code == 0, result.output
    # The one finding: the starter's "Write the body of your letter here", until it is edited.
    assert result.stdout.splitlines()[-1].endswith("0 error(s), 1 warning(s), 0 note(s)")
    assert "instruction text 'Write the body of your letter here'" in result.stdout
    # Undated, the letters carry the day they are rendered.
    result = runner.invoke(cli, ["render"])
    assert result.exit_code == 0, result.output
    first = (tmp_path / "c" / "letters" / "minister-environment.txt").read_text(encoding="utf-8")
    assert first.startswith(f"Brussels, {dt.date.today().day} ")


@pytest.mark.parametrize("existing", ["notes.txt", ".hidden"])
def test_init_refuses_a_folder_that_is_not_empty(
    runner: CliRunner, tmp_path: Path, existing: str
) -> None:
    (tmp_path / existing).write_text("mine\n", encoding="utf-8")
    before = snapshot(tmp_path)

    result = runner.invoke(cli, ["init", str(tmp_path)])

    assert result.exit_code == 1
    assert result.output == (
        f"{tmp_path}: folder is not empty ({existing}); lettergen init makes a campaign "
        "in a new or empty folder\n"
    )
    assert snapshot(tmp_path) == before


def test_init_refuses_a_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "campaign"
    target.write_text("a file\n", encoding="utf-8")

    result = runner.invoke(cli, ["init", str(target)])

    assert result.exit_code == 1
    assert result.output == f"{target}: is a file, not a folder; name a new or empty folder\n"
    assert target.read_text(encoding="utf-8") == "a file\n"


def test_init_accepts_an_empty_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lettergen.yaml").read_text(encoding="utf-8").count("template:") == 1
