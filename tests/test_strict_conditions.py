"""A name only tested (``{% if x %}``, ``x is mapping``, ``x in y``) and never printed is as
much an error as a name printed: the condition would otherwise be false and its paragraphs
would vanish from the letter without a word. ``is defined`` and ``| default`` still ask."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from click.testing import CliRunner, Result

from lettergen.cli import cli
from tests.conftest import snapshot, write

RECIPIENTS = "- id: alpha\n  name: Ann Lee\n  tags: [eu]\n"

MISSING = "missing field 'recipient.office'"
CONDITIONS = [
    ("{% if recipient.office is mapping %}x{% endif %}", MISSING),
    ("{% if recipient.office is string %}x{% endif %}", MISSING),
    ("{% if recipient.office is none %}x{% endif %}", MISSING),
    ("{% if recipient.office is sameas false %}x{% endif %}", MISSING),
    ("{% if recipient.office %}x{% endif %}", MISSING),
    ("{% if not recipient.office %}x{% endif %}", MISSING),
    ("{% if recipient.office in recipient.tags %}x{% endif %}", MISSING),
    ("{% if 'eu' in recipient.office %}x{% endif %}", MISSING),
    (
        "{% if recipient.tags is sameas recipient.office %}x{% endif %}",
        "missing field 'recipient.office'",
    ),
    ("{{ 'x' if recipient.office is number }}", MISSING),
]


def text_campaign(tmp_path: Path, body: str) -> tuple[Path, Path]:
    template = write(tmp_path / "letter.txt", f"Dear {{{{ recipient.name }}}},\n{body}\nBye\n")
    return template, write(tmp_path / "people.yaml", RECIPIENTS)


def render(runner: CliRunner, template: Path, people: Path, out: Path, *extra: str) -> Result:
    return runner.invoke(cli, ["render", str(template), str(people), "-o", str(out), *extra])


def assert_check_finds_office_missing(runner: CliRunner, template: Path, people: Path) -> None:
    checked = runner.invoke(cli, ["check", str(template), str(people), "--strict"])
    assert checked.exit_code == 1, checked.output
    assert checked.stdout.splitlines()[:2] == [
        "error: missing fields (1)",
        f"  {people}:1: record 'alpha': error: 1 of 1 record(s) lack recipient.office: alpha",
    ]


@pytest.mark.parametrize(("body", "error"), CONDITIONS)
def test_a_tested_missing_field_stops_render_and_check(
    runner: CliRunner, tmp_path: Path, body: str, error: str
) -> None:
    template, people = text_campaign(tmp_path, body)
    out = tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"{people}:1: record 'alpha': {error} (used at {template}:2)"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert snapshot(out) == {}
    assert_check_finds_office_missing(runner, template, people)


@pytest.mark.parametrize(
    "body",
    [
        "{% if office is mapping %}x{% endif %}",
        "{% if office %}x{% endif %}",
        "{% if 'eu' in office %}x{% endif %}",
    ],
)
def test_a_tested_undefined_name_is_the_error_printing_it_gives(
    runner: CliRunner, tmp_path: Path, body: str
) -> None:
    template, people = text_campaign(tmp_path, body)
    printed, _ = text_campaign(tmp_path / "printed", "{{ office }}")
    out = tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{template}:2: record 'alpha': template error: 'office' is undefined"
    )
    same = render(runner, printed, people, out)
    assert same.stderr.strip() == result.stderr.strip().replace(str(template), str(printed))
    assert snapshot(out) == {}


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("{% if recipient.office is defined %}x{% else %}none{% endif %}", "none"),
        ("{% if recipient.office is undefined %}none{% endif %}", "none"),
        ("{% if office is not defined %}none{% endif %}", "none"),
        ("{{ recipient.office | default('none') }}", "none\n"),
        ("{% if recipient.tags is sequence and 'eu' in recipient.tags %}eu{% endif %}", "eu"),
        ("{{ recipient.tags | select('defined') | join }}", "eu\n"),
    ],
)
def test_asking_whether_a_field_is_there_still_works(
    runner: CliRunner, tmp_path: Path, body: str, text: str
) -> None:
    template, people = text_campaign(tmp_path, body)
    out = tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 0, result.output
    # A block tag at the end of a line takes its line break with it (trim_blocks).
    assert (out / "alpha.txt").read_text(encoding="utf-8") == f"Dear Ann Lee,\n{text}Bye\n"


def word_template(path: Path, *paragraphs: str) -> Path:
    document = docx.Document()
    body = document.element.body
    for paragraph in list(body):
        if paragraph.tag.endswith("}p"):
            body.remove(paragraph)
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


@pytest.mark.parametrize(
    "condition",
    ["recipient.office is mapping", "recipient.office", "recipient.office in recipient.tags"],
)
def test_a_tested_missing_field_stops_a_word_template(
    runner: CliRunner, tmp_path: Path, condition: str
) -> None:
    template = word_template(
        tmp_path / "letter.docx",
        "Dear {{ recipient.name }},",
        f"{{% if {condition} %}}",
        "You hold an office.",
        "{% endif %}",
        "Bye",
    )
    people, out = write(tmp_path / "people.yaml", RECIPIENTS), tmp_path / "out"
    result = render(runner, template, people, out, "-f", "docx")
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{people}:1: record 'alpha': missing field 'recipient.office' "
        f'(used in {template}, body paragraph 2 "{{% if {condition} %}}")'
    )
    assert snapshot(out) == {}
    assert_check_finds_office_missing(runner, template, people)


def test_a_word_condition_on_a_present_field_keeps_its_paragraphs(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = word_template(
        tmp_path / "letter.docx",
        "{% if recipient.tags is sequence %}",
        "Tagged.",
        "{% endif %}",
        "{% if recipient.office is not defined %}",
        "No office.",
        "{% endif %}",
        "Bye",
    )
    people, out = write(tmp_path / "people.yaml", RECIPIENTS), tmp_path / "out"
    result = render(runner, template, people, out, "-f", "docx")
    assert result.exit_code == 0, result.output
    letter = docx.Document(str(out / "alpha.docx"))
    assert [p.text for p in letter.paragraphs] == ["Tagged.", "No office.", "Bye"]
