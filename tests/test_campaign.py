"""lettergen.yaml supplies defaults; the command line overrides them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from tests.conftest import ROOT, write


def test_render_alone_renders_the_sample_campaign(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of the repository's campaign, so the test writes only under tmp_path.
    for name in ("lettergen.yaml", "templates", "recipients"):
        source = ROOT / name
        target = tmp_path / name
        if source.is_dir():
            target.mkdir()
            for item in source.iterdir():
                if item.is_file():
                    (target / item.name).write_bytes(item.read_bytes())
        else:
            target.write_bytes(source.read_bytes())
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render"])
    assert result.exit_code == 0, result.output
    letters = sorted(p.name for p in (tmp_path / "letters").glob("*.txt"))
    assert {
        "laurent-fabius.txt",
        "manuel-valls.txt",
        "christiane-taubira.txt",
        "bernard-cazeneuve.txt",
        "francois-hollande.txt",
    } <= set(letters)
    assert "Dear Prime Minister," in (tmp_path / "letters" / "manuel-valls.txt").read_text(
        encoding="utf-8"
    )


def test_command_line_overrides_the_campaign(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "t.txt.j2", "Hello {{ recipient.name }}, {{ date }}\n")
    write(tmp_path / "people.yaml", "- name: Ana\n- name: Bo\n")
    write(
        tmp_path / "lettergen.yaml",
        """\
        template: t.txt.j2
        recipients: people.yaml
        output_dir: from-campaign
        date: 2020-01-02
        only: [ana]
        """,
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "from-campaign").iterdir()) == [
        "ana.txt",
        "manifest.csv",
    ]
    assert (tmp_path / "from-campaign" / "ana.txt").read_text() == "Hello Ana, 2020-01-02\n"

    result = runner.invoke(cli, ["render", "-o", "cli-out", "--only", "bo", "--date", "2021-03-04"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "cli-out").iterdir()) == ["bo.txt", "manifest.csv"]
    assert (tmp_path / "cli-out" / "bo.txt").read_text() == "Hello Bo, 2021-03-04\n"


def test_unknown_campaign_key_is_an_error_naming_the_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "lettergen.yaml", "template: t.txt.j2\ntemplat: oops\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render"])
    assert result.exit_code == 1
    assert result.stderr.startswith("lettergen.yaml: unknown option 'templat' (known: ")


def test_only_naming_no_record_is_an_error_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = write(tmp_path / "t.txt.j2", "Hello {{ recipient.name }}\n")
    people = write(tmp_path / "people.yaml", "- name: Ana\n")
    result = runner.invoke(
        cli, ["render", str(template), str(people), "-o", str(tmp_path / "out"), "--only", "zed"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "--only: no record has the id 'zed'"
    assert not (tmp_path / "out").exists()
