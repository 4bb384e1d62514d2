"""Every `lettergen` command the README shows works as shown, in the order a reader meets them.

The commands run in a fresh copy of the sample campaign, one after another, the way a new user
types them after README command 1. A command is expected to exit 0 unless its comment in the
README says "exit N". A shown session (`$ lettergen ...` followed by output) must print what the
README prints, line for line, up to its `...`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli

from .conftest import ROOT

README = ROOT / "README.md"
# What a copy of the sample campaign needs: the campaign file, its folders, the seed letter.
CAMPAIGN = ("lettergen.yaml", "templates", "recipients", "tests/data")
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_EXIT = re.compile(r"exit (\d)")


@dataclass(frozen=True)
class Command:
    """One command line of the README and what the README says it does."""

    line: str
    exit_code: int
    # For a shown session: the output lines the README prints after the command.
    shown: tuple[str, ...] = ()


def readme_commands(text: str) -> list[Command]:
    """Every `lettergen` command in the README's code blocks, in order.

    `sh` blocks hold commands with an optional `# comment`; other blocks may show a session,
    `$ lettergen ...` and its output.
    """
    commands: list[Command] = []
    for kind, body in _BLOCK.findall(text):
        lines = body.splitlines()
        for number, raw in enumerate(lines):
            if kind == "sh":
                code, _, comment = raw.partition(" #")
                code = code.strip()
                if ".venv/bin/lettergen" in code:
                    code = "lettergen" + code.split(".venv/bin/lettergen", 1)[1]
                if "lettergen " in f"{code} " and not code.startswith(("python", ".venv")):
                    commands.append(Command(code, _expected_exit(comment)))
            elif raw.startswith("$ lettergen"):
                code, _, comment = raw[2:].partition(" #")
                shown = []
                for after in lines[number + 1 :]:
                    if after == "..." or after.startswith("$ "):
                        break
                    shown.append(after)
                commands.append(Command(code.strip(), _expected_exit(comment), tuple(shown)))
    return commands


def _expected_exit(comment: str) -> int:
    """The exit status a README comment announces ("refused (exit 1)"), else 0."""
    found = _EXIT.search(comment)
    return int(found.group(1)) if found else 0


def test_the_readme_commands_are_found() -> None:
    """The parser sees the commands a reader sees (so the test below cannot pass on nothing)."""
    commands = [c.line for c in readme_commands(README.read_text(encoding="utf-8"))]
    assert commands[0] == "lettergen render"
    assert "lettergen check" in commands
    assert "lettergen init water-campaign" in commands
    assert "cd water-campaign && lettergen render" in commands
    assert any(c.startswith("lettergen check tests/data/seed-letter.txt") for c in commands)
    assert len(commands) >= 20


def test_the_parser_reads_expected_exit_codes_and_sessions() -> None:
    text = (
        "```sh\nlettergen render   # refused (exit 1), exists\nlettergen check\n```\n"
        "```\n$ lettergen check x   # exit 1\nerror: one\n  two\n...\n```\n"
    )
    assert readme_commands(text) == [
        Command("lettergen render", 1),
        Command("lettergen check", 0),
        Command("lettergen check x", 1, ("error: one", "  two")),
    ]


def _run(command: Command, runner: CliRunner, here: Path) -> tuple[Path, str]:
    """Run one README line (``cd DIR && lettergen ...`` included) from ``here``."""
    output = ""
    for part in command.line.split("&&"):
        words = shlex.split(part)
        if words[0] == "cd":
            here = here / words[1]
            continue
        assert words[0] == "lettergen", command.line
        os.chdir(here)
        result = runner.invoke(cli, words[1:], catch_exceptions=False)
        assert result.exit_code == command.exit_code, (command.line, result.output)
        output = result.output
    return here, output


@pytest.mark.skipif(shutil.which("soffice") is None, reason="the README shows PDF letters")
def test_every_readme_command_works_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in CAMPAIGN:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in readme_commands(README.read_text(encoding="utf-8")):
        _, output = _run(command, runner, tmp_path)
        if command.shown:
            assert output.splitlines()[: len(command.shown)] == list(command.shown), command.line
    # What the walk-through promises is there: six letters, Word and PDF among them.
    letters = tmp_path / "letters"
    assert len(list(letters.glob("*.txt"))) == 6
    assert len(list(letters.glob("*.pdf"))) == 6
    assert (tmp_path / "print" / "all.docx").is_file()
    assert (tmp_path / "water-campaign" / "letters").is_dir()


def test_the_readme_installs_what_ci_installs() -> None:
    """The system packages the README asks for are the ones `.ci/run` installs."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci = re.search(r"^packages=\((.*?)\)", script, re.MULTILINE)
    assert ci is not None
    readme = re.search(r"^apt-get install (.+)$", README.read_text(encoding="utf-8"), re.MULTILINE)
    assert readme is not None
    assert readme.group(1).split() == ci.group(1).split()
