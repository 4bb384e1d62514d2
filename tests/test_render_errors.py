"""Bad input: one clear message naming file, line, record and field; exit 1; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lettergen.cli import cli
from tests.conftest import snapshot, write

TEMPLATE = """\
    Dear {{ recipient.salutation }}

    Yours,
    {{ sender.name }}
    """


@pytest.fixture
def campaign(tmp_path: Path) -> dict[str, Path]:
    """A small valid campaign; tests break one piece of it."""
    out = tmp_path / "out"
    out.mkdir()
    # Something the user already keeps in the output folder: a failed run must not touch it.
    (out / "notes.md").write_text("keep me\n", encoding="utf-8")
    return {
        "template": write(tmp_path / "letter.txt.j2", TEMPLATE),
        "sender": write(tmp_path / "me.yaml", "name: Ana Gomes\n"),
        "recipients": write(
            tmp_path / "people.yaml",
            """\
            - id: alpha
              salutation: Minister,
            - id: beta
              salutation: Ambassador,
            """,
        ),
        "out": out,
    }


def run(
    runner: CliRunner,
    c: dict[str, Path],
    *extra: str,
    recipients: Path | None = None,
    template: Path | None = None,
) -> Result:
    args = [
        "render",
        str(template or c["template"]),
        str(recipients or c["recipients"]),
        "--sender",
        str(c["sender"]),
        "-o",
        str(c["out"]),
        *extra,
    ]
    return runner.invoke(cli, args)


def assert_failed_cleanly(
    result: Result, before: dict[str, bytes], out: Path, message: str
) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == message
    assert isinstance(result.exception, SystemExit), result.exception
    assert snapshot(out) == before


def test_a_valid_run_writes_every_letter(runner: CliRunner, campaign: dict[str, Path]) -> None:
    result = run(runner, campaign)
    assert result.exit_code == 0, result.output
    assert (campaign["out"] / "alpha.txt").read_text(encoding="utf-8") == (
        "Dear Minister,\n\nYours,\nAna Gomes\n"
    )
    assert (
        (campaign["out"] / "beta.txt").read_text(encoding="utf-8").startswith("Dear Ambassador,\n")
    )
    assert result.stdout.strip() == f"Wrote 2 letter(s) (txt, 2 file(s)) to {campaign['out']}/"


def test_missing_field_names_record_field_and_template_line(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    people = write(tmp_path / "bad.yaml", "- id: alpha\n  salutation: Minister,\n- id: gamma\n")
    before = snapshot(campaign["out"])
    result = run(runner, campaign, recipients=people)
    assert_failed_cleanly(
        result,
        before,
        campaign["out"],
        f"{people}:3: record 'gamma': missing field 'recipient.salutation' "
        f"(used at {campaign['template']}:1)",
    )


def test_template_syntax_error_names_template_and_line(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = write(tmp_path / "broken.txt.j2", "---\nplace: Paris\n---\nHello\n{% if x %}\n")
    before = snapshot(campaign["out"])
    result = run(runner, campaign, template=template)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{template}:5: template syntax error: ")
    assert "endif" in result.stderr
    assert snapshot(campaign["out"]) == before


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("people.yaml", "- id: a\n  salutation: [unclosed\n- id: b\n", ":3: invalid YAML: "),
        ("people.json", '[\n  {"id": "a",\n   "salutation": "x"\n  },,\n]\n', ":4: invalid JSON: "),
        (
            "people.csv",
            "id,salutation\na,Minister\nb,Ambassador,extra\n",
            ":3: row has 3 cells but the header has 2",
        ),
        ("people.csv", 'id,salutation\na,"Minister\n', ":2: invalid CSV: "),
        # A truncated or shifted export: a short row is not filled in with empty fields.
        (
            "people.csv",
            "id,salutation,name\na,Minister,Ann\nb,Ambassador\n",
            ":3: row has 2 cell(s) but the header has 3: a truncated or shifted row?",
        ),
        (
            "people.tsv",
            "id\tsalutation\tname\na\tMinister\tAnn\nb\tAmbassador\n",
            ":3: row has 2 cell(s) but the header has 3: a truncated or shifted row?",
        ),
    ],
)
def test_syntax_errors_in_recipient_files_name_file_and_line(
    runner: CliRunner,
    campaign: dict[str, Path],
    tmp_path: Path,
    name: str,
    text: str,
    message: str,
) -> None:
    people = tmp_path / name
    people.write_text(text, encoding="utf-8")
    before = snapshot(campaign["out"])
    result = run(runner, campaign, recipients=people)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"{people}{message}"), result.stderr
    assert isinstance(result.exception, SystemExit), result.exception
    assert snapshot(campaign["out"]) == before


def test_check_names_a_short_csv_row(runner: CliRunner, campaign: dict[str, Path]) -> None:
    people = write(campaign["template"].parent / "short.csv", "id,salutation\na,Minister\nb\n")
    result = runner.invoke(cli, ["check", str(campaign["template"]), str(people)])
    assert result.exit_code == 1, result.output
    assert f"{people}:3: error: row has 1 cell(s) but the header has 2" in result.output


def test_record_that_is_not_a_mapping(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    people = write(tmp_path / "people.yaml", "- id: a\n  salutation: Sir,\n- just a name\n")
    before = snapshot(campaign["out"])
    result = run(runner, campaign, recipients=people)
    assert_failed_cleanly(
        result,
        before,
        campaign["out"],
        f"{people}:3: record 2 is 'just a name', not a mapping of fields",
    )


def test_duplicate_ids_name_both_places(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    more = write(tmp_path / "more.csv", "id,salutation\nzeta,Sir\nalpha,Madam\n")
    before = snapshot(campaign["out"])
    args = [
        "render",
        str(campaign["template"]),
        str(campaign["recipients"]),
        str(more),
        "--sender",
        str(campaign["sender"]),
        "-o",
        str(campaign["out"]),
    ]
    result = runner.invoke(cli, args)
    assert_failed_cleanly(
        result,
        before,
        campaign["out"],
        f"{more}:3: record 'alpha': field 'id': duplicate id; first used at "
        f"{campaign['recipients']}:1",
    )


def test_ids_derived_from_names_are_readable_ascii(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    people = write(tmp_path / "people.yaml", "- name: Élisabeth Borne\n  salutation: Madame,\n")
    result = run(runner, campaign, recipients=people)
    assert result.exit_code == 0, result.output
    assert (
        (campaign["out"] / "elisabeth-borne.txt")
        .read_text(encoding="utf-8")
        .startswith("Dear Madame,")
    )


def test_two_letters_with_one_file_name_is_an_error_naming_both(
    runner: CliRunner, campaign: dict[str, Path]
) -> None:
    before = snapshot(campaign["out"])
    result = run(runner, campaign, "--name", "{{ sender.name }}")
    assert_failed_cleanly(
        result,
        before,
        campaign["out"],
        f"{campaign['recipients']}:3: record 'beta': file name 'Ana Gomes' is also the name of "
        f"record 'alpha' ({campaign['recipients']}:1); give each record its own id or change "
        "--name",
    )


@pytest.mark.parametrize("how", ["id", "pattern"])
def test_path_in_an_id_or_pattern_stays_inside_the_output_folder(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path, how: str
) -> None:
    people = write(
        tmp_path / "people.yaml", "- id: ../../etc/passwd\n  salutation: Sir,\n  city: /tmp/evil\n"
    )
    extra = (
        ["--name", "{{ recipient.id }}"] if how == "id" else ["--name", "../{{ recipient.city }}"]
    )
    outside_before = sorted(p.name for p in tmp_path.iterdir())
    result = run(runner, campaign, *extra, recipients=people)
    assert result.exit_code == 0, result.output
    expected = "etc-passwd.txt" if how == "id" else "tmp-evil.txt"
    assert sorted(p.name for p in campaign["out"].iterdir()) == sorted(
        ["notes.md", expected, "manifest.csv"]
    )
    assert (campaign["out"] / expected).read_text(encoding="utf-8").startswith("Dear Sir,")
    assert sorted(p.name for p in tmp_path.iterdir()) == outside_before
    assert "is not safe; written as" in result.stderr


def test_sandbox_escape_is_refused(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = write(tmp_path / "evil.txt.j2", "Hello\n{{ ''.__class__.__mro__ }}\n")
    before = snapshot(campaign["out"])
    result = run(runner, campaign, template=template)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{template}:2: record 'alpha': refused by the template sandbox: "
    )
    assert "__class__" in result.stderr
    assert snapshot(campaign["out"]) == before


def test_include_outside_the_template_folder_is_refused(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = write(tmp_path / "t" / "inc.txt.j2", "{% include '../me.yaml' %}\n")
    before = snapshot(campaign["out"])
    result = run(runner, campaign, template=template)
    assert result.exit_code == 1
    assert "included template not found: ../me.yaml" in result.stderr
    assert snapshot(campaign["out"]) == before


def test_undecodable_file_suggests_encoding(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes("id,salutation\na,Sir\nb,Monsieur le Ministre\nc,Señora\n".encode("cp1252"))
    before = snapshot(campaign["out"])
    result = run(runner, campaign, "--encoding", "utf-8", recipients=people)
    assert_failed_cleanly(
        result,
        before,
        campaign["out"],
        f"{people}:4: cannot decode byte 0xf1 as utf-8; check the file's encoding (--encoding)",
    )


def test_missing_file(runner: CliRunner, campaign: dict[str, Path], tmp_path: Path) -> None:
    before = snapshot(campaign["out"])
    result = run(runner, campaign, recipients=tmp_path / "nobody.yaml")
    assert_failed_cleanly(
        result, before, campaign["out"], f"{tmp_path / 'nobody.yaml'}: file not found"
    )


def test_existing_letters_are_kept_without_force(
    runner: CliRunner, campaign: dict[str, Path]
) -> None:
    (campaign["out"] / "beta.txt").write_text("signed copy\n", encoding="utf-8")
    before = snapshot(campaign["out"])
    result = run(runner, campaign)
    assert_failed_cleanly(
        result,
        before,
        campaign["out"],
        f"{campaign['out']}: 1 letter(s) already exist: {campaign['out'] / 'beta.txt'}; "
        "use --force to overwrite them",
    )
    forced = run(runner, campaign, "--force")
    assert forced.exit_code == 0, forced.output
    assert (campaign["out"] / "beta.txt").read_text(encoding="utf-8").startswith("Dear Ambassador,")


def test_dry_run_lists_files_and_writes_nothing(
    runner: CliRunner, campaign: dict[str, Path]
) -> None:
    before = snapshot(campaign["out"])
    result = run(runner, campaign, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would write {campaign['out'] / 'alpha.txt'}  (alpha)" in result.stdout
    assert f"would write {campaign['out'] / 'beta.txt'}  (beta)" in result.stdout
    assert snapshot(campaign["out"]) == before


def test_dry_run_lists_the_combined_document_too(
    runner: CliRunner, campaign: dict[str, Path]
) -> None:
    combined = campaign["out"].parent / "print" / "all.docx"
    result = run(runner, campaign, "-f", "docx", "--combine", str(combined), "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would write {campaign['out'] / 'alpha.docx'}  (alpha)" in result.stdout
    assert f"would write {combined}  (every letter)" in result.stdout
    assert "3 file(s) (docx) would be written" in result.stdout
    assert not combined.parent.exists()


def test_missing_template_argument_is_misuse(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render"])
    assert result.exit_code == 2
    assert "no template given" in result.output
    assert not (tmp_path / "letters").exists()


def test_bad_date_is_misuse(runner: CliRunner, campaign: dict[str, Path]) -> None:
    result = run(runner, campaign, "--date", "25/05/2015")
    assert result.exit_code == 2
    assert "'25/05/2015' does not match the format '%Y-%m-%d'" in result.output
