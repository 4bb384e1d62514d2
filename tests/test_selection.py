"""Choosing recipients: ``--where`` (a sandboxed Jinja expression), ``--only`` and ``--limit``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lettergen.cli import cli
from tests.conftest import snapshot, write

TEMPLATE = "{{ recipient.name }} ({{ recipient.country }})\n"

PEOPLE = """\
    id,name,country,staff
    fabius,Laurent Fabius,FR,1200
    michel,Charles Michel,BE,300
    taubira,Christiane Taubira,FR,800
    rajoy,Mariano Rajoy,ES,450
    valls,Manuel Valls,FR,900
    """


@pytest.fixture
def people(tmp_path: Path) -> Path:
    return write(tmp_path / "people.csv", PEOPLE)


def render(runner: CliRunner, tmp_path: Path, people: Path, *extra: str) -> Result:
    template = write(tmp_path / "letter.txt.j2", TEMPLATE)
    return runner.invoke(
        cli, ["render", str(template), str(people), "-o", str(tmp_path / "out"), *extra]
    )


def letters(tmp_path: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((tmp_path / "out").glob("*.txt"))}


def test_where_chooses_the_records_it_is_true_for(
    runner: CliRunner, tmp_path: Path, people: Path
) -> None:
    result = render(runner, tmp_path, people, "--where", "recipient.country == 'FR'")
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {
        "fabius": "Laurent Fabius (FR)\n",
        "taubira": "Christiane Taubira (FR)\n",
        "valls": "Manuel Valls (FR)\n",
    }


def test_where_with_filters_tests_and_lists(
    runner: CliRunner, tmp_path: Path, people: Path
) -> None:
    where = "recipient.country in ['BE', 'ES'] and recipient.staff | int > 400"
    result = render(runner, tmp_path, people, "--where", where)
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {"rajoy": "Mariano Rajoy (ES)\n"}


def test_limit_takes_the_first_records_chosen(
    runner: CliRunner, tmp_path: Path, people: Path
) -> None:
    result = render(
        runner, tmp_path, people, "--where", "recipient.country == 'FR'", "--limit", "2"
    )
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {
        "fabius": "Laurent Fabius (FR)\n",
        "taubira": "Christiane Taubira (FR)\n",
    }


def test_only_and_where_both_apply(runner: CliRunner, tmp_path: Path, people: Path) -> None:
    result = render(
        runner,
        tmp_path,
        people,
        "--only",
        "michel",
        "--only",
        "valls",
        "--where",
        "recipient.country == 'FR'",
    )
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {"valls": "Manuel Valls (FR)\n"}


def test_where_and_limit_from_the_campaign_file(
    runner: CliRunner, tmp_path: Path, people: Path
) -> None:
    write(tmp_path / "letter.txt.j2", TEMPLATE)
    settings = write(
        tmp_path / "lettergen.yaml",
        """\
        template: letter.txt.j2
        recipients: [people.csv]
        where: recipient.country != 'FR'
        limit: 1
        """,
    )
    args = ["render", "--campaign", str(settings), "-o", str(tmp_path / "out")]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {"michel": "Charles Michel (BE)\n"}
    # The command line wins over the campaign.
    result = runner.invoke(cli, [*args, "--limit", "3", "--where", "recipient.staff == '300'"])
    assert result.exit_code == 1  # michel.txt exists: refused without --force
    assert "already exist" in result.stderr


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "recipient.country ==",
            "--where \"recipient.country ==\": invalid expression: unexpected 'end of template'",
        ),
        (
            "country == 'FR'",
            "--where \"country == 'FR'\": unknown name 'country'; a record's fields are "
            "recipient.NAME, e.g. recipient.country",
        ),
        (
            "recipient.country | shout",
            "--where \"recipient.country | shout\": invalid expression: No filter named 'shout'.",
        ),
    ],
)
def test_bad_expression_is_misuse_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, people: Path, where: str, message: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    result = render(runner, tmp_path, people, "--where", where)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("where", "line", "record", "message"),
    [
        (
            "recipient.party == 'PS'",
            2,
            "fabius",
            "missing field 'recipient.party'",
        ),
        (
            # A bare field that is missing must fail too, not read as false.
            "recipient.active",
            2,
            "fabius",
            "missing field 'recipient.active'",
        ),
        (
            "recipient.staff > 500",
            2,
            "fabius",
            "'>' not supported between instances of 'str' and 'int' "
            "(text is not a number: write recipient.FIELD | int)",
        ),
        (
            # Comparing, adding or converting a missing field says so, as a template does.
            "recipient.seats | int > 100",
            2,
            "fabius",
            "missing field 'recipient.seats'",
        ),
        ("recipient.seats > 100", 2, "fabius", "missing field 'recipient.seats'"),
        ("recipient.seats + 1", 2, "fabius", "missing field 'recipient.seats'"),
        (
            "recipient.Staff | int > 100",
            2,
            "fabius",
            "missing field 'recipient.Staff'; the record has 'staff': map it with "
            "--map 'staff=Staff' (or 'fields:' in lettergen.yaml)",
        ),
        (
            "recipient.__class__.__mro__",
            2,
            "fabius",
            "refused by the template sandbox: access to attribute '__class__' of 'Fields' "
            "object is unsafe.",
        ),
    ],
)
def test_expression_failing_on_a_record_names_file_line_and_record(
    runner: CliRunner,
    tmp_path: Path,
    people: Path,
    where: str,
    line: int,
    record: str,
    message: str,
) -> None:
    result = render(runner, tmp_path, people, "--where", where)
    assert result.exit_code == 1
    assert result.stderr == f"{people}:{line}: record '{record}': --where \"{where}\": {message}\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("use", ["recipient.seats | int > 100", "recipient.seats * 2"])
def test_a_missing_field_reads_alike_in_where_and_in_the_template(
    runner: CliRunner, tmp_path: Path, people: Path, use: str
) -> None:
    where = render(runner, tmp_path, people, "--where", use)
    template = write(tmp_path / "uses.txt.j2", f"{{{{ {use} }}}}\n")
    letter = runner.invoke(cli, ["render", str(template), str(people), "-o", str(tmp_path / "o")])
    assert where.exit_code == letter.exit_code == 1
    assert where.stderr == f"{people}:2: record 'fabius': --where \"{use}\": " + (
        "missing field 'recipient.seats'\n"
    )
    assert letter.stderr == (
        f"{people}:2: record 'fabius': missing field 'recipient.seats' (used at {template}:1)\n"
    )


def test_limit_must_be_positive(runner: CliRunner, tmp_path: Path, people: Path) -> None:
    result = render(runner, tmp_path, people, "--limit", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--limit'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_only_id_that_no_record_has_is_misuse(
    runner: CliRunner, tmp_path: Path, people: Path
) -> None:
    result = render(runner, tmp_path, people, "--only", "merkel", "--only", "valls")
    assert result.exit_code == 2
    assert result.stderr == "--only: no record has the id 'merkel'\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["render", "check", "preview"])
def test_selection_options_are_shared(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    for option in ("--where EXPRESSION", "--limit N", "--only ID", "--sheet NAME", "--map"):
        assert option in result.output, (command, option)
