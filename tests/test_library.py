"""The library face: ``from lettergen import ...`` does what the command line does."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import lettergen
from lettergen.cli import cli
from tests.conftest import ROOT, write


@pytest.fixture
def campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled sample campaign, as the current folder."""
    for folder in ("templates", "recipients"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def example() -> str:
    """Return the example in the package's docstring, as code."""
    block = re.search(r"::\n\n((?:    .*\n|\n)+)", lettergen.__doc__ or "")
    assert block, "the package docstring has an example"
    return textwrap.dedent(block.group(1))


def test_the_docstring_example_writes_what_the_command_writes(
    campaign: Path, runner: CliRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(example(), "lettergen.__doc__", "exec"), {})
    said = capsys.readouterr().out
    assert re.search(r"\d+ letters in letters", said), said
    written = {p.name: p.read_text(encoding="utf-8") for p in (campaign / "letters").glob("*.txt")}
    assert "laurent-fabius.txt" in written
    result = runner.invoke(
        cli,
        ["render", "templates/appeal.txt.j2", "recipients/french-government.yaml", "-o", "cli"],
    )
    assert result.exit_code == 0, result.output
    assert written == {
        p.name: p.read_text(encoding="utf-8") for p in (campaign / "cli").glob("*.txt")
    }


def test_the_library_raises_lettergen_errors_naming_the_file(tmp_path: Path) -> None:
    template = write(tmp_path / "t.txt.j2", "Dear {{ recipient.name }}\n")
    people = write(tmp_path / "people.yaml", "- {id: a, name: [unclosed\n")
    options = lettergen.MergeOptions(template=template, recipients=[people])
    with pytest.raises(lettergen.LettergenError) as raised:
        lettergen.render(options, lettergen.RenderOptions(output_dir=tmp_path / "out"))
    assert str(raised.value).startswith(f"{people}:")
    assert not (tmp_path / "out").exists()


def test_merge_yields_the_letters_render_writes(tmp_path: Path) -> None:
    template = write(tmp_path / "t.txt.j2", "Dear {{ recipient.name }},\n")
    people = write(tmp_path / "people.yaml", "- {id: a, name: Ana}\n- {id: b, name: Ben}\n")
    merge = lettergen.Merge(lettergen.MergeOptions(template=template, recipients=[people]))
    assert [(letter.name, letter.text) for letter in merge.letters()] == [
        ("a", "Dear Ana,\n"),
        ("b", "Dear Ben,\n"),
    ]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'rendre'"):
        lettergen.rendre  # noqa: B018
