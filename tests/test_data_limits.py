"""Data limits: YAML aliases and nesting, JSON nesting; a syntax error alone; no records.

Every bomb runs in a child process under a 1 GB address-space limit, so a limit that does not
hold ends in a MemoryError there, not in a machine that swaps; each must stop in seconds.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.inputs.nesting import MAX_DEPTH
from lettergen.inputs.yamlloader import MAX_ALIASES
from tests.conftest import write

GIGABYTE = 1 << 30
EXPANSION = (
    "aliases (*name) repeat more than 100,000 values and characters in one {unit}; "
    "write the values out, or use fewer aliases"
)
TOO_DEEP = (
    "values nested more than 100 levels deep (lists or mappings within each other); "
    "flatten the data"
)


def laughs(indent: str = "") -> str:
    """A "billion laughs" mapping: nine levels of nine aliases, 9**9 strings in all."""
    lines = [f'{indent}l0: &l0 "lol"']
    for level in range(1, 10):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"{indent}l{level}: &l{level} [{aliases}]")
    lines.append(f"{indent}name: *l9")
    return "\n".join(lines) + "\n"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GIGABYTE, GIGABYTE))


def bounded(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lettergen ARGS`` in a child process under a 1 GB address-space limit."""
    code = "import sys; from lettergen.cli import main; sys.argv[0] = 'lettergen'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory,
        timeout=120,  # a guard against a hang, not a measurement
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder (the current one) with a template and a signatory; tests add the recipients."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n\n{{ sender.name }}\n")
    write(tmp_path / "me.yaml", "name: Ana Gomes\n")
    return tmp_path


def assert_refused(result: subprocess.CompletedProcess[str], message: str, out: Path) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr == message + "\n"
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


@pytest.mark.parametrize("command", ["render", "check"])
def test_billion_laughs_in_recipients_is_refused_at_its_line(folder: Path, command: str) -> None:
    write(folder / "people.yaml", "- id: bomb\n" + laughs("  "))
    result = bounded(command, "letter.txt.j2", "people.yaml", "--sender", "me.yaml", cwd=folder)
    message = f"people.yaml:7: {EXPANSION.format(unit='record')}"
    if command == "check":
        assert result.returncode == 1, result.stderr
        assert f"  people.yaml:7: error: {EXPANSION.format(unit='record')}\n" in result.stdout
        assert "Traceback" not in result.stderr + result.stdout
        assert not (folder / "letters").exists()
    else:
        assert_refused(result, message, folder / "letters")


def test_billion_laughs_in_a_signatory_profile_is_refused(folder: Path) -> None:
    write(folder / "bomb.yaml", laughs())
    write(folder / "people.yaml", "- id: a\n  name: A\n")
    result = bounded("render", "letter.txt.j2", "people.yaml", "--sender", "bomb.yaml", cwd=folder)
    assert_refused(result, f"bomb.yaml:6: {EXPANSION.format(unit='file')}", folder / "letters")


def test_billion_laughs_in_front_matter_is_refused(folder: Path) -> None:
    write(folder / "bomb.txt.j2", "---\n" + laughs() + "---\nDear {{ recipient.name }}\n")
    write(folder / "people.yaml", "- id: a\n  name: A\n")
    result = bounded("render", "bomb.txt.j2", "people.yaml", "--sender", "me.yaml", cwd=folder)
    assert_refused(result, f"bomb.txt.j2:7: {EXPANSION.format(unit='file')}", folder / "letters")


def test_billion_laughs_in_the_campaign_file_is_refused(folder: Path) -> None:
    write(folder / "people.yaml", "- id: a\n  name: A\n")
    write(folder / "lettergen.yaml", "template: letter.txt.j2\nrecipients: people.yaml\n")
    with (folder / "lettergen.yaml").open("a", encoding="utf-8") as campaign:
        campaign.write("sender: me.yaml\nwhere: " + laughs("  ").replace("  l0", "\n  l0", 1))
    for command in ("render", "check"):
        result = bounded(command, cwd=folder)
        assert_refused(
            result, f"lettergen.yaml:10: {EXPANSION.format(unit='file')}", folder / "letters"
        )


def test_too_many_aliases_in_one_record(folder: Path, runner: CliRunner) -> None:
    aliases = ", ".join(["*n"] * (MAX_ALIASES + 1))
    write(folder / "people.yaml", f"- id: a\n  name: &n A\n  many: [{aliases}]\n")
    result = runner.invoke(cli, ["render", *_inputs(folder)])
    assert result.exit_code == 1
    assert result.stderr == (
        "people.yaml:3: more than 1,000 aliases (*name) in one record; "
        "write the values out instead\n"
    )
    assert not (folder / "letters").exists()


def test_aliases_are_counted_per_record(folder: Path, runner: CliRunner) -> None:
    """A long list whose records share a mapping of defaults (``<<: *office``) is fine."""
    records = "".join(f"- id: r{n}\n  name: R{n}\n  <<: *office\n" for n in range(MAX_ALIASES + 5))
    write(folder / "people.yaml", "- id: r\n  name: R\n  office: &office {city: Paris}\n" + records)
    result = runner.invoke(cli, ["render", *_inputs(folder), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"Dry run: {MAX_ALIASES + 6} letter(s) checked" in result.stdout


def test_a_value_that_contains_itself(folder: Path, runner: CliRunner) -> None:
    write(folder / "people.yaml", "- id: a\n  name: A\n  loop: &x [1, *x]\n")
    result = runner.invoke(cli, ["render", *_inputs(folder)])
    assert result.exit_code == 1
    assert result.stderr == (
        "people.yaml:3: alias *x stands for the value it is part of; "
        "a value cannot contain itself\n"
    )


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_nesting_at_the_limit_is_read(folder: Path, runner: CliRunner, suffix: str) -> None:
    # Depth counts from the record: the record and its lists within lists are MAX_DEPTH levels.
    deep = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    text = f'[{{"id": "a", "name": "A", "x": {deep}}}]\n'
    write(folder / f"people.{suffix}", text)
    result = runner.invoke(cli, ["render", *_inputs(folder, f"people.{suffix}"), "--dry-run"])
    assert result.exit_code == 0, result.output


def test_yaml_nested_past_the_limit(folder: Path, runner: CliRunner) -> None:
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    write(folder / "people.yaml", f"- id: a\n  name: A\n  x: {deep}\n")
    result = runner.invoke(cli, ["render", *_inputs(folder)])
    assert result.exit_code == 1
    assert result.stderr == f"people.yaml:3: {TOO_DEEP}\n"
    assert not (folder / "letters").exists()


def test_json_nested_past_the_limit_names_the_line(folder: Path, runner: CliRunner) -> None:
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    write(folder / "people.json", f'[{{"id": "a", "name": "[[[[",\n "x": {deep}}}]\n')
    result = runner.invoke(cli, ["render", *_inputs(folder, "people.json")])
    assert result.exit_code == 1
    assert result.stderr == f"people.json:2: {TOO_DEEP}\n"
    assert not (folder / "letters").exists()


@pytest.mark.parametrize("command", ["render", "check"])
def test_json_of_200000_brackets(folder: Path, command: str) -> None:
    write(folder / "people.json", '[\n{"id": "a", "name": "A"},\n' + "[" * 200_000 + "\n")
    result = bounded(command, "letter.txt.j2", "people.json", "--sender", "me.yaml", cwd=folder)
    if command == "check":
        assert result.returncode == 1, result.stderr
        assert f"  people.json:3: error: {TOO_DEEP}\n" in result.stdout
        assert "Traceback" not in result.stderr + result.stdout
    else:
        assert_refused(result, f"people.json:3: {TOO_DEEP}", folder / "letters")


def _inputs(folder: Path, recipients: str = "people.yaml") -> list[str]:
    return ["letter.txt.j2", recipients, "--sender", "me.yaml", "-o", "letters"]


HALF_READ = """\
    - id: a
      name: A
    - id: b
      name: B
     title: wrongly indented
    - id: c
      name: C
    """


def test_a_syntax_error_is_reported_alone_by_check(folder: Path, runner: CliRunner) -> None:
    """Not followed by "lack recipient.title" for the record the error cut short."""
    write(folder / "letter.txt.j2", "{{ recipient.title }} {{ recipient.name }}\n")
    write(folder / "people.yaml", HALF_READ)
    result = runner.invoke(cli, ["check", *_inputs(folder)[:4]])
    assert result.exit_code == 1
    assert result.stdout == (
        "error: recipients files (1)\n"
        "  people.yaml:5: error: invalid YAML: did not find expected '-' indicator\n"
        "0 of 0 letter(s) rendered; 1 error(s), 0 warning(s), 0 note(s)\n"
    )
    assert "Traceback" not in result.output


def test_other_files_are_still_checked(folder: Path, runner: CliRunner) -> None:
    write(folder / "letter.txt.j2", "{{ recipient.title }} {{ recipient.name }}\n")
    write(folder / "people.yaml", HALF_READ)
    write(folder / "more.yaml", "- id: d\n  name: D\n")
    result = runner.invoke(cli, ["check", *_inputs(folder)[:4], "more.yaml"])
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "error: recipients files (1)\n"
        "  people.yaml:5: error: invalid YAML: did not find expected '-' indicator\n"
        "error: missing fields (1)\n"
        "  more.yaml:1: record 'd': error: 1 of 1 record(s) lack recipient.title: d\n"
    )


def test_render_reports_the_syntax_error_not_the_half_read_record(
    folder: Path, runner: CliRunner
) -> None:
    write(folder / "letter.txt.j2", "{{ recipient.title }} {{ recipient.name }}\n")
    people = "- id: a\n  name: A\n  title: T\n- id: b\n  name: B\n title: wrongly indented\n"
    write(folder / "people.yaml", people)
    result = runner.invoke(cli, ["render", *_inputs(folder)])
    assert result.exit_code == 1
    assert result.stderr == ("people.yaml:6: invalid YAML: did not find expected '-' indicator\n")
    assert not (folder / "letters").exists()


EMPTY = {
    "empty.yaml": "",
    "comments.yaml": "# nobody yet\n",
    "wrapped.yaml": "recipients: []\n",
    "header.csv": "id,name\n",
    "empty.json": "[]\n",
    "wrapped.json": '{"recipients": []}\n',
}


@pytest.mark.parametrize("name", sorted(EMPTY))
@pytest.mark.parametrize("command", ["render", "preview"])
def test_no_records_is_an_error_and_creates_nothing(
    folder: Path, runner: CliRunner, name: str, command: str
) -> None:
    write(folder / name, EMPTY[name])
    args = _inputs(folder, name)
    result = runner.invoke(cli, [command, *(args if command == "render" else args[:4])])
    assert result.exit_code == 1
    assert result.stderr == (
        f"no records to write letters to; read {name} (0 records): add records, or name "
        "another recipients file\n"
    )
    assert result.stdout == ""
    assert not (folder / "letters").exists()


def test_check_of_no_records_fails(folder: Path, runner: CliRunner) -> None:
    write(folder / "header.csv", "id,name\n")
    write(folder / "empty.yaml", "")
    result = runner.invoke(cli, ["check", *_inputs(folder, "header.csv")[:4], "empty.yaml"])
    assert result.exit_code == 1
    assert result.stdout == (
        "error: recipients files (1)\n"
        "  error: no records to write letters to; read header.csv (0 records), empty.yaml "
        "(0 records): add records, or name another recipients file\n"
        "0 of 0 letter(s) rendered; 1 error(s), 0 warning(s), 0 note(s)\n"
    )


@pytest.mark.parametrize("command", ["render", "check", "preview"])
def test_where_that_chooses_no_record(folder: Path, runner: CliRunner, command: str) -> None:
    write(folder / "people.yaml", "- id: a\n  name: A\n- id: b\n  name: B\n")
    write(folder / "more.csv", "id,name\n")
    args = [*_inputs(folder)[:4], "more.csv", "--only", "a", "--where", "recipient.name == 'B'"]
    result = runner.invoke(cli, [command, *args, *(["--no-check"] if command == "render" else [])])
    assert result.exit_code == 1
    message = (
        "no record is chosen by --only a and --where \"recipient.name == 'B'\"; "
        "read people.yaml (2 records), more.csv (0 records)"
    )
    if command == "check":
        assert f"  error: {message}\n" in result.stdout
    else:
        assert result.stderr.endswith(message + "\n")
    assert "Traceback" not in result.output
    assert not (folder / "letters").exists()


def test_the_library_refuses_no_records_too(folder: Path) -> None:
    from lettergen import LettergenError, MergeOptions, RenderOptions, render

    write(folder / "empty.yaml", "")
    merge = MergeOptions(template=Path("letter.txt.j2"), recipients=[Path("empty.yaml")])
    with pytest.raises(LettergenError, match=r"^no records to write letters to; read empty"):
        render(merge, RenderOptions(output_dir=folder / "letters"))
    assert not (folder / "letters").exists()


def test_the_limits_hold_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's own parser (where PyYAML was built without libyaml) gets the same composer."""
    import yaml

    from lettergen.inputs import yamlloader

    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    loader_class = yamlloader._loader_class()
    assert not any("cyaml" in base.__module__ for base in loader_class.__mro__)
    loader = loader_class(laughs())
    with pytest.raises(yamlloader.YamlLimitError) as caught:
        loader.get_single_node()
    assert caught.value.problem == EXPANSION.format(unit="file")
    assert caught.value.problem_mark.line + 1 == 6
    node = loader_class("a: &x [1]\nb: *x\n").get_single_node()
    assert loader_class("").construct_document(node) == {"a": [1], "b": [1]}


def test_yaml_of_200000_brackets(folder: Path) -> None:
    write(folder / "people.yaml", "- id: a\n  name: A\n- id: b\n  x: " + "[" * 200_000 + "\n")
    result = bounded("render", "letter.txt.j2", "people.yaml", "--sender", "me.yaml", cwd=folder)
    assert_refused(result, f"people.yaml:4: {TOO_DEEP}", folder / "letters")
