"""One rule, one answer: every command names a value and treats an option the same way."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from tests.conftest import write

RECORDS = """\
- id: fabius
  name: Laurent Fabius
  address: ["37, Quai d'Orsay", "75700\\vParis"]
"""


def word_template(tmp_path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Dear {{ recipient.name }},")
    document.add_paragraph("{{ recipient.address | join(', ') }}")
    path = tmp_path / "letter.docx"
    document.save(str(path))
    return path


def text_template(tmp_path: Path) -> Path:
    return write(
        tmp_path / "letter.txt.j2",
        "Dear {{ recipient.name }},\n\n{{ recipient.address | join(', ') }}\n",
    )


def named_field(output: str) -> str:
    found = re.search(r"field '([^']+)': holds U\+000B", output)
    assert found, output
    return found.group(1)


@pytest.mark.parametrize("template", [word_template, text_template])
def test_check_and_render_name_the_same_field_for_a_character_xml_forbids(
    runner: CliRunner, tmp_path: Path, template: object
) -> None:
    path = template(tmp_path)  # type: ignore[operator]
    people = write(tmp_path / "people.yaml", RECORDS)
    checked = runner.invoke(cli, ["check", str(path), str(people)])
    rendered = runner.invoke(
        cli, ["render", str(path), str(people), "-f", "docx", "-o", str(tmp_path / "out")]
    )
    assert checked.exit_code == rendered.exit_code == 1
    # Counted as the template counts: address[1] is the second line, the one with the tab.
    assert named_field(checked.output) == named_field(rendered.output) == "recipient.address[1]"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["render", "preview", "check", "fields"])
def test_an_unknown_encoding_is_misuse_for_every_command(
    runner: CliRunner, tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # render writes to ./letters
    template = write(tmp_path / "t.txt.j2", "Dear {{ recipient.name }}\n")
    people = write(tmp_path / "r.yaml", "- {id: a, name: Ana}\n")
    result = runner.invoke(cli, [command, str(template), str(people), "--encoding", "nope"])
    assert result.exit_code == 2, result.output
    assert "unknown encoding 'nope'" in result.output
    # The same command with a known encoding runs: the status is the option's, not the files'.
    good = runner.invoke(cli, [command, str(template), str(people), "--encoding", "utf-8"])
    assert good.exit_code == 0, good.output


def test_every_command_that_reads_files_takes_encoding() -> None:
    reading = {"render", "preview", "check", "fields"}
    for name in reading:
        command = cli.commands[name]  # type: ignore[attr-defined]
        assert "--encoding" in {opt for p in command.params for opt in p.opts}, name
