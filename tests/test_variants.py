"""Language variants: a recipient's ``language`` picks ``NAME.LANG.txt.j2`` when it exists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.merge.render import Merge
from lettergen.options import MergeOptions
from lettergen.templating.environment import LetterTemplate
from lettergen.templating.variants import (
    find_variants,
    fingerprint,
    split_name,
    variant_path,
    variant_problems,
)
from tests.conftest import ROOT, write

DEFAULT = """\
    ---
    locale: en
    greeting: Dear
    ---
    {{ date | format_date }}
    {{ letter.greeting }} {{ recipient.name }},
    """
GERMAN = """\
    ---
    greeting: Sehr geehrte(r)
    ---
    {{ date | format_date }}
    {{ letter.greeting }} {{ recipient.name }},
    """
RECIPIENTS = """\
    - {id: anna, name: Anna, language: de}
    - {id: bert, name: Bert, language: DE}
    - {id: carl, name: Carl, language: de_AT}
    - {id: dora, name: Dora}
    - {id: emil, name: Emil, language: en}
    - {id: fred, name: Fred, language: "../../etc/passwd"}
    """


def render(runner: CliRunner, tmp_path: Path, *extra: str) -> dict[str, str]:
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        [
            "render",
            str(tmp_path / "letter.txt.j2"),
            str(tmp_path / "people.yaml"),
            "--date",
            "2015-05-25",
            "-o",
            str(out),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return {p.stem: p.read_text(encoding="utf-8") for p in out.glob("*.txt")}


def test_language_picks_the_variant_and_its_locale(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "letter.txt.j2", DEFAULT)
    write(tmp_path / "letter.de.txt.j2", GERMAN)
    write(tmp_path / "people.yaml", RECIPIENTS)

    letters = render(runner, tmp_path)

    german = "25. Mai 2015\nSehr geehrte(r) {},\n"
    english = "25 May 2015\nDear {},\n"
    assert letters == {
        "anna": german.format("Anna"),
        "bert": german.format("Bert"),
        "carl": german.format("Carl"),  # de_AT falls back to the plain German variant
        "dora": english.format("Dora"),
        "emil": english.format("Emil"),
        "fred": english.format("Fred"),  # not a language tag: never becomes a path
    }


def test_front_matter_locale_of_the_variant_wins(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "letter.txt.j2", DEFAULT)
    write(
        tmp_path / "letter.de.txt.j2",
        "---\nlocale: de_CH\n---\n{{ date | format_date('full') }}\n"
        "{{ letter.greeting }} {{ recipient.name }},\n",
    )
    write(tmp_path / "people.yaml", "- {id: anna, name: Anna, language: de}\n")

    letters = render(runner, tmp_path)

    # The variant has no greeting of its own: it inherits its default's front matter.
    assert letters == {"anna": "Montag, 25. Mai 2015\nDear Anna,\n"}


def test_missing_variant_is_warned_once_and_the_default_used(
    runner: CliRunner, tmp_path: Path
) -> None:
    write(tmp_path / "letter.txt.j2", DEFAULT)
    write(
        tmp_path / "people.yaml",
        "- {id: anna, name: Anna, language: fr}\n- {id: bert, name: Bert, language: fr}\n",
    )

    result = runner.invoke(
        cli,
        [
            "render",
            str(tmp_path / "letter.txt.j2"),
            str(tmp_path / "people.yaml"),
            "--date",
            "2015-05-25",
            "-o",
            str(tmp_path / "out"),
        ],
    )

    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning") == 1
    assert (
        f"{tmp_path / 'people.yaml'}:1: warning: record 'anna': no 'fr' variant of letter.txt.j2 "
        "(letter.fr.txt.j2); using the default template" in result.stderr
    )
    assert (tmp_path / "out" / "bert.txt").read_text(encoding="utf-8") == (
        "25 May 2015\nDear Bert,\n"
    )


def test_each_variant_is_compiled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "letter.txt.j2", DEFAULT)
    write(tmp_path / "letter.de.txt.j2", GERMAN)
    people = "".join(
        f"- {{id: p{i}, name: P{i}, language: {'de' if i % 2 else 'en'}}}\n" for i in range(50)
    )
    write(tmp_path / "people.yaml", people)
    compiled: list[str] = []
    original = LetterTemplate.__init__

    def counting(self: LetterTemplate, path: Path, encoding: str | None = None) -> None:
        compiled.append(path.name)
        original(self, path, encoding)

    monkeypatch.setattr(LetterTemplate, "__init__", counting)
    merge = Merge(MergeOptions(tmp_path / "letter.txt.j2", [tmp_path / "people.yaml"]))

    letters = list(merge.letters())

    assert len(letters) == 50
    assert sorted(compiled) == ["letter.de.txt.j2", "letter.txt.j2"]
    assert letters[1].template == tmp_path / "letter.de.txt.j2"
    assert letters[0].template == tmp_path / "letter.txt.j2"


def test_an_error_in_a_variant_names_the_variant_line(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "letter.txt.j2", DEFAULT)
    write(tmp_path / "letter.de.txt.j2", "---\nlocale: de\n---\nHallo\n{{ recipient.titel }}\n")
    write(tmp_path / "people.yaml", "- {id: anna, name: Anna, language: de}\n")

    result = runner.invoke(
        cli,
        [
            "render",
            str(tmp_path / "letter.txt.j2"),
            str(tmp_path / "people.yaml"),
            "-o",
            str(tmp_path / "out"),
        ],
    )

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"{tmp_path / 'people.yaml'}:1: record 'anna': missing field 'recipient.titel' "
        f"(used at {tmp_path / 'letter.de.txt.j2'}:5)"
    )
    assert not (tmp_path / "out").exists()


def test_sample_campaign_writes_the_french_letter_in_french(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)

    result = runner.invoke(cli, ["render", "-o", str(tmp_path)])

    assert result.exit_code == 0, result.output
    french = (tmp_path / "claude-bartolone.txt").read_text(encoding="utf-8").splitlines()
    # The address first (for the window's frame), then the date in French.
    assert french[:9] == [
        "Présidence de l'Assemblée nationale",
        "Monsieur Claude Bartolone",
        "Président de l'Assemblée nationale",
        "Hôtel de Lassay",
        "128, rue de l'Université",
        "75007 Paris",
        "FRANCE",
        "",
        "Bruxelles, le 25 mai 2015",
    ]
    assert "Objet : Extradition de M. Moukhtar Abliazov" in french
    assert "Monsieur le Président," in french
    assert sum(line.startswith("Monsieur le Président, je vous appelle") for line in french) == 1
    # The signatory's function in French: the profile's French value (issue 14).
    assert french[-2:] == ["Mady Delvaux-Stehres", "Députée au Parlement européen"]
    assert french[-6].startswith("Je vous prie d'agréer, Monsieur le Président, l'expression")
    english = (tmp_path / "laurent-fabius.txt").read_text(encoding="utf-8").splitlines()
    assert english[:9] == [
        "Ministère des Affaires étrangères",
        "et du Développement international",
        "Mr Laurent Fabius",
        "Minister of Foreign Affairs",
        "37, Quai d'Orsay",
        "75700 Paris 07SP",
        "FRANCE",
        "",
        "Brussels, 25 May 2015",
    ]
    # Same fields, and it says it translates the current appeal (whatever the files' times).
    assert variant_problems(ROOT / "templates" / "appeal.txt.j2") == []


def test_names_of_variants() -> None:
    assert split_name(Path("t/appeal.txt.j2")) == ("appeal", ".txt.j2")
    assert split_name(Path("t/appeal.v2.txt.j2")) == ("appeal.v2", ".txt.j2")
    assert split_name(Path("t/appeal.docx")) == ("appeal", ".docx")
    assert variant_path(Path("t/appeal.txt.j2"), "fr") == Path("t/appeal.fr.txt.j2")
    assert variant_path(Path("t/appeal.docx"), "fr") == Path("t/appeal.fr.docx")


def test_variant_problems_report_field_differences_and_stale_variants(tmp_path: Path) -> None:
    default = write(tmp_path / "letter.txt.j2", "{{ recipient.name }} {{ recipient.title }}\n")
    write(tmp_path / "letter.fr.txt.j2", "{{ recipient.name }} {{ recipient.titre }}\n")
    write(tmp_path / "letter.de.txt.j2", "{{ recipient.name }} {{ recipient.title }}\n")
    write(tmp_path / "letter.it.txt.j2", "{% if %}\n")
    write(tmp_path / "other.fr.txt.j2", "{{ recipient.x }}\n")  # another template's variant
    # The German variant was last saved before its default changed.
    os.utime(tmp_path / "letter.de.txt.j2", (1_000_000, 1_000_000))
    os.utime(default, (2_000_000, 2_000_000))
    for name in ("letter.fr.txt.j2", "letter.it.txt.j2"):
        os.utime(tmp_path / name, (3_000_000, 3_000_000))

    assert sorted(find_variants(default)) == ["de", "fr", "it"]
    problems = [str(p) for p in variant_problems(default)]

    assert problems == [
        f"{tmp_path / 'letter.de.txt.j2'}: warning: 'de' variant not touched since its default "
        "letter.txt.j2 changed; is the translation up to date? Once it is, put translates: "
        f"{fingerprint(LetterTemplate(default))} in its front matter",
        f"{tmp_path / 'letter.fr.txt.j2'}: error: 'fr' variant uses field(s) letter.txt.j2 "
        "does not: recipient.titre",
        f"{tmp_path / 'letter.fr.txt.j2'}: error: 'fr' variant lacks field(s) letter.txt.j2 "
        "uses: recipient.title",
        f"{tmp_path / 'letter.it.txt.j2'}:1: error: template syntax error: Expected an "
        "expression, got 'end of statement block'",
    ]


def test_no_variants_no_problems(tmp_path: Path) -> None:
    default = write(tmp_path / "letter.txt.j2", "{{ recipient.name }}\n")
    assert variant_problems(default) == []


def test_french_word_letter_has_the_text_of_the_french_text_letter(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.docx_helpers import docx_text

    monkeypatch.chdir(ROOT)

    result = runner.invoke(
        cli,
        ["render", "-f", "txt", "-f", "docx", "--only", "claude-bartolone", "-o", str(tmp_path)],
    )

    assert result.exit_code == 0, result.output
    text = (tmp_path / "claude-bartolone.txt").read_text(encoding="utf-8")
    assert text.startswith("Présidence de l'Assemblée nationale\nMonsieur Claude Bartolone\n")
    assert "\n\nBruxelles, le 25 mai 2015\n" in text
    assert docx_text(tmp_path / "claude-bartolone.docx") == text


def test_translates_names_the_version_of_the_default_a_variant_translates(
    tmp_path: Path,
) -> None:
    default = write(tmp_path / "letter.txt.j2", "---\nlocale: en\n---\nDear {{ recipient.name }}\n")
    now = fingerprint(LetterTemplate(default))
    # Older than its default, but it says it translates this very version: no warning.
    fresh = write(
        tmp_path / "letter.fr.txt.j2",
        f"---\ntranslates: {now}\n---\nCher {{{{ recipient.name }}}}\n",
    )
    stale = write(
        tmp_path / "letter.de.txt.j2",
        "---\ntranslates: 0123456789ab\n---\nHallo {{ recipient.name }}\n",
    )
    os.utime(fresh, (1_000_000, 1_000_000))
    os.utime(stale, (3_000_000_000, 3_000_000_000))

    assert [str(p) for p in variant_problems(default)] == [
        f"{stale}: warning: 'de' variant translates another version of letter.txt.j2 "
        f"(translates: 0123456789ab; it is now {now}): update the translation, then set "
        f"translates: {now}",
    ]
    # The fingerprint is of the text: a change of front matter (a letterhead) keeps it.
    write(default, "---\nlocale: en\nletterhead: x.docx\n---\nDear {{ recipient.name }}\n")
    assert fingerprint(LetterTemplate(default)) == now
    write(default, "---\nlocale: en\n---\nDear {{ recipient.name }}, hello\n")
    assert fingerprint(LetterTemplate(default)) != now
