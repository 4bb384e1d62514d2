"""Template limits: a template asking for too much stops cleanly, naming its line.

Each bomb runs ``lettergen render`` in a child process whose address space is capped at 1 GB
(and whose run is cut off, as a guard, after a minute): it must exit 1 with the whole message,
no traceback, and write nothing. A list or mapping printed as text is an error naming record
and field, for ``render`` and ``check``; using a list as a list keeps working.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.templating import limits
from tests.conftest import snapshot, write

LIMIT = "template limit: "
TOO_MUCH = "a template may make; check the numbers and texts it is given"

# Runs the command line with the address space capped at 1 GB.
CHILD = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from lettergen.cli import cli
cli(sys.argv[1:], prog_name="lettergen")
"""


@pytest.fixture
def campaign(tmp_path: Path) -> dict[str, Path]:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("keep me\n", encoding="utf-8")
    return {
        "sender": write(tmp_path / "me.yaml", "name: Ana Gomes\n"),
        "recipients": write(
            tmp_path / "people.yaml",
            """\
            - id: alpha
              salutation: Minister,
              city: [Paris, Lyon]
              address: {street: 1 Rue de Rivoli, city: Paris}
              offices:
                - {name: Paris, phones: ["01 23", "01 24"]}
            - id: beta
              salutation: Ambassador,
              city: [Nantes]
              address: {street: 2 Quai d'Orsay, city: Paris}
              offices: []
            """,
        ),
        "out": out,
    }


def args(c: dict[str, Path], template: Path, *extra: str) -> list[str]:
    return [
        "render",
        str(template),
        str(c["recipients"]),
        "--sender",
        str(c["sender"]),
        "-o",
        str(c["out"]),
        *extra,
    ]


def run_capped(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``lettergen ARGUMENTS`` with 1 GB of address space."""
    return subprocess.run(
        [sys.executable, "-c", CHILD, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


BOMBS = [
    (
        "{{ 'x' * 10**9 }}",
        f"'*' would make 1,000,000,000 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{{ 9 ** (9 ** 9) }}",
        "this would compute a number of about 1,162,261,468 bits, more than the 10,000 "
        "(about 3,000 digits) a template may; check the numbers it is given",
    ),
    (
        "{{ ''|center(10**9) }}",
        f"'center' would make 1,000,000,000 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{{ ''.center(10**9) }}",
        f"'.center()' would make 1,000,000,000 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "loops ran more than 1,000,000 times for one letter; check this loop's range or list "
        "(and the loops around it)",
    ),
    (
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
        "calls nested more than 50 deep (a macro that calls itself without end?); make sure "
        "every macro that calls itself stops",
    ),
    (
        "{{ ('abcdefghij' * 100)|replace('', 'x' * 100000) }}",
        f"'replace' would make 100,101,000 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{{ ('abcdefghij' * 100).replace('', 'x' * 100000) }}",
        f"'.replace()' would make 100,101,000 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{{ ('x' * 1000000)|indent(1000) }}",
        f"'indent' would make 1,001,000 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{{ '%1000000000d'|format(1) }}",
        f"'format' would make 1,000,000,012 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{{ '{:{}}'.format(1, 10**9) }}",
        f"'.format()' would make 1,000,000,006 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{{ (['x' * 100000] * 100) | join }}",
        f"'*' would make 10,000,100 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        f"'~' would make 1,048,576 characters, more than the 1,000,000 {TOO_MUCH}",
    ),
    (
        "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endmacro %}"
        "{{ m() }}",
        "one letter made or printed more than 10,000,000 characters; check the loops and "
        "macros around this line",
    ),
    (
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
        "the letter would be 1,023,059 characters long, more than 1,000,000; check the loops "
        "and long values it prints",
    ),
]


@pytest.mark.parametrize(("tag", "message"), BOMBS, ids=[b[0][:40] for b in BOMBS])
def test_a_bomb_stops_cleanly_naming_the_line(
    campaign: dict[str, Path], tmp_path: Path, tag: str, message: str
) -> None:
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.salutation }}\n" + tag + "\n")
    before = snapshot(campaign["out"])
    result = run_capped(args(campaign, template))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == f"{template}:2: record 'alpha': {LIMIT}{message}"
    assert snapshot(campaign["out"]) == before


def test_a_template_including_itself_stops_cleanly(
    campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = write(tmp_path / "letter.txt.j2", "Dear\n{% include 'letter.txt.j2' %}\n")
    before = snapshot(campaign["out"])
    result = run_capped(args(campaign, template))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        f"{template}:2: record 'alpha': {LIMIT}templates include or call each other too deeply "
        "(a template that includes itself?); make sure every include and macro call ends"
    )
    assert snapshot(campaign["out"]) == before


def test_a_letter_over_the_time_budget_stops(
    runner: CliRunner,
    campaign: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No budget at all: the first reading of the clock starts it, the next one is past it.
    monkeypatch.setattr(limits, "MAX_SECONDS", 0.0)
    template = write(
        tmp_path / "letter.txt.j2", "Dear\n{% for i in range(100000) %}{{ i }}{% endfor %}\n"
    )
    before = snapshot(campaign["out"])
    result = runner.invoke(cli, args(campaign, template))
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{template}:2: record 'alpha': {LIMIT}rendering one letter took more than 0 seconds; "
        "look for loops over large lists or repeated work on long texts in the template"
    )
    assert isinstance(result.exception, SystemExit)
    assert snapshot(campaign["out"]) == before


def test_real_letters_are_far_below_the_limits(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = write(
        tmp_path / "letter.txt.j2",
        """\
        {% macro signature(name) %}{{ name | upper }}{% endmacro %}
        Dear {{ recipient.salutation }} {{ '-' * 3 }} {{ 2 ** 10 }} {{ '%5s|' | format('ab') }}
        {{ 'Ref. {}'.format(recipient.id) | center(20) }}|{{ recipient.city | join(' / ') }}
        {% for i in range(1000) %}{% if i == 999 %}{{ i ~ '.' }}{% endif %}{% endfor +%}
        {{ signature(sender.name) }}
        """,
    )
    result = runner.invoke(cli, args(campaign, template))
    assert result.exit_code == 0, result.output
    assert (campaign["out"] / "alpha.txt").read_text(encoding="utf-8") == (
        "Dear Minister, --- 1024    ab|\n     Ref. alpha     |Paris / Lyon\n999.\nANA GOMES\n"
    )


# -- a list or mapping printed as text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            "{{ recipient.city }}",
            "field 'recipient.city' is a list (Paris, Lyon) printed as text: print its items "
            "with {{ recipient.city | join(', ') }}, or loop over them: "
            "{% for item in recipient.city %}",
        ),
        (
            "{% for office in recipient.offices %}{{ office.phones }}{% endfor %}",
            "field 'recipient.offices[0].phones' is a list (01 23, 01 24) printed as text: print "
            "its items with {{ recipient.offices[0].phones | join(', ') }}, or loop over them: "
            "{% for item in recipient.offices[0].phones %}",
        ),
        (
            "{{ recipient.city | lines }}",
            "A list (Paris, Lyon) is printed as text: print its items with | join(', '), or "
            "loop over them with {% for item in ... %}",
        ),
        (
            "{{ recipient.address }}",
            "field 'recipient.address' is a mapping (of street, city) printed as text: print one "
            "of its fields, e.g. {{ recipient.address.street }}",
        ),
    ],
)
def test_a_list_or_mapping_printed_as_text_names_record_and_field(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path, tag: str, message: str
) -> None:
    template = write(tmp_path / "letter.txt.j2", f"Dear {{{{ recipient.salutation }}}}\n{tag}\n")
    before = snapshot(campaign["out"])
    result = runner.invoke(cli, args(campaign, template))
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"{template}:2: record 'alpha': {message}"
    assert isinstance(result.exception, SystemExit)
    assert snapshot(campaign["out"]) == before


def test_check_reports_a_printed_list_for_each_record(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = write(
        tmp_path / "letter.txt.j2", "Dear {{ recipient.salutation }}\n{{ recipient.city }}\n"
    )
    people = campaign["recipients"]
    result = runner.invoke(
        cli, ["check", str(template), str(people), "--sender", str(campaign["sender"])]
    )
    assert result.exit_code == 1, result.output
    hint = "printed as text: print its items with {{ recipient.city | join(', ') }}"
    assert (
        f"{people}:1: record 'alpha': error: field 'recipient.city' is a list (Paris, Lyon) {hint}"
        in (result.output)
    )
    assert (
        f"{people}:7: record 'beta': error: field 'recipient.city' is a list (Nantes) {hint}"
        in (result.output)
    )
    assert "Traceback" not in result.output


def test_lists_used_as_lists_keep_working(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = write(
        tmp_path / "letter.txt.j2",
        """\
        {{ recipient.city | join(', ') }} ({{ recipient.city | length }})
        {% for city in recipient.city %}- {{ city }}
        {% endfor %}
        {% if recipient.city is sequence and 'Paris' in recipient.city %}Paris!{% endif %}
        {{ recipient.city | first }} {{ recipient.address.city }}
        {{ recipient.city | lines | join('+') }}
        """,
    )
    result = runner.invoke(cli, args(campaign, template, "--only", "alpha"))
    assert result.exit_code == 0, result.output
    assert (campaign["out"] / "alpha.txt").read_text(encoding="utf-8") == (
        "Paris, Lyon (2)\n- Paris\n- Lyon\nParis!Paris Paris\nParis+Lyon\n"
    )


# -- Word templates render through the same environment -----------------------------------------


def word_template(tmp_path: Path, *paragraphs: str) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / "letter.docx"
    document.save(str(path))
    return path


def test_a_bomb_in_a_word_template_stops_cleanly(campaign: dict[str, Path], tmp_path: Path) -> None:
    template = word_template(tmp_path, "Dear {{ recipient.salutation }}", "{{ 'x' * 10**9 }}")
    before = snapshot(campaign["out"])
    result = run_capped(args(campaign, template, "-f", "docx"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        f"{template}: record 'alpha': body paragraph 2 \"{{{{ 'x' * 10**9 }}}}\": "
        f"{LIMIT}'*' would make 1,000,000,000 characters, more than the 1,000,000 "
        f"{TOO_MUCH}"
    )
    assert snapshot(campaign["out"]) == before


def test_a_list_printed_in_a_word_template_names_the_field(
    runner: CliRunner, campaign: dict[str, Path], tmp_path: Path
) -> None:
    template = word_template(tmp_path, "Dear {{ recipient.salutation }}", "{{ recipient.city }}")
    before = snapshot(campaign["out"])
    result = runner.invoke(cli, args(campaign, template, "-f", "docx"))
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{template}: record 'alpha': body paragraph 2 \"{{{{ recipient.city }}}}\": "
        "field 'recipient.city' is a list (Paris, Lyon) printed as text: print its "
        "items with {{ recipient.city | join(', ') }}, or loop over them: "
        "{% for item in recipient.city %}"
    )
    assert snapshot(campaign["out"]) == before
