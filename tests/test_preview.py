"""`lettergen preview`: the letter exactly as render writes it, values highlighted on a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.preview import EMPTY
from tests.conftest import SAMPLE_RECIPIENTS, SAMPLE_TEMPLATE, write

ANSI = "\x1b["


def rendered(runner: CliRunner, tmp_path: Path, *args: str) -> dict[str, str]:
    """Render with `lettergen render` and return every letter's text, by record id."""
    out = tmp_path / "rendered"
    result = runner.invoke(cli, ["render", *args, "-o", str(out), "--no-check"])
    assert result.exit_code == 0, result.output
    return {p.stem: p.read_text(encoding="utf-8") for p in out.glob("*.txt")}


def test_plain_preview_is_exactly_the_rendered_letter(runner: CliRunner, tmp_path: Path) -> None:
    letters = rendered(runner, tmp_path, str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS))
    result = runner.invoke(cli, ["preview", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS)])
    assert result.exit_code == 0, result.output
    # The first record by default; no colour when not on a terminal.
    assert result.stdout == letters["laurent-fabius"]
    assert ANSI not in result.stdout


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--recipient", "francois-hollande"], "francois-hollande"),
        (["--index", "2"], "manuel-valls"),
    ],
)
def test_preview_picks_a_recipient_by_id_or_position(
    runner: CliRunner, tmp_path: Path, option: list[str], expected: str
) -> None:
    letters = rendered(runner, tmp_path, str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS))
    result = runner.invoke(cli, ["preview", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), *option])
    assert result.exit_code == 0, result.output
    assert result.stdout == letters[expected]


def test_colour_preview_highlights_every_value(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "preview",
            str(SAMPLE_TEMPLATE),
            str(SAMPLE_RECIPIENTS),
            "--index",
            "2",
            "--color",
            "always",
        ],
        color=True,
    )
    assert result.exit_code == 0, result.output
    # Record values and the signatory's, each wrapped in an ANSI style and its reset.
    # (The address's lines are the values address_block prints: "Mr Manuel Valls".)
    for value in (
        "Mr Manuel Valls",
        "Mr Prime Minister",
        "Hôtel de Matignon",
        "Mady Delvaux-Stehres",
    ):
        assert f"m{value}{ANSI}0m" in result.stdout, value
    # The template's own words are not highlighted.
    assert f"m{'I am addressing you'}" not in result.stdout
    assert "I am addressing you" in result.stdout


def preview_on_a_terminal(env: dict[str, str]) -> str:
    """Run ``lettergen preview`` with its output on a pseudo-terminal; return what it shows."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    args = [sys.executable, "-m", "lettergen", "preview", str(SAMPLE_TEMPLATE)]
    done = subprocess.run(
        [*args, str(SAMPLE_RECIPIENTS)],
        stdout=follower,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env,
        timeout=60,
        check=False,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end is closed: all is read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0, done.stderr
    return shown.decode("utf-8")


def test_a_terminal_gets_colour_unless_no_color_is_set() -> None:
    assert ANSI in preview_on_a_terminal({})
    plain = preview_on_a_terminal({"NO_COLOR": "1"})
    assert ANSI not in plain
    assert "Laurent Fabius" in plain


def test_color_never_gives_plain_text_and_always_colour(runner: CliRunner) -> None:
    args = ["preview", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "--color"]
    never = runner.invoke(cli, [*args, "never"], color=True)
    assert never.exit_code == 0, never.output
    assert ANSI not in never.stdout
    always = runner.invoke(cli, [*args, "always"], color=True)
    assert ANSI in always.stdout
    assert runner.invoke(cli, [*args, "sometimes"]).exit_code == 2


def test_empty_values_are_marked_visibly(runner: CliRunner, tmp_path: Path) -> None:
    template = write(
        tmp_path / "letter.txt.j2", "Dear {{ recipient.title }} {{ recipient.name }},\n"
    )
    people = write(tmp_path / "people.yaml", "- {id: a, name: Ana, title: ''}\n")
    coloured = runner.invoke(
        cli, ["preview", str(template), str(people), "--color", "always"], color=True
    )
    assert coloured.exit_code == 0, coloured.output
    assert EMPTY in coloured.stdout
    plain = runner.invoke(cli, ["preview", str(template), str(people)])
    assert plain.stdout == "Dear  Ana,\n"
    assert plain.stderr == (
        f"{people}:1: warning: record 'a': letter line 1 prints an empty value\n"
    )


def test_all_shows_every_letter_with_its_record(runner: CliRunner, tmp_path: Path) -> None:
    letters = rendered(runner, tmp_path, str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS))
    result = runner.invoke(cli, ["preview", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "--all"])
    assert result.exit_code == 0, result.output
    for record_id, text in letters.items():
        assert f"── {record_id} ({SAMPLE_RECIPIENTS}:" in result.stdout
        assert text in result.stdout
    assert result.stdout.index("laurent-fabius") < result.stdout.index("francois-hollande")


def test_unknown_recipient_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["preview", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "--recipient", "nobody"]
    )
    assert result.exit_code == 2
    assert result.stderr == "--recipient: no record has the id 'nobody'\n"
    result = runner.invoke(
        cli, ["preview", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "--index", "9"]
    )
    assert result.exit_code == 2
    assert result.stderr == "--index 9: there are only 5 record(s)\n"
