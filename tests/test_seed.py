"""The sample campaign reproduces the founding letter, with its slip fixed and its salutation
the one protocol writes ("Dear Minister,": the EU style guides open a letter to a minister so;
"Dear Minister of Foreign Affairs," is a warning of `lettergen check`)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lettergen.cli import cli
from tests.conftest import SAMPLE_RECIPIENTS, SAMPLE_TEMPLATE, SEED_LETTER


def render_sample(runner: CliRunner, out: Path) -> None:
    result = runner.invoke(
        cli, ["render", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output


def test_foreign_affairs_letter_is_the_seed_letter_with_its_slip_fixed(
    runner: CliRunner, tmp_path: Path
) -> None:
    render_sample(runner, tmp_path)
    seed_lines = SEED_LETTER.read_text(encoding="utf-8").split("\n")
    # The seed opens with two blank lines and ends with a blank line: not part of the letter.
    assert seed_lines[:2] == ["", ""]
    expected = "\n".join(seed_lines[2:]).rstrip("\n") + "\n"
    slip = "Mr Prime Minister, I call on you"
    assert expected.count(slip) == 1
    expected = expected.replace(slip, "Minister, I call on you")
    assert expected.count("Dear Minister of Foreign Affairs,") == 1
    expected = expected.replace("Dear Minister of Foreign Affairs,", "Dear Minister,")
    # The sample lays the seed out as an office posts it (issue 14): the address first, whole,
    # for the window; date, reference and subject after it; "Yours sincerely,"; name and
    # function on their own lines; the committees and offices left to the letterhead.
    head, body = expected.split("Dear Minister,\n", 1)
    assert head == (
        "Brussels, 25 May 2015\n\nMr Laurent Fabius, Minister of Foreign Affairs\n"
        "Ministère des Affaires étrangères et du Développement international\n\n"
        "37, Quai d'Orsay\n75700 Paris 07SP\n\n"
    )
    body, signature = body.split("Sincerely yours,\n", 1)
    assert signature.startswith("\n\n\nMady Delvaux-Stehres | Member of the European Parliament")
    # The address as La Poste reads it: the ministry first (split over two lines, for the
    # window), then its minister; the country line, the letter being posted in Brussels.
    expected = (
        "Ministère des Affaires étrangères\net du Développement international\n"
        "Mr Laurent Fabius\nMinister of Foreign Affairs\n"
        "37, Quai d'Orsay\n75700 Paris 07SP\nFRANCE\n\n"
        "Brussels, 25 May 2015\nOur ref.: MDS/2015/0525\n\n"
        "Subject: Extradition of Mr Mukhtar Ablyazov\n\nDear Minister,\n"
        + body
        + "Yours sincerely,\n\n\n\nMady Delvaux-Stehres\nMember of the European Parliament\n"
    )

    letter = (tmp_path / "laurent-fabius.txt").read_text(encoding="utf-8")

    assert letter == expected


def test_every_sample_letter_uses_its_own_form_of_address(
    runner: CliRunner, tmp_path: Path
) -> None:
    render_sample(runner, tmp_path)
    expected = {
        "laurent-fabius": ("Dear Minister,", "Minister, I call on you"),
        "manuel-valls": ("Dear Prime Minister,", "Mr Prime Minister, I call on you"),
        "christiane-taubira": ("Dear Minister,", "Madam Minister, I call on you"),
        "bernard-cazeneuve": ("Dear Minister,", "Minister, I call on you"),
        "francois-hollande": ("Dear Mr President,", "Mr President, I call on you"),
    }
    assert sorted(p.stem for p in tmp_path.glob("*.txt")) == sorted(expected)
    for stem, (salutation, call) in expected.items():
        lines = (tmp_path / f"{stem}.txt").read_text(encoding="utf-8").splitlines()
        assert salutation in lines
        assert sum(line.startswith(call) for line in lines) == 1
        # The address first (for the window), its recipient named in its first lines, the
        # country last; the date after it.
        name = stem.split("-")[-1].capitalize()
        assert any(line.endswith(name) for line in lines[:3]), lines[:3]
        assert lines[lines.index("") - 1] == "FRANCE"
        assert "Brussels, 25 May 2015" in lines
