"""`--combine FILE.docx`: every letter of a run in one document, each on new pages."""

from __future__ import annotations

import zipfile

import docx

from lettergen.cli import cli
from tests.docx_helpers import paragraphs_text


def test_combined_document_holds_every_letter_in_its_own_section(runner, sample, tmp_path):
    out, combined = tmp_path / "letters", tmp_path / "print" / "all.docx"
    result = runner.invoke(
        cli,
        ["render", str(sample["template"]), str(sample["recipients"]), "-o", str(out),
         "-f", "txt", "--combine", str(combined)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    texts = sorted(out.glob("*.txt"))
    assert not list(out.glob("*.docx"))  # only the combined document was asked for
    document = docx.Document(str(combined))
    assert len(document.sections) == len(texts) >= 5
    for section in document.sections:
        header = "".join(p.text for p in section.header.paragraphs)
        assert "Mady Delvaux-Stehres" in header
        assert section.start_type == 2  # a new page
    # Each section ends in the last paragraph of one letter: split there, compare with the text.
    body = document.element.body
    letters, current = [], []
    for paragraph in document.paragraphs:
        current.append(paragraph)
        if paragraph._element.xpath("./w:pPr/w:sectPr") or paragraph._element is body[-2]:
            letters.append(current)
            current = []
    order = [t.read_text(encoding="utf-8") for t in texts]
    got = [paragraphs_text(letter) for letter in letters]
    assert sorted(got) == sorted(order)
    with zipfile.ZipFile(combined) as archive:
        assert archive.testzip() is None


def test_an_existing_combined_document_is_kept_without_force(runner, sample, tmp_path):
    combined = tmp_path / "all.docx"
    combined.write_bytes(b"mine")
    args = ["render", str(sample["template"]), str(sample["recipients"]),
            "-o", str(tmp_path / "out"), "--combine", str(combined)]  # fmt: skip
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.startswith(f"{combined}: the combined document already exists")
    assert combined.read_bytes() == b"mine"
    assert not (tmp_path / "out").exists()
    result = runner.invoke(cli, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert len(docx.Document(str(combined)).sections) >= 5


def test_combine_needs_a_docx_name(runner, sample, tmp_path):
    result = runner.invoke(
        cli,
        ["render", str(sample["template"]), str(sample["recipients"]),
         "-o", str(tmp_path / "out"), "--combine", str(tmp_path / "all.pdf")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--combine: " in result.output and "must be a .docx file name" in result.output
    assert not (tmp_path / "out").exists()


def test_campaign_file_gives_letterhead_combine_and_jobs(runner, sample, tmp_path, monkeypatch):
    from tests.conftest import ROOT, write

    write(
        tmp_path / "lettergen.yaml",
        f"""\
        template: {sample["template"]}
        recipients: [{sample["recipients"]}]
        output_dir: out
        format: docx
        letterhead: {ROOT / "templates" / "letterhead.docx"}
        combine: print/all.docx
        jobs: 1
        """,
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render"])
    assert result.exit_code == 0, result.output
    letters = sorted((tmp_path / "out").glob("*.docx"))
    assert len(letters) >= 5
    # The campaign's plain letterhead replaces the template's: no name in the header.
    header = docx.Document(str(letters[0])).sections[0].header
    assert "Delvaux" not in "".join(p.text for p in header.paragraphs)
    assert len(docx.Document(str(tmp_path / "print" / "all.docx")).sections) == len(letters)


def test_campaign_jobs_must_be_a_number(runner, sample, tmp_path, monkeypatch):
    from tests.conftest import write

    write(
        tmp_path / "lettergen.yaml",
        f"""\
        template: {sample["template"]}
        recipients: [{sample["recipients"]}]
        jobs: many
        """,
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "jobs must be a whole number of processes, 1 or more, not 'many'" in result.output
    assert not (tmp_path / "out").exists()
