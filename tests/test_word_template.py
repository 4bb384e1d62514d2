"""Word templates: a .docx with Jinja tags, as Word really stores them (tags split across runs).

Templates are built here with python-docx, one ``add_run`` per piece, which is how Word splits
a tag after an edit, a spell-check or formatting part of it. Outputs are read back with
python-docx and compared as text.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import pickle
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from lettergen.cli import cli
from lettergen.errors import TemplateError
from lettergen.inputs.recipients import Record
from lettergen.merge.letter import Letter
from lettergen.merge.word import WordParts
from lettergen.templating.environment import context_for
from lettergen.templating.loading import load_template
from lettergen.templating.word.template import WordTemplate
from lettergen.writers.word_filled import WordTemplateWriter

from .conftest import ROOT, snapshot, write

DATE = dt.date(2015, 5, 25)
SENDER = {"name": "Mady Delvaux-Stehres", "group": "S&D"}
RECORD = {
    "id": "laurent-fabius",
    "name": "Laurent Fabius",
    "title": "Minister of Foreign Affairs",
    "address": ["37, Quai d'Orsay", "75700 Paris 07SP"],
}

Run = str | tuple[str, dict[str, Any]]


def add(container: Any, *runs: Run) -> Any:
    """Add a paragraph made of ``runs`` to a document, header, footer or cell.

    A run is a text, ``(text, {"bold": True})``, or ``"<proof>"`` / ``"<bookmark>"`` /
    ``"</bookmark>"`` for the marks Word leaves between runs.
    """
    paragraph = container.add_paragraph()
    for run in runs:
        if run == "<proof>":
            element = OxmlElement("w:proofErr")
            element.set(qn("w:type"), "spellStart")
            paragraph._p.append(element)
        elif run in ("<bookmark>", "</bookmark>"):
            element = OxmlElement("w:bookmarkStart" if run == "<bookmark>" else "w:bookmarkEnd")
            element.set(qn("w:id"), "7")
            if run == "<bookmark>":
                element.set(qn("w:name"), "_GoBack")
            paragraph._p.append(element)
        elif isinstance(run, tuple):
            added = paragraph.add_run(run[0])
            added.bold = run[1].get("bold")
            added.italic = run[1].get("italic")
        else:
            paragraph.add_run(run)
    return paragraph


def new_document() -> Any:
    """Return an empty python-docx document (its default first paragraph removed)."""
    document = docx.Document()
    body = document.element.body
    for paragraph in body.findall(qn("w:p")):
        body.remove(paragraph)
    return document


def save(document: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def template_of(tmp_path: Path, *paragraphs: tuple[Run, ...]) -> Path:
    """Write a Word template whose body holds ``paragraphs`` (each a tuple of runs)."""
    document = new_document()
    for runs in paragraphs:
        add(document, *runs)
    return save(document, tmp_path / "letter.docx")


def context(record: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    return context_for(RECORD if record is None else record, SENDER, meta, DATE)


def filled(writer: WordTemplateWriter, context: dict[str, Any]) -> bytes:
    """Return the .docx the writer makes of a letter rendered from its template and ``context``."""
    template = writer.template
    record = Record("r1", dict(context.get("recipient") or {}), template.path, 1)
    letter = Letter(
        record=record,
        name="r1",
        text="",
        context=context,
        template=template.path,
        word=WordParts(template, record, context),
    )
    return writer.to_bytes(letter)


def render(path: Path, record: dict[str, Any] | None = None) -> Any:
    """Render the Word template at ``path`` for ``record``; return the python-docx Document."""
    data = filled(WordTemplateWriter(WordTemplate(path)), context(record))
    return docx.Document(io.BytesIO(data))


def texts(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs]


# -- tags split across runs ---------------------------------------------------------------------


def test_tag_split_between_braces_name_and_filter(tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("Dear ", "{", "{ recipient.", "name", " | up", "per }", "}!"),
        ("Paris, {{ date | ", "format_date }}"),
        ("{%", " if recipient.title %}", "({{ recipient.title }})", "{% endif ", "%}"),
    )
    assert texts(render(path)) == [
        "Dear LAURENT FABIUS!",
        "Paris, 25 May 2015",
        "(Minister of Foreign Affairs)",
    ]


def test_a_split_anywhere_in_the_paragraph_is_joined(tmp_path: Path) -> None:
    # One paragraph per possible cut: the run is split in two with lxml, the second half bold.
    import copy

    text = "Dear {{ recipient.name | upper }}!"
    document = new_document()
    for cut in range(1, len(text)):
        run = add(document, text)._p.findall(qn("w:r"))[0]
        second = copy.deepcopy(run)
        run.find(qn("w:t")).text = text[:cut]
        second.find(qn("w:t")).text = text[cut:]
        second.insert(0, OxmlElement("w:rPr"))
        second[0].append(OxmlElement("w:b"))
        run.addnext(second)
    result = render(save(document, tmp_path / "letter.docx"))
    assert texts(result) == ["Dear LAURENT FABIUS!"] * (len(text) - 1)
    start = text.index("{{")
    for cut, paragraph in enumerate(result.paragraphs, 1):
        value = next(r for r in paragraph.runs if "LAURENT" in r.text)
        # The value is bold exactly when the tag starts in the bold half.
        assert bool(value.bold) == (cut <= start), cut


def test_tag_split_by_spell_check_marks_and_a_bookmark(tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("{{ recipient.", "<proof>", "name", "<proof>", " }}"),
        ("{{ recip", "<bookmark>", "ient.title }}", "</bookmark>", " in Paris"),
    )
    document = render(path)
    assert texts(document) == ["Laurent Fabius", "Minister of Foreign Affairs in Paris"]
    # The bookmark Word left inside the tag is still in the paragraph, after the value.
    assert document.paragraphs[1]._p.findall(qn("w:bookmarkStart"))


def test_half_a_tag_bold_takes_the_formatting_of_its_first_run(tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("To ", ("{{ recipient.", {"bold": True}), "name }}", " in Paris"),
        ("To ", "{{ recipient.", ("title }}", {"bold": True}), (" now", {"italic": True})),
    )
    first, second = render(path).paragraphs
    assert [(r.text, r.bold) for r in first.runs] == [
        ("To ", None),
        ("Laurent Fabius", True),
        (" in Paris", None),
    ]
    assert [(r.text, r.bold, r.italic) for r in second.runs] == [
        ("To ", None, None),
        ("Minister of Foreign Affairs", None, None),
        (" now", None, True),
    ]


def test_typographic_quotes_inside_a_tag_work(tmp_path: Path) -> None:
    # Word's autocorrect turns the quotes a user types in a tag into curly ones.
    path = template_of(tmp_path, ("{{ recipient.address | join(“ / ”) }}",))
    assert texts(render(path)) == ["37, Quai d'Orsay / 75700 Paris 07SP"]


# -- block tags around paragraphs and rows ------------------------------------------------------


def test_if_removes_whole_paragraphs_and_control_paragraphs_disappear(tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("Dear {{ recipient.name }},",),
        ("{% if recipient.urgent | default(false) %}",),
        ("This is urgent.",),
        ("Please answer today.",),
        (
            "{% else ",
            "%}",
        ),
        ("Take your time.",),
        ("{% endif %}",),
        ("Yours",),
    )
    assert texts(render(path)) == ["Dear Laurent Fabius,", "Take your time.", "Yours"]
    urgent = {**RECORD, "urgent": True}
    assert texts(render(path, urgent)) == [
        "Dear Laurent Fabius,",
        "This is urgent.",
        "Please answer today.",
        "Yours",
    ]


def test_loop_over_address_lines_repeats_the_paragraph_with_its_style(tmp_path: Path) -> None:
    document = new_document()
    add(document, "{{ recipient.name }}")
    add(document, "{% for line in recipient.address %}")
    add(document, "{{ line }}").style = document.styles["Quote"]
    add(document, "{% endfor %}")
    add(document, "Dear Minister,")
    path = save(document, tmp_path / "letter.docx")
    result = render(path)
    assert texts(result) == [
        "Laurent Fabius",
        "37, Quai d'Orsay",
        "75700 Paris 07SP",
        "Dear Minister,",
    ]
    assert [p.style.name for p in result.paragraphs[1:3]] == ["Quote", "Quote"]


def test_table_row_loop(tmp_path: Path) -> None:
    document = new_document()
    add(document, "Offices:")
    table = document.add_table(rows=4, cols=2)
    table.rows[0].cells[0].paragraphs[0].add_run("City")
    table.rows[0].cells[1].paragraphs[0].add_run("Phone")
    cell = table.rows[1].cells[0].paragraphs[0]
    cell.add_run("{% for office in ")
    cell.add_run("sender.offices %}")
    table.rows[2].cells[0].paragraphs[0].add_run("{{ office.city }}")
    table.rows[2].cells[1].paragraphs[0].add_run("{{ office.")
    table.rows[2].cells[1].paragraphs[0].add_run("phone }}")
    table.rows[3].cells[1].paragraphs[0].add_run("{% endfor %}")
    path = save(document, tmp_path / "letter.docx")
    sender = {
        "offices": [
            {"city": "Brussels", "phone": "0032 2 28 45136"},
            {"city": "Strasbourg", "phone": "0033 3 88 1 75136"},
        ]
    }
    data = filled(WordTemplateWriter(WordTemplate(path)), context_for(RECORD, sender, {}, DATE))
    (result,) = docx.Document(io.BytesIO(data)).tables
    assert [[c.text for c in row.cells] for row in result.rows] == [
        ["City", "Phone"],
        ["Brussels", "0032 2 28 45136"],
        ["Strasbourg", "0033 3 88 1 75136"],
    ]
    # In the plain text, a row is a line, its cells separated by tabs.
    assert WordTemplate(path).render(context_for(RECORD, sender, {}, DATE)) == (
        "Offices:\n\nCity\tPhone\nBrussels\t0032 2 28 45136\nStrasbourg\t0033 3 88 1 75136\n"
    )


def test_a_cell_whose_last_paragraph_is_a_block_tag_stays_valid(tmp_path: Path) -> None:
    document = new_document()
    table = document.add_table(rows=1, cols=2)
    cell = table.rows[0].cells[0]
    cell.paragraphs[0].add_run("{% if recipient.title == 'nobody' %}")
    cell.add_paragraph("{{ recipient.title }}")
    cell.add_paragraph("{% endif %}")
    table.rows[0].cells[1].paragraphs[0].add_run("{{ recipient.name }}")
    path = save(document, tmp_path / "letter.docx")
    (result,) = render(path).tables
    first = result.rows[0].cells[0]
    # Word requires a paragraph in every cell: the last block tag leaves an empty one.
    assert [p.text for p in first.paragraphs] == [""]
    assert result.rows[0].cells[1].text == "Laurent Fabius"


def test_block_tags_that_would_cut_the_xml_apart_are_refused(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("Dear {% if recipient.name %}Minister",), ("{% endif %}",))
    with pytest.raises(TemplateError) as caught:
        WordTemplate(path)
    assert str(caught.value) == (
        f"{path}: body paragraph 2 \"{{% endif %}}\": '{{% endif %}}' does not close "
        f"'{{% if %}}' of body paragraph 1 \"Dear {{% if recipient.name %}}Minister\" at the "
        "same level: put block tags alone in paragraphs (or table rows) side by side, or "
        "open and close them within one paragraph"
    )


def test_an_inline_block_inside_one_paragraph_works(tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("Dear ", ("{% if recipient.title %}", {"bold": True}), "Minister", "{% endif %},"),
    )
    assert texts(render(path)) == ["Dear Minister,"]
    assert texts(render(path, {**RECORD, "title": ""})) == ["Dear ,"]


# -- headers and footers ------------------------------------------------------------------------


def test_tags_in_header_and_footer(tmp_path: Path) -> None:
    document = new_document()
    add(document, "Dear {{ recipient.name }},")
    section = document.sections[0]
    header = section.header.paragraphs[0]
    header.add_run("{{ sender.")
    header.add_run("name }} ({{ sender.group }})").bold = True
    footer = section.footer.paragraphs[0]
    footer.add_run("For {{ recipient.name | ")
    footer.add_run("upper }}")
    path = save(document, tmp_path / "letter.docx")
    result = render(path)
    assert result.sections[0].header.paragraphs[0].text == "Mady Delvaux-Stehres (S&D)"
    assert result.sections[0].footer.paragraphs[0].text == "For LAURENT FABIUS"
    assert texts(result) == ["Dear Laurent Fabius,"]


# -- values -------------------------------------------------------------------------------------


def test_values_are_escaped_and_come_out_as_typed(tmp_path: Path) -> None:
    value = "S&D <b>bold?</b> \"quoted\" 'single' > & ; ü Ελλάδα Україна 🇪🇺 שלום"
    path = template_of(tmp_path, ("[{{ recipient.title }}]",))
    assert texts(render(path, {**RECORD, "title": value})) == [f"[{value}]"]


def test_values_are_escaped_even_when_marked_safe(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("{{ recipient.title | safe }}",))
    title = "</w:t></w:r><w:r><w:t>injected"
    assert texts(render(path, {**RECORD, "title": title})) == [title]


def test_multi_line_values_become_line_breaks(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("To: ", ("{{ recipient.title }}", {"bold": True}), " (end)"))
    document = render(path, {**RECORD, "title": "Line one\nLine two\r\nLine\tthree"})
    (paragraph,) = document.paragraphs
    assert paragraph.text == "To: Line one\nLine two\nLine\tthree (end)"
    assert len(paragraph._p.findall(f".//{qn('w:br')}")) == 2
    # The breaks stay inside the tag's run: every line keeps its formatting.
    assert [(r.text, r.bold) for r in paragraph.runs] == [
        ("To: ", None),
        ("Line one\nLine two\nLine\tthree", True),
        (" (end)", None),
    ]


def test_letter_values_come_from_the_yaml_beside_the_template(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("{{ letter.place }}, {{ date | format_date }}",))
    write(tmp_path / "letter.yaml", "place: Paris\nlocale: fr\n")
    template = WordTemplate(path)
    assert template.meta == {"place": "Paris", "locale": "fr"}
    data = filled(WordTemplateWriter(template), context_for(RECORD, SENDER, template.meta, DATE))
    assert texts(docx.Document(io.BytesIO(data))) == ["Paris, 25 mai 2015"]


def test_unchanged_members_are_copied_as_they_are(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("Dear {{ recipient.name }}",))
    data = filled(WordTemplateWriter(WordTemplate(path)), context())
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(io.BytesIO(data)) as rendered:
        assert rendered.testzip() is None
        assert sorted(rendered.namelist()) == sorted(original.namelist())
        for name in original.namelist():
            if name != "word/document.xml":
                assert rendered.read(name) == original.read(name), name
        assert b"Laurent Fabius" in rendered.read("word/document.xml")


def test_fields_lists_every_part(tmp_path: Path) -> None:
    document = new_document()
    add(document, "{{ recipient.", "name }} {% for l in recipient.address %}{{ l }}{% endfor %}")
    document.sections[0].footer.paragraphs[0].add_run("{{ sender.group }}")
    template = load_template(save(document, tmp_path / "t.docx"))
    assert isinstance(template, WordTemplate)
    assert template.fields() == {"recipient.name", "recipient.address", "sender.group"}


def test_word_template_survives_pickling(tmp_path: Path) -> None:
    # Worker processes (-j) receive the writers; the template recompiles there from its path.
    path = template_of(tmp_path, ("Dear {{ recipient.name }}",))
    copy = pickle.loads(pickle.dumps(WordTemplate(path)))
    assert copy.render(context()) == "Dear Laurent Fabius\n"


# -- errors -------------------------------------------------------------------------------------


def test_syntax_error_names_the_paragraph(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("Hello",), ("Dear {{ recipient.", "name }", "!"))
    with pytest.raises(TemplateError) as caught:
        WordTemplate(path)
    assert str(caught.value) == (
        f'{path}: body paragraph 2 "Dear {{{{ recipient.name }}!": template syntax error: '
        "'{{' without '}}'"
    )


def test_jinja_syntax_error_names_the_paragraph(tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("Hello",),
        ("A",),
        (
            "Dear {{ recipient.",
            "name | }}",
        ),
    )
    with pytest.raises(TemplateError) as caught:
        WordTemplate(path)
    assert str(caught.value).startswith(
        f'{path}: body paragraph 3 "Dear {{{{ recipient.name | }}}}": template syntax error: '
    )


def test_unclosed_block_names_its_paragraph(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("{% for l in recipient.address %}",), ("{{ l }}",))
    with pytest.raises(TemplateError) as caught:
        WordTemplate(path)
    assert str(caught.value) == (
        f'{path}: body paragraph 1 "{{% for l in recipient.address %}}": template syntax '
        "error: '{% for %}' is never closed (no '{% endfor %}')"
    )


def test_not_a_docx(tmp_path: Path) -> None:
    path = write(tmp_path / "letter.docx", "plain text\n")
    with pytest.raises(TemplateError) as caught:
        WordTemplate(path)
    assert str(caught.value) == f"{path}: not a Word document (.docx): not a zip file"


# -- through the command line -------------------------------------------------------------------


def recipients_file(tmp_path: Path, title: str = "Minister") -> Path:
    return write(
        tmp_path / "recipients.yaml",
        f"""
        - id: fabius
          name: Laurent Fabius
          title: {title}
          address: ["37, Quai d'Orsay", "75700 Paris 07SP"]
        """,
    )


def test_missing_field_names_record_and_paragraph(runner: Any, tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("Hello",),
        (
            "Dear {{ recipient.",
            "salutation }}",
        ),
    )
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["render", str(path), str(recipients_file(tmp_path)), "-o", str(out), "-f", "docx"]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"{tmp_path / 'recipients.yaml'}:1: record 'fabius': missing field "
        f"'recipient.salutation' (used in {path}, body paragraph 2 "
        '"Dear {{ recipient.salutation }}")'
    )
    assert not out.exists()


def test_missing_field_in_a_footer_is_found_for_text_output_too(
    runner: Any, tmp_path: Path
) -> None:
    document = new_document()
    add(document, "Dear {{ recipient.name }}")
    document.sections[0].footer.paragraphs[0].add_run("{{ recipient.phone }}")
    path = save(document, tmp_path / "letter.docx")
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["render", str(path), str(recipients_file(tmp_path)), "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "missing field 'recipient.phone' (used in" in result.output
    assert 'footer1 paragraph 1 "{{ recipient.phone }}"' in result.output
    assert not out.exists()


def test_forbidden_character_is_an_error_naming_record_and_field(
    runner: Any, tmp_path: Path
) -> None:
    path = template_of(tmp_path, ("{{ recipient.title }}",))
    people = recipients_file(tmp_path, title='"Minister\\vof Justice"')
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(out)
    result = runner.invoke(cli, ["render", str(path), str(people), "-o", str(out), "-f", "docx"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"{people}:1: record 'fabius': field 'recipient.title': holds U+000B, a vertical tab "
        "(Excel's line break inside a cell), which a Word document cannot hold; remove it"
    )
    assert snapshot(out) == before
    # The checks refuse it in a plain-text letter too (a page would not show it) ...
    args = ["render", str(path), str(people), "-o", str(out), "-f", "txt"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert "record 'fabius': error: field 'recipient.title': holds U+000B" in result.output
    assert snapshot(out) == before
    # ... which can hold it: only the Word output cannot.
    result = runner.invoke(cli, [*args, "--no-check"])
    assert result.exit_code == 0, result.output
    assert (out / "fabius.txt").read_text(encoding="utf-8") == "Minister\vof Justice\n"


def test_sandbox_escape_is_refused(runner: Any, tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("Hi",),
        (
            "{{ recipient.name.__class__.__mro__[1].",
            "__subclasses__() }}",
        ),
    )
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["render", str(path), str(recipients_file(tmp_path)), "-o", str(out), "-f", "docx"]
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        f"{path}: record 'fabius': body paragraph 2 \"{{{{ recipient.name.__class__"
    )
    assert "refused by the template sandbox" in result.output
    assert not out.exists()


def test_mutating_a_value_is_refused(runner: Any, tmp_path: Path) -> None:
    path = template_of(tmp_path, ("{{ recipient.address.append('x') }}",))
    result = runner.invoke(
        cli, ["render", str(path), str(recipients_file(tmp_path)), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "refused by the template sandbox" in result.output


def test_letterhead_does_not_apply_to_a_word_template(runner: Any, tmp_path: Path) -> None:
    path = template_of(tmp_path, ("{{ recipient.name }}",))
    result = runner.invoke(
        cli,
        [
            "render",
            str(path),
            str(recipients_file(tmp_path)),
            "-o",
            str(tmp_path / "o"),
            "-f",
            "docx",
            "--letterhead",
            str(path),
        ],
    )
    assert result.exit_code == 2
    assert "--letterhead does not apply to a Word template" in result.output


def test_docx_to_txt(runner: Any, tmp_path: Path) -> None:
    document = new_document()
    add(document, "Paris, {{ date | ", "format_date }}")
    add(document, "{{ recipient.name }}")
    document.paragraphs[-1].add_run().add_break()
    document.paragraphs[-1].add_run("{% for line in recipient.address %}{{ line }}")
    document.paragraphs[-1].add_run("{% if not loop.last %}")
    document.paragraphs[-1].add_run().add_break()
    document.paragraphs[-1].add_run("{% endif %}{% endfor %}")
    add(document, "{% if recipient.title %}")
    add(document, "Dear\t{{ recipient.title }},")
    add(document, "{% endif %}")
    add(document)
    add(document, "Yours")
    document.sections[0].header.paragraphs[0].add_run("{{ sender.name }}")
    path = save(document, tmp_path / "letter.docx")
    sender = write(tmp_path / "sender.yaml", "name: Mady Delvaux-Stehres\n")
    out = tmp_path / "out"
    people = str(recipients_file(tmp_path))
    result = runner.invoke(
        cli,
        [
            "render",
            str(path),
            people,
            "-o",
            str(out),
            "--date",
            "2015-05-25",
            "--sender",
            str(sender),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "fabius.txt").read_text(encoding="utf-8") == (
        "Paris, 25 May 2015\n"
        "\n"
        "Laurent Fabius\n"
        "37, Quai d'Orsay\n"
        "75700 Paris 07SP\n"
        "\n"
        "Dear\tMinister,\n"
        "\n"
        "\n"
        "Yours\n"
    )


# -- the sample Word template -------------------------------------------------------------------


def test_sample_word_template_gives_the_sample_letters(runner: Any, tmp_path: Path) -> None:
    recipients = ROOT / "recipients" / "french-government.yaml"
    text_out, word_out = tmp_path / "text", tmp_path / "word"
    result = runner.invoke(
        cli,
        ["render", str(ROOT / "templates" / "appeal.txt.j2"), str(recipients), "-o", str(text_out)],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        [
            "render",
            str(ROOT / "templates" / "appeal.docx"),
            str(recipients),
            "-o",
            str(word_out),
            "-f",
            "txt",
            "-f",
            "docx",
        ],
    )
    assert result.exit_code == 0, result.output
    letters = sorted(p.stem for p in text_out.glob("*.txt"))
    assert len(letters) == 5
    for name in letters:
        expected = (text_out / f"{name}.txt").read_text(encoding="utf-8")
        assert (word_out / f"{name}.txt").read_text(encoding="utf-8") == expected
        document = docx.Document(str(word_out / f"{name}.docx"))
        # Paragraphs are the text's blocks; the two empty ones make room for the signature.
        blocks = [p.text for p in document.paragraphs]
        assert "\n\n".join(blocks).replace("\n\n\n\n\n\n", "\n\n\n\n") + "\n" == expected
        header = document.sections[0].header.paragraphs[0].text
        assert header == "Mady Delvaux-Stehres\nMember of the European Parliament (S&D)"
        assert "Bâtiment Louise Weiss" in document.sections[0].footer.paragraphs[0].text


def test_combine_holds_every_letter_of_a_word_template(runner: Any, tmp_path: Path) -> None:
    recipients = ROOT / "recipients" / "french-government.yaml"
    combined = tmp_path / "all.docx"
    out = tmp_path / "out"
    args = ["render", str(ROOT / "templates" / "appeal.docx"), str(recipients), "-o", str(out)]
    result = runner.invoke(cli, [*args, "--combine", str(combined)])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(combined))
    # One section (so new pages, the template's header and footer) per letter.
    assert len(document.sections) == 5
    assert all(
        s.header.paragraphs[0].text.startswith("Mady Delvaux-Stehres") for s in document.sections
    )
    text = "\n".join(p.text for p in document.paragraphs)
    for letter in sorted(out.glob("*.txt")):
        salutation = letter.read_text(encoding="utf-8").split("\n\n")[3]
        assert salutation.startswith("Dear ")
        assert salutation in text
    assert text.count("Yours sincerely,") == 5
    assert text.index("Laurent Fabius") < text.index("Manuel Valls")


def test_combine_refuses_a_header_with_recipient_fields(runner: Any, tmp_path: Path) -> None:
    document = new_document()
    add(document, "Dear {{ recipient.name }}")
    document.sections[0].header.paragraphs[0].add_run("To {{ recipient.name }}")
    path = save(document, tmp_path / "letter.docx")
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        [
            "render",
            str(path),
            str(recipients_file(tmp_path)),
            "-o",
            str(out),
            "--combine",
            str(tmp_path / "all.docx"),
        ],
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"--combine: header1 of {path} uses recipient.name; a combined document has one "
        "header and footer for all letters: use only sender and letter fields there, or "
        "leave out --combine"
    )
    assert not out.exists()
    assert not (tmp_path / "all.docx").exists()


def test_comments_and_whitespace_control_in_control_paragraphs(tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("{# a note for whoever edits this letter #}",),
        ("Dear {{ recipient.name }},",),
        ("{%- if recipient.title -%}",),
        ("You are {{ recipient.title }}.",),
        ("{%- endif -%}",),
        ("Yours",),
    )
    assert texts(render(path)) == [
        "Dear Laurent Fabius,",
        "You are Minister of Foreign Affairs.",
        "Yours",
    ]
    text = WordTemplate(path).render(context())
    assert text == "Dear Laurent Fabius,\n\nYou are Minister of Foreign Affairs.\n\nYours\n"


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are needed to convert DOCX to PDF; "
    "CI installs libreoffice-writer-nogui and poppler-utils",
)
def test_libreoffice_prints_word_template_letters(runner: Any, tmp_path: Path) -> None:
    out, combined = tmp_path / "letters", tmp_path / "all.docx"
    recipients = ROOT / "recipients" / "french-government.yaml"
    args = [str(ROOT / "templates" / "appeal.docx"), str(recipients), "-o", str(out), "-f", "docx"]
    result = runner.invoke(cli, ["render", *args, "--combine", str(combined)])
    assert result.exit_code == 0, result.output
    subprocess.run(
        [
            "soffice", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
            "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
            str(out / "christiane-taubira.docx"), str(combined),
        ],
        check=True, capture_output=True, timeout=240, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip

    def words(name: str) -> str:
        pdf = str(tmp_path / "pdf" / f"{name}.pdf")
        text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True, text=True)
        return " ".join(text.stdout.split())

    letter = words("christiane-taubira")
    assert "Ms Christiane Taubira Keeper of the Seals, Minister of Justice" in letter
    assert "Madam Minister, I call on you to recognize the politically motivated" in letter
    assert "Member of the European Parliament (S&D)" in letter  # the header
    assert "Bâtiment Louise Weiss T07085" in letter  # the footer
    everything = words("all")
    for person in ("Laurent Fabius", "Manuel Valls", "Christiane Taubira", "François Hollande"):
        assert f"{person} " in everything
    # One letter per page: five pages, each with the letterhead's header.
    assert everything.count("Member of the European Parliament (S&D)") == 5


def test_a_header_without_recipient_fields_follows_the_sender(tmp_path: Path) -> None:
    # Such a header is rendered once and reused, but only while sender, letter and date stay.
    document = new_document()
    add(document, "Dear {{ recipient.name }}")
    document.sections[0].header.paragraphs[0].add_run("{{ sender.name }}, {{ date.year }}")
    writer = WordTemplateWriter(WordTemplate(save(document, tmp_path / "letter.docx")))
    headers = []
    for sender, date in (({"name": "A"}, DATE), ({"name": "A"}, DATE), ({"name": "B"}, DATE)):
        for day in (date, dt.date(2016, 1, 1)):
            data = filled(writer, context_for(RECORD, sender, {}, day))
            headers.append(docx.Document(io.BytesIO(data)).sections[0].header.paragraphs[0].text)
    assert headers == ["A, 2015", "A, 2016", "A, 2015", "A, 2016", "B, 2015", "B, 2016"]


def test_language_variant_of_a_word_template(runner: Any, tmp_path: Path) -> None:
    document = new_document()
    add(document, "Dear {{ recipient.name }}, {{ date | format_date }}")
    path = save(document, tmp_path / "letter.docx")
    french = new_document()
    add(french, "Cher ", "{{ recipient.", "name }}, {{ date | format_date }}")
    save(french, tmp_path / "letter.fr.docx")
    people = write(
        tmp_path / "people.yaml",
        """
        - {id: fabius, name: Laurent Fabius, language: fr}
        - {id: smith, name: Jo Smith}
        """,
    )
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        ["render", str(path), str(people), "-o", str(out), "-f", "docx", "-f", "txt",
         "--date", "2015-05-25"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert texts(docx.Document(str(out / "fabius.docx"))) == ["Cher Laurent Fabius, 25 mai 2015"]
    assert texts(docx.Document(str(out / "smith.docx"))) == ["Dear Jo Smith, 25 May 2015"]
    assert (out / "fabius.txt").read_text(encoding="utf-8") == "Cher Laurent Fabius, 25 mai 2015\n"


def test_a_table_left_without_rows_is_an_error_not_a_broken_file(
    runner: Any, tmp_path: Path
) -> None:
    document = new_document()
    add(document, "Dear {{ recipient.name }}")
    table = document.add_table(rows=3, cols=1)
    table.rows[0].cells[0].paragraphs[0].add_run("{% for line in recipient.notes %}")
    table.rows[1].cells[0].paragraphs[0].add_run("{{ line }}")
    table.rows[2].cells[0].paragraphs[0].add_run("{% endfor %}")
    path = save(document, tmp_path / "letter.docx")
    people = write(tmp_path / "people.yaml", "- {id: fabius, name: Laurent Fabius, notes: []}\n")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["render", str(path), str(people), "-o", str(out), "-f", "docx"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"{path}: record 'fabius': word/document.xml of this letter: table 1 has no row left "
        "(every row is inside a {% for %} or {% if %} that gave nothing); keep one row, a "
        "heading, outside the block"
    )
    assert not out.exists()


def test_broken_xml_from_an_include_is_an_error_not_a_broken_file(
    runner: Any, tmp_path: Path
) -> None:
    write(tmp_path / "snippet.txt", "a < b\n")
    path = template_of(tmp_path, ("Dear {{ recipient.name }}",), ('{% include "snippet.txt" %}',))
    out = tmp_path / "out"
    people = recipients_file(tmp_path)
    result = runner.invoke(cli, ["render", str(path), str(people), "-o", str(out), "-f", "docx"])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"{path}: record 'fabius': word/document.xml of this letter: not well-formed XML ("
    )
    assert not out.exists()


def test_strict_open_xml_is_refused_with_a_hint(tmp_path: Path) -> None:
    source = template_of(tmp_path, ("Dear {{ recipient.name }}",))
    strict = tmp_path / "strict.docx"
    main = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(strict, "w") as copy:
        for name in original.namelist():
            data = original.read(name)
            if name == "word/document.xml":
                data = data.replace(main, b"http://purl.oclc.org/ooxml/wordprocessingml/main")
            copy.writestr(name, data)
    with pytest.raises(TemplateError) as caught:
        WordTemplate(strict)
    assert str(caught.value) == (
        f"{strict}: not a Word document in the usual format (perhaps saved as Strict Open "
        "XML); save it as 'Word Document (.docx)'"
    )


def test_line_numbers_of_a_word_template_are_paragraph_numbers(tmp_path: Path) -> None:
    # Proofreading (lettergen check) reports template lines; in a .docx they are paragraphs.
    path = template_of(
        tmp_path,
        ("Hello",),
        (),
        (
            "Dear {{ recipient.",
            "title }}",
        ),
        ("Bye",),
    )
    template = WordTemplate(path)
    lines = template.body.split("\n")
    line = next(n for n, text in enumerate(lines, 1) if "recipient.title" in text)
    assert template.line(line) == 3
    assert template.line(1) == 1


def test_only_templates_that_could_break_xml_are_parsed_per_letter(tmp_path: Path) -> None:
    # The checking pass parses each letter's XML only when escaping and the block checks
    # cannot vouch for it: the sample needs no parsing, an include or a filter block does.
    assert not WordTemplate(ROOT / "templates" / "appeal.docx").may_break_xml
    for tag in ('{% include "x.txt" %}', "{% filter upper %}", "{% raw %}"):
        end = {"{% filter upper %}": "{% endfilter %}", "{% raw %}": "{% endraw %}"}.get(tag, "")
        path = template_of(tmp_path, ("Dear {{ recipient.name }}",), (tag,), (end,))
        assert WordTemplate(path).may_break_xml, tag


def test_letter_values_file_errors_name_it(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("{{ letter.place }}",))
    values = write(tmp_path / "letter.yaml", "- just\n- a list\n")
    with pytest.raises(TemplateError) as caught:
        WordTemplate(path)
    assert str(caught.value) == (
        f"{values}:1: letter values of a Word template must be a mapping (key: value lines)"
    )
    write(tmp_path / "letter.yaml", "place: [unclosed\n")
    with pytest.raises(TemplateError) as caught:
        WordTemplate(path)
    assert str(caught.value).startswith(f"{values}:2: invalid YAML: ")
    write(tmp_path / "letter.yaml", "place: Paris\n")
    assert WordTemplate(path).files == [path, values]


def test_raw_shows_tags_as_text(tmp_path: Path) -> None:
    path = template_of(tmp_path, ("Type {% raw %}{% if x %}{{ y }}{% endraw %} in Word",))
    assert texts(render(path)) == ["Type {% if x %}{{ y }} in Word"]


def test_raw_tags_holding_xml_characters_stay_text(runner: Any, tmp_path: Path) -> None:
    path = template_of(
        tmp_path,
        ("{% raw %}",),
        ("Write {{ a < b & c }}",),
        ("{% endraw %}",),
        ("Dear {{ recipient.name }}",),
    )
    out = tmp_path / "out"
    people = recipients_file(tmp_path)
    # --no-check: proofreading rightly calls "{{" in a letter a leftover placeholder.
    args = ["render", str(path), str(people), "-o", str(out), "-f", "docx", "-f", "txt"]
    result = runner.invoke(cli, [*args, "--no-check"])
    assert result.exit_code == 0, result.output
    assert texts(docx.Document(str(out / "fabius.docx"))) == [
        "Write {{ a < b & c }}",
        "Dear Laurent Fabius",
    ]
    text = (out / "fabius.txt").read_text(encoding="utf-8")
    assert text == "Write {{ a < b & c }}\n\nDear Laurent Fabius\n"


def test_forbidden_character_in_a_header_value_is_found(runner: Any, tmp_path: Path) -> None:
    document = new_document()
    add(document, "Dear {{ recipient.name }}")
    document.sections[0].header.paragraphs[0].add_run("{{ sender.name }}")
    path = save(document, tmp_path / "letter.docx")
    sender = write(tmp_path / "sender.yaml", 'name: "Mady\\x00Delvaux"\n')
    out = tmp_path / "out"
    people = recipients_file(tmp_path)
    args = ["render", str(path), str(people), "-o", str(out), "-f", "docx", "--sender", str(sender)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"{people}:1: record 'fabius': field 'sender.name': holds U+0000, a NUL character "
        "(in the signatory profile), which a Word document cannot hold; remove it"
    )
    assert not out.exists()


def png() -> bytes:
    """Return a 1x1 white PNG (no image library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_combined_letters_keep_drawing_and_bookmark_ids_unique(runner: Any, tmp_path: Path) -> None:
    # A scanned signature in the body is repeated in every letter of a combined document;
    # Word wants each drawing's id to be unique in the document.
    document = new_document()
    add(document, "Dear ", "<bookmark>", "{{ recipient.name }}", "</bookmark>", ",")
    document.add_paragraph().add_run().add_picture(io.BytesIO(png()))
    add(document, "Mady Delvaux-Stehres")
    path = save(document, tmp_path / "letter.docx")
    people = write(
        tmp_path / "people.yaml",
        "- {id: a, name: Ann}\n- {id: b, name: Bob}\n- {id: c, name: Cy}\n",
    )
    combined = tmp_path / "all.docx"
    args = ["render", str(path), str(people), "-o", str(tmp_path / "out"), "-f", "docx"]
    result = runner.invoke(cli, [*args, "--combine", str(combined)])
    assert result.exit_code == 0, result.output
    drawing = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
    letter = docx.Document(str(tmp_path / "out" / "a.docx"))
    (single,) = [d.get("id") for d in letter.element.body.iter(drawing)]
    whole = docx.Document(str(combined))
    ids = [d.get("id") for d in whole.element.body.iter(drawing)]
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert single in ids  # a letter's own document keeps the template's id
    # Bookmarks too (the sample's "_GoBack" one would be repeated otherwise).
    bookmarks = [b.get(qn("w:id")) for b in whole.element.body.iter(qn("w:bookmarkStart"))]
    assert len(bookmarks) == 3
    assert len(set(bookmarks)) == 3
    assert [p.text for p in whole.paragraphs if p.text.startswith("Dear")] == [
        "Dear Ann,",
        "Dear Bob,",
        "Dear Cy,",
    ]
