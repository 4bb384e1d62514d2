"""CSV files as Excel and databases save them: every encoding and delimiter, read to the letter."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lettergen.cli import cli
from lettergen.errors import RecipientsError
from lettergen.inputs.recipients import read_recipients
from tests.conftest import snapshot, write

TEMPLATE = """\
    {{ recipient.name }}
    {{ recipient.organisation }}
    {{ recipient.city }}
    """

ROWS = [
    ["id", "name", "organisation", "city"],
    ["fabius", "Laurent Fabius", "Ministère des Affaires étrangères", "Paris"],
    ["borne", "Élisabeth Borne", "Ministère de la Transition, de l'Écologie", "Paris"],
    ["rajoy", "Mariano Rajoy", "Presidencia del Gobierno – España", "Madrid"],
]

LETTERS = {
    "fabius": "Laurent Fabius\nMinistère des Affaires étrangères\nParis\n",
    "borne": "Élisabeth Borne\nMinistère de la Transition, de l'Écologie\nParis\n",
    "rajoy": "Mariano Rajoy\nPresidencia del Gobierno – España\nMadrid\n",
}


def table(delimiter: str, newline: str = "\r\n") -> str:
    """The rows as a CSV text, quoting a cell that holds the delimiter or a comma."""

    def cell(text: str) -> str:
        return f'"{text}"' if delimiter in text or "," in text else text

    return "".join(delimiter.join(cell(c) for c in row) + newline for row in ROWS)


def render(runner: CliRunner, tmp_path: Path, people: Path, *extra: str) -> Result:
    template = write(tmp_path / "letter.txt.j2", TEMPLATE)
    return runner.invoke(
        cli, ["render", str(template), str(people), "-o", str(tmp_path / "out"), *extra]
    )


def letters(tmp_path: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((tmp_path / "out").glob("*.txt"))}


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("UTF-8, comma", table(",").encode("utf-8")),
        ("UTF-8 with BOM, semicolon", codecs.BOM_UTF8 + table(";").encode("utf-8")),
        # Excel's "Unicode text": UTF-16 little-endian with a BOM, tab-separated.
        ("UTF-16 LE text, tab", table("\t").encode("utf-16")),
        ("UTF-16 BE with BOM, tab", codecs.BOM_UTF16_BE + table("\t").encode("utf-16-be")),
        ("UTF-16 LE without BOM, tab", table("\t").encode("utf-16-le")),
        ("UTF-8, tab, LF", table("\t", "\n").encode("utf-8")),
    ],
)
def test_unicode_csv_in_every_form_gives_the_same_letters(
    runner: CliRunner, tmp_path: Path, kind: str, data: bytes
) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(data)
    result = render(runner, tmp_path, people)
    assert result.exit_code == 0, f"{kind}: {result.output}"
    assert result.stderr == "", kind
    assert letters(tmp_path) == LETTERS, kind


def test_windows_1252_is_detected_with_a_warning(runner: CliRunner, tmp_path: Path) -> None:
    # Excel's "CSV" in Western Europe: Windows-1252 and semicolons. "–" and "É" are the test.
    people = tmp_path / "people.csv"
    people.write_bytes(table(";").encode("cp1252"))
    result = render(runner, tmp_path, people)
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == LETTERS
    assert result.stderr == (
        f"{people}:2: warning: not UTF-8 (byte 0xe8); read as Windows-1252; "
        "if letters show wrong accents, name the encoding with --encoding\n"
    )


def test_encoding_named_on_the_command_line_is_used_without_a_warning(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(table(",").encode("cp1252"))
    result = render(runner, tmp_path, people, "--encoding", "cp1252")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert letters(tmp_path) == LETTERS


def test_encoding_from_the_campaign_file(runner: CliRunner, tmp_path: Path) -> None:
    # Mac Roman: decodes without error as Windows-1252 too, but to the wrong letters.
    people = tmp_path / "people.csv"
    people.write_bytes("id,name\nfabius,Ministère\n".encode("mac_roman"))
    template = write(tmp_path / "letter.txt.j2", "{{ recipient.name }}\n")
    campaign = write(
        tmp_path / "lettergen.yaml",
        f"template: {template.name}\nrecipients: [{people.name}]\nencoding: mac_roman\n",
    )
    result = runner.invoke(
        cli, ["render", "--campaign", str(campaign), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {"fabius": "Ministère\n"}


def test_undecodable_byte_names_line_and_byte_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    # 0x81 is not a character in Windows-1252 either: no guess can read this file.
    people = tmp_path / "people.csv"
    people.write_bytes(table(";").encode("cp1252") + b"x;Bad\x81Name;Org;City\r\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    result = render(runner, tmp_path, people)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"{people}:5: cannot decode byte 0x81 as Windows-1252 (guessed, as the file is not "
        "UTF-8); name the file's encoding with --encoding"
    )
    assert snapshot(out) == before


def test_named_encoding_that_does_not_fit_names_line_and_byte(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(table(",").encode("utf-16"))
    result = render(runner, tmp_path, people, "--encoding", "utf-8")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}:1: cannot decode byte 0xff as utf-8; check the file's encoding (--encoding)\n"
    )
    assert not (tmp_path / "out").exists()


def test_unknown_encoding_is_misuse(runner: CliRunner, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(table(",").encode("utf-8"))
    result = render(runner, tmp_path, people, "--encoding", "klingon")
    assert result.exit_code == 2
    assert "Invalid value for '--encoding': unknown encoding 'klingon'" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_found_outside_quotes(
    runner: CliRunner, tmp_path: Path, delimiter: str
) -> None:
    # The header's quoted cell holds the other delimiters; they must not count.
    d = delimiter
    text = (
        f'id{d}"name, full; or not"{d}organisation{d}city\nfabius{d}Laurent Fabius{d}MAE{d}Paris\n'
    )
    people = write(tmp_path / "people.csv", text)
    template = write(tmp_path / "letter.txt.j2", '{{ recipient["name, full; or not"] }}\n')
    result = runner.invoke(cli, ["render", str(template), str(people), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == {"fabius": "Laurent Fabius\n"}


READ_SIZE = 1 << 20  # the decoding trial reads a file in pieces of this many bytes


def across_read_end(bom: bytes, codec: str, char: str, cut: int) -> tuple[bytes, int]:
    """Return a CSV table longer than one read whose end cuts ``char`` after ``cut`` bytes.

    The last row's name holds ``char`` and is "...€uro"; also returns the next line's number.
    """
    unit = len("a".encode(codec))
    text = "id,name\n" + "".join(f"p{row:04d},{'a' * 990}\n" for row in range(1040 // unit))
    fill = (READ_SIZE - cut - len(bom) - len(text.encode(codec))) // unit - len("q,")
    text += f"q,{'b' * fill}{char}uro\n"
    data = bom + text.encode(codec)
    assert data.index(char.encode(codec)) == READ_SIZE - cut
    return data, text.count("\n") + 1


@pytest.mark.parametrize(
    ("bom", "codec", "char", "cut", "bad", "byte"),
    [
        # "€" is 3 bytes in UTF-8; the read ends after its first.
        (codecs.BOM_UTF8, "utf-8", "€", 1, b"r,\xff\n", "ff"),
        # "𝄞" is a surrogate pair in UTF-16; the read ends between its halves.
        (codecs.BOM_UTF16_LE, "utf-16-le", "𝄞", 2, b"\x00\xd8", "00"),
    ],
)
def test_bad_byte_after_a_character_cut_by_a_read_is_located(
    tmp_path: Path, bom: bytes, codec: str, char: str, cut: int, bad: bytes, byte: str
) -> None:
    people = tmp_path / "people.csv"
    data, line = across_read_end(bom, codec, char, cut)
    people.write_bytes(data)
    # A file that decodes has no bad byte, wherever a read ends.
    assert [r.fields["name"] for r in read_recipients([people])][-1].endswith(f"{char}uro")
    people.write_bytes(data + bad)
    with pytest.raises(RecipientsError) as error:
        list(read_recipients([people]))
    assert str(error.value).startswith(f"{people}:{line}: cannot decode byte 0x{byte} as UTF-")


def test_guessed_encoding_names_the_line_of_a_bad_byte_after_a_read_end(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    data, line = across_read_end(b"", "utf-8", "€", 1)
    people.write_bytes(data + b"r,\xff\n")
    warnings: list[str] = []
    records = list(read_recipients([people], warn=warnings.append))
    assert warnings == [
        f"{people}:{line}: warning: not UTF-8 (byte 0xff); read as Windows-1252; "
        "if letters show wrong accents, name the encoding with --encoding"
    ]
    assert records[-1].fields == {"id": "r", "name": "ÿ"}


def test_excel_sep_line_names_the_delimiter(runner: CliRunner, tmp_path: Path) -> None:
    # Excel writes "sep=;" above the header when asked to; lines still count from the top.
    people = tmp_path / "people.csv"
    people.write_bytes(b"sep=;\r\n" + table(";").encode("cp1252") + b"x;B;O;C;extra\r\n")
    result = render(runner, tmp_path, people, "--encoding", "cp1252")
    assert result.exit_code == 1
    assert result.stderr == f"{people}:6: row has 5 cells but the header has 4\n"
    people.write_bytes(b"sep=;\r\n" + table(";").encode("cp1252"))
    result = render(runner, tmp_path, people, "--encoding", "cp1252")
    assert result.exit_code == 0, result.output
    assert letters(tmp_path) == LETTERS
