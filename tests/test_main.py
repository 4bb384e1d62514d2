"""The package runs as ``python -m lettergen`` and every command documents itself."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from lettergen.cli import cli
from tests.conftest import ROOT


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lettergen", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: lettergen" in result.stdout
    assert "render" in result.stdout


def test_every_command_has_an_example_and_is_in_the_readme(runner: CliRunner) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert cli.commands
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output, name
        assert f"lettergen {name}" in readme, name


def test_unknown_option_is_misuse_with_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["render", "--frobnicate"])
    assert result.exit_code == 2
    assert "No such option '--frobnicate'" in result.output
