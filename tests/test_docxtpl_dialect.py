"""docxtpl's own tags in a Word template mean in lettergen what they mean in docxtpl.

Each template is made with python-docx; the letter is read back and compared with text written
by hand, and, where docxtpl is installed, with docxtpl's own rendering of the same template.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.templating.word.template import WordTemplate
from tests.conftest import snapshot, write
from tests.test_word_template import context, render

RECORD = {"id": "ann", "name": "Ann Lee", "title": "Dr", "cities": ["Paris", "Lyon"]}


def make(path: Path, paragraphs: list[str], rows: list[list[str]] | None = None) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for row, texts in zip(table.rows, rows, strict=True):
            for cell, text in zip(row.cells, texts, strict=True):
                cell.text = text
    document.save(str(path))
    return path


def letter_text(document: Any) -> tuple[list[str], list[list[str]]]:
    tables = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    return [p.text for p in document.paragraphs], tables


def docxtpl_text(path: Path) -> tuple[list[str], list[list[str]]] | None:
    try:
        from docxtpl import DocxTemplate
    except ImportError:  # pragma: no cover - the [bench] extra installs it
        return None
    template = DocxTemplate(str(path))
    template.render({"recipient": RECORD})
    out = io.BytesIO()
    template.save(out)
    return letter_text(docx.Document(io.BytesIO(out.getvalue())))


CASES = {
    "paragraph condition": (
        ["{%p if recipient.title %}", "Dear {{ recipient.title }},", "{%p endif %}", "Bye"],
        None,
        ["Dear Dr,", "Bye"],
    ),
    "paragraph loop": (
        ["{%p for c in recipient.cities %}", "{{ c }}", "{%p endfor %}", "Bye"],
        None,
        ["Paris", "Lyon", "Bye"],
    ),
    "deleted paragraph": (["Hello", "{#p a note for the editor #}", "Bye"], None, ["Hello", "Bye"]),
    "run tags": (
        ["Dear {%r if recipient.title %}{{r recipient.title }} {%r endif %}{{r recipient.name }}"],
        None,
        ["Dear Dr Ann Lee"],
    ),
    "escaped braces": (
        ["Write {_{ name }_} to print a name"],
        None,
        ["Write {{ name }} to print a name"],
    ),
    "row loop": (
        ["Cities:"],
        [["City"], ["{%tr for c in recipient.cities %}"], ["{{ c }}"], ["{%tr endfor %}"]],
        ["Cities:"],
    ),
    "deleted row": (["Table:"], [["Head"], ["{#tr a note #}"], ["Last"]], ["Table:"]),
}
# docxtpl's {{r x }} wants a RichText object: a plain text value prints nothing there (its run
# is taken out of the paragraph); lettergen prints the text, so only the hand-written text holds.
RICH_TEXT_ONLY = {"run tags"}
TABLES = {"row loop": [["City"], ["Paris"], ["Lyon"]], "deleted row": [["Head"], ["Last"]]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_docxtpl_tags_render_with_docxtpl_meaning(tmp_path: Path, name: str) -> None:
    paragraphs, rows, expected = CASES[name]
    path = make(tmp_path / "letter.docx", paragraphs, rows)
    got = letter_text(render(path, dict(RECORD)))
    assert got == (expected, TABLES.get(name, []))
    theirs = docxtpl_text(path)
    if theirs is not None and name not in RICH_TEXT_ONLY:
        assert [p for p in theirs[0] if p] == [p for p in got[0] if p]
        assert theirs[1] == got[1]


def test_escaping_gives_the_characters_typed_once(tmp_path: Path) -> None:
    path = make(
        tmp_path / "letter.docx",
        ["{{ '<html> \"S&D\"' | e }}", "{% autoescape true %}{{ '<b>&' }}{% endautoescape %}"],
    )
    assert letter_text(render(path, dict(RECORD)))[0] == ['<html> "S&D"', "<b>&"]
    # The letter's plain text (what check proofreads) says what the document shows.
    assert WordTemplate(path).render(context(dict(RECORD))).splitlines()[0] == '<html> "S&D"'


def test_a_column_loop_is_refused_naming_the_feature(runner: CliRunner, tmp_path: Path) -> None:
    path = make(
        tmp_path / "letter.docx", ["Hi"], [["{%tc for c in recipient.cities %}", "{{ c }}"]]
    )
    people, out = write(tmp_path / "people.yaml", "- id: ann\n  name: Ann\n"), tmp_path / "out"
    result = runner.invoke(cli, ["render", str(path), str(people), "-o", str(out), "-f", "docx"])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        f'{path}: body paragraph 2 "{{%tc for c in recipient.cities %}}": template syntax '
        "error: docxtpl's column loop '{%tc %}' is not supported: loop over rows ('{%tr for "
        "%}' or a row holding only '{% for %}'), or make one template per column count"
    )
    assert snapshot(out) == {}


@pytest.mark.parametrize(
    ("tag", "way"),
    [
        ("{% colspan 2 %}", "merge the cells in Word"),
        ("{% vm %}", "merge the cells in Word"),
        (
            "{% cellbg 'FF0000' %}",
            "shade the cell in Word, or keep one row per shading inside '{% if %}' rows",
        ),
    ],
)
def test_docxtpl_cell_tags_are_refused_naming_them(
    runner: CliRunner, tmp_path: Path, tag: str, way: str
) -> None:
    path = make(tmp_path / "letter.docx", ["Hi"], [[f"{tag}{{{{ recipient.name }}}}"]])
    people, out = write(tmp_path / "people.yaml", "- id: ann\n  name: Ann\n"), tmp_path / "out"
    result = runner.invoke(cli, ["render", str(path), str(people), "-o", str(out), "-f", "docx"])
    assert result.exit_code == 1, result.output
    word = tag[3:].split()[0]
    assert result.stderr.strip() == (
        f'{path}: body paragraph 2 "{tag}{{{{ recipient.name }}}}": template syntax error: '
        f"docxtpl's '{{% {word} %}}' is not supported: {way}"
    )
    assert snapshot(out) == {}
