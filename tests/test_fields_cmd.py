"""`lettergen fields`: what a template uses, and which records lack what."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lettergen.cli import cli
from tests.conftest import SAMPLE_TEMPLATE, write


def test_fields_lists_every_field_the_sample_template_uses(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["fields", str(SAMPLE_TEMPLATE)])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [
        "letter.place",
        "letter.reference",
        "letter.subject",
        # `recipient | address_block` reads the address, and the name, title and organisation
        # for its first lines.
        "recipient.address",
        "recipient.form_of_address",
        "recipient.salutation",
        # The committees, group and offices are the letterhead's (issue 14).
        "sender.name",
        "sender.role",
    ]


def test_fields_with_recipients_names_who_lacks_what(runner: CliRunner, tmp_path: Path) -> None:
    template = write(
        tmp_path / "letter.txt.j2",
        """\
        ---
        place: Brussels
        ---
        {{ letter.place }}
        Dear {{ recipient.salutation }},
        {{ recipient.address.city | default('') }}
        {{ sender.name }}
        """,
    )
    people = write(
        tmp_path / "people.yaml",
        """\
        - {id: a, salutation: Minister}
        - {id: b}
        - {id: c, salutation: ''}
        - {id: d}
        """,
    )
    result = runner.invoke(cli, ["fields", str(template), str(people)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "letter.place  (template line 4)",
        "recipient.address.city  (template line 6, optional): 4 of 4 record(s) lack it: a, b, c, d",
        "recipient.salutation  (template line 5): 2 of 4 record(s) lack it: b, d; "
        "1 of 4 hold it empty",
        "sender.name  (template line 7)",
        "4 field(s); 2 lacked by some of 4 record(s)",
    ]


def test_fields_of_a_broken_template_names_its_line(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", "Dear\n{{ recipient.name \n")
    result = runner.invoke(cli, ["fields", str(template)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{template}:2: template syntax error: ")
