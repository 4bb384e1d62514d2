"""``names: bare``: a docxtpl or mailmerge template printing ``{{ title }}`` runs unchanged."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from click.testing import CliRunner, Result

from lettergen.cli import cli
from tests.conftest import snapshot, write

PEOPLE = "id,name,title\nann,Ann Lee,Dr\n"
BARE = "---\nnames: bare\n---\n"


def render(runner: CliRunner, template: Path, people: Path, out: Path, *extra: str) -> Result:
    return runner.invoke(cli, ["render", str(template), str(people), "-o", str(out), *extra])


def test_bare_names_print_the_record_and_recipient_still_works(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = write(tmp_path / "letter.txt", BARE + "Dear {{ title }} {{ recipient.name }},\n")
    people, out = write(tmp_path / "people.csv", PEOPLE), tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 0, result.output
    assert (out / "ann.txt").read_text(encoding="utf-8") == "Dear Dr Ann Lee,\n"


def test_a_field_named_like_a_filter_is_no_clash(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt", BARE + "{{ title }} {{ name | title }}\n")
    people, out = write(tmp_path / "people.csv", "id,name,title\nann,ann lee,Dr\n"), tmp_path / "o"
    result = render(runner, template, people, out)
    assert result.exit_code == 0, result.output
    assert (out / "ann.txt").read_text(encoding="utf-8") == "Dr Ann Lee\n"


def test_a_nested_bare_field_missing_is_named_by_its_path(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = write(tmp_path / "letter.txt", BARE + "{{ office.city }}\n")
    people = write(tmp_path / "people.yaml", "- id: ann\n  office: {street: Rue 1}\n")
    out = tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{people}:1: record 'ann': missing field 'recipient.office.city' (used at {template}:4)"
    )
    assert snapshot(out) == {}


def test_a_field_that_would_hide_the_letter_date_is_an_error_naming_both(
    runner: CliRunner, tmp_path: Path
) -> None:
    # docxtpl's {{ date }} meaning the record's date: lettergen's own 'date' is the letter's.
    template = write(tmp_path / "letter.txt", BARE + "Paris, {{ date }}\n")
    people = write(tmp_path / "people.csv", "id,name,date\nann,Ann,2020-01-02\n")
    out = tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{people}:2: record 'ann': field 'date': with 'names: bare', the record's field 'date' "
        "would hide lettergen's 'date' (the letter's date): rename the field "
        "(--map 'date=record_date', or 'fields:' in lettergen.yaml) and print it as "
        "{{ record_date }}"
    )
    assert snapshot(out) == {}
    fixed = write(tmp_path / "fixed.txt", BARE + "Paris, {{ record_date }}\n")
    result = render(runner, fixed, people, out, "--map", "date=record_date")
    assert result.exit_code == 0, result.output
    assert (out / "ann.txt").read_text(encoding="utf-8") == "Paris, 2020-01-02\n"


def test_a_field_that_would_hide_a_template_function_is_an_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = write(tmp_path / "letter.txt", BARE + "{{ name }}\n")
    people, out = write(tmp_path / "people.csv", "id,name,range\nann,Ann,3\n"), tmp_path / "o"
    result = render(runner, template, people, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{people}:2: record 'ann': field 'range': with 'names: bare', the record's field "
        "'range' would hide the template function 'range': rename the field "
        "(--map 'range=record_range', or 'fields:' in lettergen.yaml) and print it as "
        "{{ record_range }}"
    )


def test_without_the_switch_a_bare_field_name_suggests_recipient(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = write(tmp_path / "letter.txt", "Dear {{ title }},\n")
    people, out = write(tmp_path / "people.csv", PEOPLE), tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{template}:1: record 'ann': template error: 'title' is undefined; did you mean "
        "'recipient.title'? (the record has a field 'title'; 'names: bare' in the template's "
        "front matter puts the record's fields under their own names)"
    )
    assert snapshot(out) == {}


def test_an_undefined_name_the_record_lacks_gets_no_suggestion(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = write(tmp_path / "letter.txt", "Dear {{ rank }},\n")
    people, out = write(tmp_path / "people.csv", PEOPLE), tmp_path / "out"
    result = render(runner, template, people, out)
    assert (
        result.stderr.strip() == f"{template}:1: record 'ann': template error: 'rank' is undefined"
    )


def test_an_unknown_names_value_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt", "---\nnames: flat\n---\nx\n")
    people, out = write(tmp_path / "people.csv", PEOPLE), tmp_path / "out"
    result = render(runner, template, people, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{template}: field 'names': 'names: flat' is not known: write 'names: bare' to use "
        "the record's fields by their own names ({{ title }}), or leave it out "
        "({{ recipient.title }})"
    )


def word_template(path: Path, *paragraphs: str) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_a_word_template_takes_the_switch_from_its_yaml(runner: CliRunner, tmp_path: Path) -> None:
    template = word_template(tmp_path / "letter.docx", "Dear {{ title }} {{ name }},")
    people, out = write(tmp_path / "people.csv", PEOPLE), tmp_path / "out"
    result = render(runner, template, people, out, "-f", "docx")
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f"{tmp_path}/letter.docx: record 'ann': body paragraph 1 \"Dear {{{{ title }}}} "
        "{{ name }},\": template error: 'title' is undefined; did you mean 'recipient.title'? "
        "(the record has a field 'title'; 'names: bare' in letter.yaml puts the record's "
        "fields under their own names)"
    )
    write(tmp_path / "letter.yaml", "names: bare\n")
    result = render(runner, template, people, out, "-f", "docx")
    assert result.exit_code == 0, result.output
    letter = docx.Document(str(out / "ann.docx"))
    assert [p.text for p in letter.paragraphs] == ["Dear Dr Ann Lee,"]


def test_lettergen_yaml_can_ask_for_bare_names(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "letter.txt", "Dear {{ title }} {{ name }},\n")
    write(tmp_path / "people.csv", PEOPLE)
    write(
        tmp_path / "lettergen.yaml", "template: letter.txt\nrecipients: people.csv\nnames: bare\n"
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "ann.txt").read_text(encoding="utf-8") == "Dear Dr Ann Lee,\n"
