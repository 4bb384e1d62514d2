"""PDF letters converted many to one LibreOffice import (writers/pdf_groups), then cut apart.

The promise: a letter converted with others is page for page the letter converted alone: the
same text on the same pages, its page numbers from 1, its own title, and nothing of the others.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from lettergen.cli import cli
from lettergen.writers import pdf, pdf_groups, pdf_uno
from tests.test_pdf import fake_uno, needs_libreoffice, render_pdf

# Recipients whose letters differ in length: "long" ones run to a second page.
PEOPLE = """\
id,name,paragraphs
ada,Ada Short,1
bob,Bob Long,40
cy,Cy Short,2
dee,Dee Long,45
eve,Eve Middle,12
"""

TEMPLATE = """\
---
subject: An appeal
letterhead: head.docx
---
Dear {{ recipient.name }},

{% for n in range(recipient.paragraphs | int) %}
Paragraph {{ n + 1 }} of the letter to {{ recipient.name }}, long enough to fill a line or two.

{% endfor %}
Yours sincerely,
"""


def letterhead(path: Path) -> None:
    """A letterhead whose footer prints the page number (a PAGE field)."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = "Page "
    footer._p.append(
        parse_xml(
            '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            ' w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        )
    )
    document.save(str(path))


def campaign(tmp_path: Path) -> list[str]:
    letterhead(tmp_path / "head.docx")
    (tmp_path / "letter.txt.j2").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    return [str(tmp_path / "letter.txt.j2"), str(tmp_path / "people.csv")]


def pages_text(path: Path) -> list[str]:
    """Each page's words, in order."""
    reader = PdfReader(path)
    out = []
    for number in range(len(reader.pages)):
        page = subprocess.run(
            ["pdftotext", "-f", str(number + 1), "-l", str(number + 1), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        out.append(" ".join(page.stdout.split()))
    return out


def count_conversions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Return the list that will hold, for each conversion, how many letters it held."""
    converted: list[int] = []
    real = pdf_uno.Converter.convert

    def counting(self: pdf_uno.Converter, source: Path, target: Path, *, letters: int = 1) -> None:
        converted.append(letters)
        real(self, source, target, letters=letters)

    monkeypatch.setattr(pdf_uno.Converter, "convert", counting)
    return converted


def needs_uno() -> None:
    soffice = shutil.which("soffice")
    assert soffice is not None
    if pdf_uno.uno_python(soffice) is None:
        pytest.skip("LibreOffice's UNO bindings are needed: apt-get install python3-uno")


@needs_libreoffice
def test_letters_converted_together_are_page_for_page_the_letters_converted_alone(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_uno()
    args = campaign(tmp_path)
    ids = ["ada", "bob", "cy", "dee", "eve"]
    alone, together = tmp_path / "alone", tmp_path / "together"
    monkeypatch.setattr(pdf, "LETTERS", 1)
    result = runner.invoke(cli, ["render", *args, "-f", "pdf", "-o", str(alone), "--no-check"])
    assert result.exit_code == 0, result.output
    # Groups of three: ada, bob and cy in one document, dee and eve in another.
    monkeypatch.setattr(pdf, "LETTERS", 3)
    converted = count_conversions(monkeypatch)
    result = runner.invoke(cli, ["render", *args, "-f", "pdf", "-o", str(together), "--no-check"])
    assert result.exit_code == 0, result.output
    assert sorted(converted) == [2, 3]
    for name in ids:
        expected = pages_text(alone / f"{name}.pdf")
        assert pages_text(together / f"{name}.pdf") == expected
        reader = PdfReader(together / f"{name}.pdf")
        assert reader.metadata is not None
        assert reader.metadata.title == PdfReader(alone / f"{name}.pdf").metadata.title
        # Nothing of the combined document is left: no letter's named destination.
        assert b"LettergenLetter" not in (together / f"{name}.pdf").read_bytes()
    # Each letter numbers its own pages from 1, the long ones over several pages.
    long_letter = pages_text(together / "dee.pdf")
    assert len(long_letter) > 1 and long_letter[0].startswith("Dear Dee Long,")
    assert [page.rsplit(" ", 1)[-1] for page in long_letter] == [
        str(n + 1) for n in range(len(long_letter))
    ]
    assert long_letter[-1].endswith(f"Yours sincerely, Page {len(long_letter)}")
    assert pages_text(together / "eve.pdf")[0].endswith("Page 1")
    assert PdfReader(together / "ada.pdf").metadata.title == "An appeal"
    assert not list(together.glob(".lettergen-*"))


@needs_libreoffice
def test_each_letter_of_a_group_keeps_its_own_title(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Word template's title property names the recipient: each PDF has its own."""
    import docx

    needs_uno()
    template = tmp_path / "letter.docx"
    document = docx.Document()
    document.core_properties.title = "Letter to {{ recipient.name }}"
    document.add_paragraph("Dear {{ recipient.name }},")
    document.save(str(template))
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    out = tmp_path / "out"
    monkeypatch.setattr(pdf, "LETTERS", 5)
    converted = count_conversions(monkeypatch)
    args = ["render", str(template), str(tmp_path / "people.csv"), "-f", "pdf", "-o", str(out)]
    result = runner.invoke(cli, [*args, "--no-check"])
    assert result.exit_code == 0, result.output
    assert converted == [5]
    for name in ("Ada Short", "Bob Long", "Eve Middle"):
        path = out / f"{name.split()[0].lower()}.pdf"
        assert PdfReader(path).metadata.title == f"Letter to {name}"
        assert pages_text(path) == [f"Dear {name},"]


def test_letters_whose_groups_cannot_be_cut_are_converted_alone(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in converter writes no named destinations: each group's letters are tried
    again one by one, and every letter arrives."""
    env, _ = fake_uno(tmp_path, monkeypatch)
    monkeypatch.setattr(pdf, "LETTERS", 2)
    converted = count_conversions(monkeypatch)
    ids = ["ada", "bob", "cy"]
    result, out = render_pdf(runner, tmp_path, ids, env)
    assert result.exit_code == 0, result.output
    # ada and bob together (which failed to be cut), cy alone; then ada and bob alone.
    assert sorted(converted) == [1, 1, 1, 2]
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(f"{i}.pdf" for i in ids)
    for name in ids:
        assert (out / f"{name}.pdf").read_bytes().endswith(f"-{name}.docx\n%%EOF\n".encode())
    assert not list(out.glob(".lettergen-*"))


def letter_docx(document_xml: str, footer: str = "<w:ftr/>") -> bytes:
    """A minimal letter package with ``document_xml``'s body and a footer part."""
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "word/document.xml",
            f"<w:document {w}><w:body>{document_xml}<w:sectPr/></w:body></w:document>",
        )
        archive.writestr("word/footer1.xml", footer.replace("<w:ftr", f"<w:ftr {w}", 1))
        archive.writestr("word/styles.xml", "<styles/>")
    return out.getvalue()


def test_letters_share_a_group_when_only_their_text_differs() -> None:
    one = letter_docx("<w:p><w:r><w:t>Dear Ada</w:t></w:r></w:p>")
    two = letter_docx("<w:p><w:r><w:t>Dear Bob, at length</w:t></w:r></w:p>")
    other_footer = letter_docx(
        "<w:p><w:r><w:t>Dear Cy</w:t></w:r></w:p>",
        "<w:ftr><w:p><w:r><w:t>x</w:t></w:r></w:p></w:ftr>",
    )
    assert pdf_groups.group_key(one) is not None
    assert pdf_groups.group_key(one) == pdf_groups.group_key(two)
    assert pdf_groups.group_key(other_footer) not in (None, pdf_groups.group_key(one))


@pytest.mark.parametrize(
    ("body", "footer"),
    [
        # The number of pages would count every letter of the group.
        ('<w:p><w:fldSimple w:instr=" NUMPAGES "/></w:p>', "<w:ftr/>"),
        (
            "<w:p/>",
            "<w:ftr><w:p><w:r><w:instrText> SECTIONPAGES </w:instrText></w:r></w:p></w:ftr>",
        ),
        # A cross-reference could name another letter's bookmark.
        (
            '<w:p><w:r><w:instrText xml:space="preserve"> PAGEREF x </w:instrText></w:r></w:p>',
            "<w:ftr/>",
        ),
        # Endnotes gather at the end of the document, after the last letter.
        ('<w:p><w:r><w:endnoteReference w:id="1"/></w:r></w:p>', "<w:ftr/>"),
        # A letter of two sections.
        ("<w:p><w:pPr><w:sectPr/></w:pPr></w:p>", "<w:ftr/>"),
    ],
)
def test_a_letter_that_depends_on_its_document_is_converted_alone(body: str, footer: str) -> None:
    assert pdf_groups.group_key(letter_docx(body, footer)) is None


def test_page_numbers_alone_keep_a_letter_in_its_group() -> None:
    footer = '<w:ftr><w:p><w:fldSimple w:instr=" PAGE  \\* Arabic "/></w:p></w:ftr>'
    assert pdf_groups.group_key(letter_docx("<w:p/>", footer)) is not None
