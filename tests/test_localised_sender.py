"""A signatory in the letter's language, and Word letters marked in it (issue 14, item 6)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.writers.language import language_tag
from tests.conftest import write

PROFILE = """\
name: Mady Delvaux-Stehres
role:
  en: Member of the European Parliament
  fr: Députée au Parlement européen
group: {en: S&D Group}
"""
BODY = "{{ recipient.name }}\n\n{{ sender.name }}\n{{ sender.role }}\n{{ sender.group }}\n"


def campaign(folder: Path) -> list[str]:
    write(folder / "sender.yaml", PROFILE)
    write(folder / "appeal.txt.j2", f"---\nlocale: en\nsender: sender.yaml\n---\n{BODY}")
    write(folder / "appeal.fr.txt.j2", f"---\nlocale: fr\n---\n{BODY}")
    write(
        folder / "people.yaml",
        "- {id: ann, name: Ann Smith, language: en}\n"
        "- {id: jean, name: Jean Dupont, language: fr}\n",
    )
    return [str(folder / "appeal.txt.j2"), str(folder / "people.yaml")]


def langs(docx: Path, part: str) -> set[str]:
    with zipfile.ZipFile(docx) as archive:
        xml = archive.read(part).decode("utf-8")
    return set(re.findall(r'<w:lang\b[^>]*\bw:val="([^"]*)"', xml))


def test_french_letter_takes_french_values_and_english_the_english(tmp_path: Path) -> None:
    args = campaign(tmp_path)
    out = tmp_path / "letters"
    result = CliRunner().invoke(cli, ["render", "-q", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "jean.txt").read_text(encoding="utf-8") == (
        "Jean Dupont\n\nMady Delvaux-Stehres\nDéputée au Parlement européen\nS&D Group\n"
    )
    assert (out / "ann.txt").read_text(encoding="utf-8") == (
        "Ann Smith\n\nMady Delvaux-Stehres\nMember of the European Parliament\nS&D Group\n"
    )


def test_missing_language_falls_back_to_english_then_the_first(tmp_path: Path) -> None:
    args = campaign(tmp_path)
    write(tmp_path / "sender.yaml", "name: M\nrole: {de: Abgeordnete, fr: Députée}\ngroup: G\n")
    out = tmp_path / "letters"
    result = CliRunner().invoke(cli, ["render", "-q", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    # No English value: the English letter takes the first one given.
    assert (out / "ann.txt").read_text(encoding="utf-8") == "Ann Smith\n\nM\nAbgeordnete\nG\n"
    assert (out / "jean.txt").read_text(encoding="utf-8") == "Jean Dupont\n\nM\nDéputée\nG\n"


def test_word_letters_are_marked_in_their_language(tmp_path: Path) -> None:
    args = campaign(tmp_path)
    out = tmp_path / "letters"
    result = CliRunner().invoke(cli, ["render", "-q", *args, "-o", str(out), "-f", "docx"])
    assert result.exit_code == 0, result.output
    assert langs(out / "jean.docx", "word/styles.xml") == {"fr-FR"}
    assert langs(out / "ann.docx", "word/styles.xml") == {"en-GB"}
    assert langs(out / "jean.docx", "word/document.xml") <= {"fr-FR"}


def test_sample_letterhead_runs_are_marked_french(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent
    out = tmp_path / "letters"
    result = CliRunner().invoke(
        cli,
        [
            "render",
            "-q",
            str(root / "templates" / "appeal.txt.j2"),
            str(root / "recipients" / "french-government.yaml"),
            "-o",
            str(out),
            "-f",
            "docx",
            "--limit",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    [docx] = out.glob("*.docx")
    with zipfile.ZipFile(docx) as archive:
        parts = [n for n in archive.namelist() if re.fullmatch(r"word/\w+\.xml", n)]
    found = set().union(*(langs(docx, part) for part in parts))
    assert found and found <= {language_tag("en")}, found


def test_language_tags() -> None:
    assert language_tag("fr") == "fr-FR"
    assert language_tag("fr_BE") == "fr-BE"
    assert language_tag("en") == "en-GB"
    assert language_tag("de") == "de-DE"


def letterhead(path: Path, header: str) -> None:
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = header
    document.save(str(path))


def header_text(path: Path) -> str:
    import docx

    return docx.Document(str(path)).sections[0].header.paragraphs[0].text


def test_french_letters_take_the_french_letterhead(tmp_path: Path) -> None:
    args = campaign(tmp_path)
    letterhead(tmp_path / "head.docx", "Member of the European Parliament")
    letterhead(tmp_path / "head.fr.docx", "Députée au Parlement européen")
    template = tmp_path / "appeal.txt.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace("---\n", "---\nletterhead: head.docx\n", 1),
        encoding="utf-8",
    )
    out = tmp_path / "letters"
    result = CliRunner().invoke(cli, ["render", "-q", *args, "-o", str(out), "-f", "docx"])
    assert result.exit_code == 0, result.output
    assert header_text(out / "jean.docx") == "Députée au Parlement européen"
    assert header_text(out / "ann.docx") == "Member of the European Parliament"
    assert langs(out / "jean.docx", "word/header1.xml") <= {"fr-FR"}


def test_only_mappings_of_language_tags_are_per_language() -> None:
    from lettergen.inputs.sender import localised

    profile = {
        "offices": [{"city": {"en": "Brussels", "fr": "Bruxelles"}, "room": "ASP 15G115"}],
        "country": {"code": "LU", "name": "Luxembourg"},
        "committees": [{"en": "Legal Affairs", "fr-BE": "Affaires juridiques"}],
    }
    assert localised(profile, "fr_BE") == {
        "offices": [{"city": "Bruxelles", "room": "ASP 15G115"}],
        "country": {"code": "LU", "name": "Luxembourg"},
        "committees": ["Affaires juridiques"],
    }
    assert localised(profile, "fr")["committees"] == ["Legal Affairs"]
