"""The page budget of PDF letters (issue 14, item 2): `check --pdf` and `render -f pdf`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.checks.pages import closing_block, count_pages, only_closing
from lettergen.cli import cli
from tests.conftest import write
from tests.test_pdf import needs_libreoffice, pages

SENTENCE = "This sentence makes the letter longer, so that it runs over onto a second page. "
CLOSING = "Yours sincerely,\n\nMady Delvaux\n\nMember of the European Parliament\n"
RECIPIENTS = "- {id: ann-smith, name: Ann Smith}\n"


def campaign(folder: Path, paragraphs: int, front: str = "", more: int = 0) -> tuple[Path, Path]:
    """A template of ``paragraphs`` long paragraphs (and one of ``more`` sentences) and one
    recipient."""
    body = "\n\n".join([SENTENCE * 12] * paragraphs + ([SENTENCE * more] if more else []))
    template = write(
        folder / "long.txt.j2",
        f"---\nsubject: Test\n{front}---\nDear {{{{ recipient.name }}}},\n\n{body}\n\n{CLOSING}",
    )
    return template, write(folder / "people.yaml", RECIPIENTS)


def over_one_page(name: str) -> str:
    """The warning of a letter ``name`` of two pages under ``pages: 1``."""
    return (
        f"record 'ann-smith': warning: letter {name} runs to 2 page(s), over the front "
        "matter's 'pages' of 1: shorten it, or set 'pages: 2' in the template's front matter"
    )


def run(folder: Path, *args: str) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_closing_block_is_what_follows_the_last_prose() -> None:
    text = ["Dear Ann,", SENTENCE * 2, "", "Yours sincerely,", "Mady Delvaux", "MEP"]
    assert closing_block(text) == ["Yours sincerely,", "Mady Delvaux", "MEP"]
    closing = closing_block(text)
    assert only_closing("Header\nYours sincerely,\nMady Delvaux\n", "Header\nDear Ann,", closing)
    assert not only_closing("Header\nrest of a sentence.\nMady Delvaux", "Header", closing)
    assert not only_closing("Header\n", "Header\n", closing)  # nothing of the letter there


@needs_libreoffice
def test_letter_over_the_budget_is_an_error_naming_the_recipient(tmp_path: Path) -> None:
    campaign(tmp_path, 8, "pages: 1\n")
    status, output = run(tmp_path, "check", "--pdf", "long.txt.j2", "people.yaml")
    assert status == 1
    assert (
        "  record 'ann-smith': error: letter ann-smith.pdf runs to 2 page(s), over the front "
        "matter's 'pages' of 1: shorten it, or set 'pages: 2' in the template's front matter"
    ) in output.splitlines()
    assert "Traceback" not in output


@needs_libreoffice
def test_pages_2_accepts_a_two_page_letter(tmp_path: Path) -> None:
    campaign(tmp_path, 8, "pages: 2\n")
    status, output = run(tmp_path, "check", "--pdf", "long.txt.j2", "people.yaml")
    assert status == 0, output
    assert output.splitlines()[-1] == (
        "1 of 1 letter(s) rendered; 0 error(s), 0 warning(s), 0 note(s)"
    )


@needs_libreoffice
def test_last_page_of_only_the_signature_is_a_warning(tmp_path: Path) -> None:
    # On a plain A4 page, the last paragraph ends page 1 and the name and role go onto page 2.
    campaign(tmp_path, 5, "pages: 2\n", more=5)
    status, output = run(tmp_path, "check", "--pdf", "long.txt.j2", "people.yaml")
    assert status == 0
    assert (
        "  record 'ann-smith': warning: letter ann-smith.pdf: page 2 holds only the closing "
        "and signature; shorten the letter, or keep the closing with the last paragraph "
        "(a block with together: true)"
    ) in output.splitlines()
    status, _ = run(tmp_path, "check", "--pdf", "--strict", "long.txt.j2", "people.yaml")
    assert status == 1


@needs_libreoffice
def test_check_pdf_writes_nothing(tmp_path: Path) -> None:
    campaign(tmp_path, 8)
    before = sorted(tmp_path.rglob("*"))
    status, output = run(tmp_path, "check", "--pdf", "long.txt.j2", "people.yaml")
    assert status == 0, output  # the first letter sets the budget: two pages are its own
    assert sorted(tmp_path.rglob("*")) == before


@needs_libreoffice
def test_render_pdf_warns_of_the_pages_and_writes_the_letters(tmp_path: Path) -> None:
    campaign(tmp_path, 8, "pages: 1\n")
    status, output = run(tmp_path, "render", "-f", "pdf", "long.txt.j2", "people.yaml")
    assert status == 0, output
    assert over_one_page("ann-smith.pdf") in output.splitlines()
    pdf = tmp_path / "letters" / "ann-smith.pdf"
    assert count_pages(pdf.read_bytes()) == pages(pdf) == 2


@pytest.mark.parametrize("value", ["one", 0, True])
def test_pages_must_be_a_whole_number(tmp_path: Path, value: object) -> None:
    campaign(tmp_path, 1, f"pages: {value}\n")
    status, output = run(tmp_path, "render", "-q", "-f", "pdf", "long.txt.j2", "people.yaml")
    assert status == 1
    assert "front matter 'pages' must be a whole number of pages, 1 or more" in output
    assert not (tmp_path / "letters").exists()


@needs_libreoffice
def test_preview_pdf_warns_of_the_pages_as_render_does(tmp_path: Path) -> None:
    campaign(tmp_path, 8, "pages: 1\n")
    status, output = run(tmp_path, "preview", "long.txt.j2", "people.yaml", "--pdf", "ann.pdf")
    assert status == 0, output
    assert over_one_page("ann.pdf") in output.splitlines()
    assert count_pages((tmp_path / "ann.pdf").read_bytes()) == 2
