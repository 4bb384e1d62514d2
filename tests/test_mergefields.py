"""Word mail-merge documents (MERGEFIELD, IF, GREETINGLINE, ADDRESSBLOCK) as Word templates.

The documents are built as Word's Mailings tab writes them (tests/mergefield_docs.py); every
expected letter text is written out by hand.
"""

from __future__ import annotations

import pickle
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn

from lettergen.cli import cli
from lettergen.templating.word.template import WordTemplate
from tests.conftest import snapshot, write
from tests.mergefield_docs import (
    Nested,
    complex_field,
    link_data_source,
    merge_field,
    save,
    simple,
    text,
)
from tests.test_pdf import needs_libreoffice

DONORS = """\
Title,FirstName,LastName,Gender,Amount,Date,Nickname,City,Country,Organisation,Ref
Ms,Anna,Berg,F,1234.5,2026-11-02,Annie,Lyon,france,Ministry of Culture,A-1
Mr,Paul,Roux,M,80,2026-10-15,,Paris,FRANCE,Senate,B-2
"""

# Header, body paragraphs (a table row as its cells with a tab between), footer.
EXPECTED = {
    "donors-1": [
        "Ministry of Culture",
        "Ms Anna BERG",
        "Dear Madam,",
        "Your gift of 1,234.50 on 2 November 2026 was received (from Annie).",
        "Thank you, Ms Berg",
        "Lyon\tFrance",
        "Ref. A-1",
    ],
    "donors-2": [
        "Senate",
        "Mr Paul ROUX",
        "Dear Sir,",
        "Your gift of 80.00 on 15 October 2026 was received.",
        "Thank you, Mr Roux",
        "Paris\tFRANCE",
        "Ref. B-2",
    ],
}

FIELD_CODES = ("w:fldSimple", "w:instrText", "w:fldChar", "w:mailMerge", "mailMergeSource")


def thank_you_letter(path: Path) -> Path:
    """A thank-you letter with every kind of merge field Word writes, in every place."""
    document = docx.Document()
    header = document.sections[0].header.paragraphs[0]
    simple(header, " MERGEFIELD Organisation \\* MERGEFORMAT ", "«Organisation»")
    p = document.add_paragraph()
    merge_field(p, "Title")
    text(p, " ")
    simple(p, " MERGEFIELD FirstName ", "«FirstName»", bold=True)
    text(p, " ")
    # The instruction split inside its name, the display text «LastName» in two runs.
    complex_field(
        p, [" MERGE", "FIELD LastName \\* Upper ", "\\* MERGEFORMAT "], ["«Last", "Name»"]
    )
    p = document.add_paragraph()
    text(p, "Dear ")
    gender = Nested([" MERGEFIELD Gender "], "«Gender»")
    complex_field(p, [" IF ", gender, ' = "F" "Madam" "Sir" '], "Sir")
    text(p, ",")
    p = document.add_paragraph()
    text(p, "Your gift of ")
    merge_field(p, "Amount", '\\# "#,##0.00"')
    text(p, " on ")
    merge_field(p, "Date", '\\@ "d MMMM yyyy"')
    text(p, " was received")
    merge_field(p, "Nickname", '\\b " (from " \\f ")"')
    text(p, ".")
    p = document.add_paragraph()
    last = Nested([" MERGEFIELD LastName "], "«LastName»")
    complex_field(
        p,
        [" IF ", gender, ' = "F" "Thank you, Ms ', last, '" "Thank you, Mr ', last, '" '],
        "Thank you, Mr «LastName»",
    )
    row = document.add_table(rows=1, cols=2).rows[0]
    merge_field(row.cells[0].paragraphs[0], "City")
    merge_field(row.cells[1].paragraphs[0], "Country", "\\* Caps")
    footer = document.sections[0].footer.paragraphs[0]
    text(footer, "Ref. ")
    merge_field(footer, "Ref")
    link_data_source(document)
    return save(document, path)


def one_paragraph(path: Path, *build: Any) -> Path:
    """A document of one paragraph made by the functions ``build`` (each given it)."""
    document = docx.Document()
    paragraph = document.add_paragraph()
    for step in build:
        step(paragraph)
    return save(document, path)


def letter_lines(path: Path) -> list[str]:
    """Return a DOCX letter's header, body paragraphs and rows, and footer, read back."""
    document = docx.Document(str(path))
    section = document.sections[0]
    lines = [p.text for p in section.header.paragraphs if p.text]
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            lines.extend("\t".join(cell.text for cell in row.cells) for row in block.rows)
        elif block.text:
            lines.append(block.text)
    lines.extend(p.text for p in section.footer.paragraphs if p.text)
    return lines


def package_text(path: Path) -> str:
    """Return every XML member of a DOCX, joined."""
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


def render(runner: CliRunner, template: Path, records: Path, out: Path, *more: str) -> Any:
    args = ["render", str(template), str(records), "-o", str(out), *more]
    return runner.invoke(cli, args)


@pytest.fixture
def letter(tmp_path: Path) -> tuple[Path, Path]:
    return thank_you_letter(tmp_path / "thanks.docx"), write(tmp_path / "donors.csv", DONORS)


def test_each_letter_reads_as_written_by_hand(
    runner: CliRunner, tmp_path: Path, letter: tuple[Path, Path]
) -> None:
    template, records = letter
    result = render(runner, template, records, tmp_path / "out", "-f", "docx")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for name, expected in EXPECTED.items():
        assert letter_lines(tmp_path / "out" / f"{name}.docx") == expected


def test_letters_keep_no_field_code_and_no_link_to_the_data_source(
    runner: CliRunner, tmp_path: Path, letter: tuple[Path, Path]
) -> None:
    template, records = letter
    assert all(code in package_text(template) for code in FIELD_CODES)  # the test can fail
    result = render(runner, template, records, tmp_path / "out", "-f", "docx")
    assert result.exit_code == 0, result.output
    for name in EXPECTED:
        xml = package_text(tmp_path / "out" / f"{name}.docx")
        assert [code for code in FIELD_CODES if code in xml] == []
        assert "«" not in xml


def test_a_field_keeps_the_formatting_of_its_display_text(
    runner: CliRunner, tmp_path: Path, letter: tuple[Path, Path]
) -> None:
    template, records = letter
    assert render(runner, template, records, tmp_path / "out", "-f", "docx").exit_code == 0
    runs = docx.Document(str(tmp_path / "out" / "donors-1.docx")).paragraphs[0].runs
    assert [(run.text, bool(run.bold)) for run in runs] == [
        ("Ms", False),
        (" ", False),
        ("Anna", True),
        (" ", False),
        ("BERG", False),
    ]


def test_text_letters_hold_the_same_text(
    runner: CliRunner, tmp_path: Path, letter: tuple[Path, Path]
) -> None:
    template, records = letter
    assert render(runner, template, records, tmp_path / "out", "-f", "txt").exit_code == 0
    assert (tmp_path / "out" / "donors-2.txt").read_text(encoding="utf-8") == (
        "Mr Paul ROUX\n\nDear Sir,\n\nYour gift of 80.00 on 15 October 2026 was received.\n\n"
        "Thank you, Mr Roux\n\nParis\tFRANCE\n"
    )


def test_fields_lists_the_merge_fields(runner: CliRunner, letter: tuple[Path, Path]) -> None:
    template, records = letter
    result = runner.invoke(cli, ["fields", str(template), str(records)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "recipient.Amount  (template line 3)",
        "recipient.City  (template line 5)",
        "recipient.Country  (template line 6)",
        "recipient.Date  (template line 3)",
        "recipient.FirstName  (template line 1)",
        "recipient.Gender  (template line 2)",
        "recipient.LastName  (template line 1)",
        "recipient.Nickname  (template line 3); 1 of 2 hold it empty",
        "recipient.Organisation  (template line 1)",
        "recipient.Ref  (template line 1)",
        "recipient.Title  (template line 1)",
        "11 field(s); 0 lacked by some of 2 record(s)",
    ]


def test_check_proofreads_merge_letters(
    runner: CliRunner, tmp_path: Path, letter: tuple[Path, Path]
) -> None:
    template, records = letter
    result = runner.invoke(cli, ["check", str(template), str(records)])
    assert result.exit_code == 0, result.output
    assert "2 of 2 letter(s) rendered; 0 error(s)" in result.stdout
    # An empty name without \b or \f is a finding, as in any other template.
    empty = write(tmp_path / "empty.csv", DONORS.replace(",Anna,", ",,"))
    result = runner.invoke(cli, ["check", str(template), str(empty)])
    assert result.exit_code == 1
    assert "empty recipient.FirstName" in result.output


def test_a_field_the_record_lacks_names_field_and_paragraph(
    runner: CliRunner, tmp_path: Path, letter: tuple[Path, Path]
) -> None:
    template, _ = letter
    lines = DONORS.splitlines()
    records = write(tmp_path / "nogender.csv", "\n".join(lines[:2]).replace(",Gender", "", 1))
    records.write_text(
        "Title,FirstName,LastName,Amount,Date,Nickname,City,Country,Organisation,Ref\n"
        "Ms,Anna,Berg,1234.5,2026-11-02,Annie,Lyon,france,Ministry of Culture,A-1\n",
        encoding="utf-8",
    )
    for more in ((), ("--no-check",)):
        result = render(runner, template, records, tmp_path / "out", *more)
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert (
            f"{records}:2: record 'nogender-1': missing field 'recipient.Gender' (used in "
            f'{template}, body paragraph 2 "Dear {{% if recipient.Gender | merge_compare("=", '
            '"F") %}Madam{% els...")'
        ) in result.output
        assert not (tmp_path / "out").exists()


def test_merge_field_names_go_through_the_field_mapping(runner: CliRunner, tmp_path: Path) -> None:
    # Text templates of the campaign say recipient.first_name: the column FirstName is mapped,
    # and the Word document's MERGEFIELD FirstName follows the same mapping.
    template = one_paragraph(
        tmp_path / "m.docx", lambda p: text(p, "Hello "), lambda p: merge_field(p, "FirstName")
    )
    records = write(tmp_path / "r.csv", "FirstName\nAnna\n")
    out = tmp_path / "out"
    result = render(runner, template, records, out, "--map", "FirstName=first_name")
    assert result.exit_code == 0, result.output
    assert (out / "r-1.txt").read_text(encoding="utf-8") == "Hello Anna\n"
    # YAML records already named first_name: the same mapping reads them.
    people = write(tmp_path / "p.yaml", "- first_name: Paul\n")
    result = render(runner, template, people, out, "--map", "FirstName=first_name", "--force")
    assert result.exit_code == 0, result.output
    assert (out / "p-1.txt").read_text(encoding="utf-8") == "Hello Paul\n"


def test_if_operators_wildcards_numbers_and_a_quoted_field_name(
    runner: CliRunner, tmp_path: Path
) -> None:
    amount = Nested([' MERGEFIELD "Gift amount" '], "«Gift_amount»")
    name = Nested([" MERGEFIELD LastName "], "«LastName»")
    template = one_paragraph(
        tmp_path / "m.docx",
        lambda p: complex_field(p, [" IF ", amount, ' >= 1000 "major donor" "donor" '], "donor"),
        lambda p: text(p, ", "),
        lambda p: complex_field(p, [" IF ", name, ' = "B*" "B-list" "" '], ""),
        lambda p: text(p, ", "),
        lambda p: complex_field(p, [" IF ", name, ' <> "Roux" "not Roux" "Roux" '], ""),
        lambda p: text(p, ", "),
        lambda p: merge_field(p, "LastName", "\\* Lower \\* FirstCap"),
    )
    records = write(tmp_path / "r.csv", "Gift amount,LastName\n1200,BERG\n999.5,Roux\n")
    out = tmp_path / "out"
    assert render(runner, template, records, out).exit_code == 0
    assert (out / "r-1.txt").read_text(encoding="utf-8") == "major donor, B-list, not Roux, Berg\n"
    assert (out / "r-2.txt").read_text(encoding="utf-8") == "donor, , Roux, Roux\n"


def test_greeting_line_and_address_block(runner: CliRunner, tmp_path: Path) -> None:
    document = docx.Document()
    simple(document.add_paragraph(), ' ADDRESSBLOCK \\f "<<_TITLE0_ >><<_FIRST0_>>" ', "«AB»")
    greeting = ' GREETINGLINE \\f "<<_BEFORE_ Dear >><<_TITLE0_ >><<_LAST0_>><<,>>" \\l 1033 '
    complex_field(document.add_paragraph(), [greeting], "«GreetingLine»")
    template = save(document, tmp_path / "m.docx")
    records = write(
        tmp_path / "r.yaml",
        """
        - name: Anna Berg
          organisation: Ministry of Culture
          address: [3 rue de Valois, 75001 Paris]
          salutation: Dear Ms Berg,
        """,
    )
    out = tmp_path / "out"
    result = render(runner, template, records, out, "-f", "docx")
    assert result.exit_code == 0, result.output
    assert letter_lines(out / "anna-berg.docx") == [
        "Anna Berg\nMinistry of Culture\n3 rue de Valois\n75001 Paris",
        "Dear Ms Berg,",
    ]


@pytest.mark.parametrize(
    ("instruction", "message"),
    [
        (" NEXT ", "the Word field NEXT (NEXT) puts the next record in the same document"),
        (
            ' SKIPIF { MERGEFIELD Country } = "FR" ',
            'the Word field SKIPIF (SKIPIF { MERGEFIELD Country } = "FR") chooses records '
            "while Word merges; lettergen chooses them before: remove the field and use --where",
        ),
        (' FILLIN "Your name?" ', 'the Word field FILLIN (FILLIN "Your name?") asks whoever'),
        (
            ' MERGEFIELD Date \\@ "d MMMM yyyy HH:mm" ',
            'the field {MERGEFIELD Date \\@ "d MMMM yyyy HH:mm"}: the date picture \'d MMMM '
            "yyyy HH:mm' shows a time of day; lettergen prints dates only (d, M and y)",
        ),
        (
            " MERGEFIELD Name \\* Roman ",
            "the field {MERGEFIELD Name \\* Roman}: the format \\* Roman is not one lettergen",
        ),
        (
            [" IF Gender = ", Nested([" MERGEFIELD Country "], "«Country»"), ' "Madam" "Sir" '],
            'the field {IF Gender = { MERGEFIELD Country } "Madam" "Sir"} compares \'Gender\', '
            "which is neither a merge field nor a quoted text (Word would read a bookmark of "
            "that name): insert the merge field or put the text in quotes",
        ),
    ],
)
def test_fields_lettergen_cannot_merge_are_refused_naming_them(
    runner: CliRunner, tmp_path: Path, instruction: str | list[Any], message: str
) -> None:
    def field(paragraph: Any) -> None:
        if isinstance(instruction, str):
            simple(paragraph, instruction, "x")
        else:
            complex_field(paragraph, instruction, "x")

    template = one_paragraph(tmp_path / "m.docx", lambda p: text(p, "Hi "), field)
    records = write(tmp_path / "r.csv", "Name,Country,Date\nAnna,FR,2026-01-02\n")
    result = render(runner, template, records, tmp_path / "out", "--no-check")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    shown = "Hi x" if isinstance(instruction, str) else "Hi «Country»x"  # nested display
    assert f'{template}: body paragraph 1 "{shown}": {message}' in result.output
    assert not (tmp_path / "out").exists()


def test_a_page_field_stays_a_field(runner: CliRunner, tmp_path: Path) -> None:
    template = one_paragraph(
        tmp_path / "m.docx",
        lambda p: merge_field(p, "Name"),
        lambda p: text(p, ", page "),
        lambda p: complex_field(p, [" PAGE "], "1"),
    )
    records = write(tmp_path / "r.csv", "Name\nAnna\n")
    out = tmp_path / "out"
    assert render(runner, template, records, out, "-f", "docx").exit_code == 0
    xml = package_text(out / "r-1.docx")
    assert xml.count("<w:instrText") == 1 and " PAGE " in xml
    assert letter_lines(out / "r-1.docx") == ["Anna, page 1"]


def test_a_docxtemplater_document_is_refused_saying_how_to_convert(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = one_paragraph(
        tmp_path / "m.docx", lambda p: text(p, "Hello {#people}{name}{/people}")
    )
    records = write(tmp_path / "r.csv", "name\nAnna\n")
    before = snapshot(tmp_path)
    result = render(runner, template, records, tmp_path / "out", "--no-check")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] + "\n" == (
        f"{template}: body paragraph 1 \"Hello {{#people}}{{name}}{{/people}}\": '{{#people}}' "
        "is docxtemplater's tag syntax, which lettergen does not read: write "
        "{% for item in recipient.people %} ... {% endfor %} for a loop, "
        "{% if recipient.people %} ... {% endif %} for a condition (lettergen's tags are "
        "Jinja's, with the record's fields under 'recipient.'), or insert Word merge fields "
        "(Mailings > Insert Merge Field)\n"
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("typed", "uses"),
    [
        (
            "Dear «FirstName»,",
            "it uses Word's merge-field display text '«FirstName»' typed as "
            "text, which lettergen does not read",
        ),
        (
            "Dear <<FirstName>>,",
            "it uses the placeholder '<<FirstName>>', which lettergen does not read",
        ),
        ("Dear friend,", "it holds no merge field and no lettergen tag"),
        ("Dear {{ sender.name }},", "its tags name only sender.name"),
    ],
)
def test_a_document_using_no_recipient_field_is_refused(
    runner: CliRunner, tmp_path: Path, typed: str, uses: str
) -> None:
    template = one_paragraph(tmp_path / "m.docx", lambda p: text(p, typed))
    records = write(tmp_path / "r.csv", "FirstName\nAnna\n")
    sender = write(tmp_path / "s.yaml", "name: Mady\n")
    for more in ((), ("--no-check",)):
        result = render(runner, template, records, tmp_path / "out", "--sender", str(sender), *more)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[-1] == (
            f"{template}: {uses}, so every letter would be the same: write the record's fields "
            "as {{ recipient.name }} (a field under 'recipient.'), or insert Word merge fields "
            "(Mailings > Insert Merge Field)"
        )
        assert not (tmp_path / "out").exists()


@needs_libreoffice
def test_a_merged_letter_converts_to_pdf_without_field_marks(
    runner: CliRunner, tmp_path: Path, letter: tuple[Path, Path]
) -> None:
    template, records = letter
    out = tmp_path / "out"
    result = render(runner, template, records, out, "-f", "pdf", "--only", "donors-1")
    assert result.exit_code == 0, result.output
    shown = subprocess.run(
        ["pdftotext", "-layout", str(out / "donors-1.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "«" not in shown and "MERGEFIELD" not in shown
    for line in EXPECTED["donors-1"]:
        assert " ".join(line.split()) in " ".join(shown.split())


def test_an_if_field_running_on_into_the_next_paragraph_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    document = docx.Document()
    first, second = document.add_paragraph(), document.add_paragraph()
    # Word writes an IF whose texts hold a paragraph break as one field over two paragraphs.
    etree_field = [" IF ", Nested([" MERGEFIELD Gender "], "«Gender»"), ' = "F" "Madam']
    complex_field(first, etree_field, "Madam")
    # The field's end sits in the next paragraph: remove it from the first, put it there.
    end = first._p.findall(qn("w:r"))[-1]
    second._p.append(end)
    text(second, "more")
    template = save(document, tmp_path / "m.docx")
    records = write(tmp_path / "r.csv", "Gender\nF\n")
    result = render(runner, template, records, tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f'{template}: body paragraph 1 "«Gender»Madam": the field {{IF {{ MERGEFIELD Gender }} '
        '= "F" "Madam} goes on into the next paragraph; lettergen merges fields that end in '
        "the paragraph where they start: for texts of several paragraphs, put each in its own "
        "paragraph between {% if %} and {% endif %} paragraphs"
    )
    assert not (tmp_path / "out").exists()


def test_a_template_sent_to_another_process_keeps_the_field_mapping(tmp_path: Path) -> None:
    # Letters spooled or sent to worker processes carry their template as its file and options.
    template = one_paragraph(
        tmp_path / "m.docx", lambda p: text(p, "Hello "), lambda p: merge_field(p, "FirstName")
    )
    loaded = WordTemplate(template, field_map={"FirstName": "first_name"})
    again = pickle.loads(pickle.dumps(loaded))
    assert again.fields() == loaded.fields() == {"recipient.first_name"}


def test_date_and_number_pictures_follow_the_letters_language(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = one_paragraph(
        tmp_path / "m.docx",
        lambda p: merge_field(p, "Date", '\\@ "dddd d MMMM yyyy"'),
        lambda p: text(p, " : "),
        lambda p: merge_field(p, "Amount", "\\# \"#,##0.00 'EUR'\""),
        lambda p: text(p, " / "),
        lambda p: merge_field(p, "Date", "\\@ dd.MM.yy"),
    )
    write(tmp_path / "m.yaml", "locale: fr\n")
    records = write(tmp_path / "r.csv", "Date,Amount\n2026-11-02T09:30:00,1234.5\n")
    out = tmp_path / "out"
    result = render(runner, template, records, out)
    assert result.exit_code == 0, result.output
    assert (out / "r-1.txt").read_text(encoding="utf-8") == (
        "lundi 2 novembre 2026 : 1\u202f234,50 EUR / 02.11.26\n"
    )


def test_words_underscored_name_of_a_column_with_spaces_gets_the_mapping_hint(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Older Word writes the column "First Name" as MERGEFIELD First_Name.
    template = one_paragraph(
        tmp_path / "m.docx", lambda p: text(p, "Hi "), lambda p: merge_field(p, "First_Name")
    )
    records = write(tmp_path / "r.csv", "First Name\nAnna\n")
    out = tmp_path / "out"
    result = render(runner, template, records, out)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"{records}:2: record 'r-1': missing field 'recipient.First_Name' (used in {template}, "
        "body paragraph 1 \"Hi {{ recipient.First_Name }}\"); the record has 'First Name': map "
        "it with --map 'First Name=First_Name' (or 'fields:' in lettergen.yaml)"
    )
    result = render(runner, template, records, out, "--map", "First Name=First_Name")
    assert result.exit_code == 0, result.output
    assert (out / "r-1.txt").read_text(encoding="utf-8") == "Hi Anna\n"
