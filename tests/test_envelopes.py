"""`render -f envelope` and `--labels`: envelopes and label sheets with the letters' addresses."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from lettergen.cli import cli

from .conftest import write
from .test_pdf import needs_libreoffice

MM = 72 / 25.4  # PDF points per millimetre

LETTER = """\
---
sender: me.yaml
locale: en
---
{% for line in recipient | address_block %}
{{ line }}
{% endfor %}

Dear Minister,
"""
SENDER = """\
name: Mady Delvaux-Stehres
country: Luxembourg
offices:
  - city: Brussels
    address: [European Parliament, "60, rue Wiertz", B-1047 Bruxelles]
"""
PEOPLE = """\
- id: fabius
  honorific: Mr
  name: Laurent Fabius
  title: Minister of Foreign Affairs
  organisation: Ministère des Affaires étrangères
  address: ["37, Quai d'Orsay", 75700 Paris 07SP]
  country: FR
- id: merkel
  name: Angela Merkel
  honorific: Frau
  street: Willy-Brandt-Straße 1
  postcode: "10557"
  city: Berlin
  country: DE
- id: bettel
  name: Xavier Bettel
  street: 4, rue de la Congrégation
  postcode: "1352"
  city: Luxembourg
"""
FABIUS = [
    "Ministère des Affaires étrangères",
    "Mr Laurent Fabius",
    "Minister of Foreign Affairs",
    "37, Quai d'Orsay",
    "75700 Paris 07SP",
    "FRANCE",
]


def _campaign(tmp_path: Path, people: str = PEOPLE) -> list[str]:
    write(tmp_path / "me.yaml", SENDER)
    template = write(tmp_path / "letter.txt.j2", LETTER)
    records = write(tmp_path / "people.yaml", people)
    return [str(template), str(records), "-o", str(tmp_path / "out")]


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["render", *args])
    return result.exit_code, result.stdout, result.stderr


def _paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs if p.text]


def test_one_envelope_per_letter_of_the_envelopes_size_with_the_letters_lines(
    tmp_path: Path,
) -> None:
    code, _, err = _run([*_campaign(tmp_path), "-f", "txt", "-f", "envelope"])
    assert code == 0, err
    folder = tmp_path / "out"
    assert sorted(p.name for p in folder.iterdir()) == [
        "bettel.envelope.docx",
        "bettel.txt",
        "fabius.envelope.docx",
        "fabius.txt",
        "manifest.csv",
        "merkel.envelope.docx",
        "merkel.txt",
    ]
    document = docx.Document(str(folder / "fabius.envelope.docx"))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (220, 110)
    text = _paragraphs(folder / "fabius.envelope.docx")
    # The return address, then exactly the letter's address lines.
    return_address = ["Mady Delvaux-Stehres", "European Parliament", "60, rue Wiertz"]
    assert text[:3] == return_address
    letter = (folder / "fabius.txt").read_text(encoding="utf-8").split("\n\n")[0].splitlines()
    assert text[-len(letter) :] == letter
    assert letter[0] == "Ministère des Affaires étrangères"
    assert letter[-1] == "FRANCE"
    merkel = _paragraphs(folder / "merkel.envelope.docx")
    assert merkel[-3:] == ["Willy-Brandt-Straße 1", "10557 BERLIN", "GERMANY"]
    # Posted from Luxembourg to Luxembourg: no country line.
    assert _paragraphs(folder / "bettel.envelope.docx")[-1] == "L-1352 LUXEMBOURG"
    properties = document.core_properties
    assert (properties.title, properties.author) == ("Envelope DL: fabius", "Mady Delvaux-Stehres")


@pytest.mark.parametrize(("size", "mm"), [("C5", (229, 162)), ("c4", (324, 229))])
def test_the_envelope_option_chooses_the_size(
    tmp_path: Path, size: str, mm: tuple[int, int]
) -> None:
    code, _, err = _run([*_campaign(tmp_path), "-f", "envelope", "--envelope", size])
    assert code == 0, err
    section = docx.Document(str(tmp_path / "out" / "merkel.envelope.docx")).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == mm


def test_an_unknown_size_or_sheet_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    args = _campaign(tmp_path)
    code, _, err = _run([*args, "-f", "envelope", "--envelope", "B4"])
    assert (code, err) == (2, "--envelope: unknown size 'B4' (choose from DL, C5, C4)\n")
    code, _, err = _run([*args, "--labels", "L9999"])
    assert code == 2
    assert err == "--labels: unknown label sheet 'L9999' (choose from L7163, L7160, L7162, L7173)\n"
    assert not (tmp_path / "out").exists()


def test_an_address_the_post_cannot_deliver_writes_no_envelope(tmp_path: Path) -> None:
    people = "- {id: x, name: X, street: 1 rue Y, city: Paris, country: FR}\n"
    args = _campaign(tmp_path, people)
    # The letter itself does not print the address: the envelope is what fails.
    write(tmp_path / "letter.txt.j2", "---\nsender: me.yaml\n---\nDear Minister,\n")
    code, _, err = _run([*args, "-f", "txt", "-f", "envelope"])
    assert code == 1
    records = tmp_path / "people.yaml"
    assert err == (
        f"{records}:1: record 'x': field 'postcode': envelope: the record has no postcode, which "
        "an address in France needs; give the record the field 'postcode' (e.g. 33380)\n"
    )
    assert not (tmp_path / "out").exists()


def test_envelopes_and_labels_keep_existing_files_unless_forced(tmp_path: Path) -> None:
    args = [*_campaign(tmp_path), "-f", "envelope", "--labels", "L7163"]
    assert _run(args)[0] == 0
    labels = tmp_path / "out" / "labels-L7163.docx"
    labels.write_bytes(b"mine")
    code, _, err = _run([*_campaign(tmp_path), "-f", "txt", "--labels", "L7163"])
    assert code == 1
    assert err == f"{labels}: the labels document already exists; use --force to overwrite it\n"
    assert labels.read_bytes() == b"mine"
    assert not (tmp_path / "out" / "fabius.txt").exists()
    code, _, err = _run([*_campaign(tmp_path), "-f", "envelope"])
    assert code == 1
    envelope = tmp_path / "out" / "fabius.envelope.docx"
    assert err.startswith(f"{tmp_path / 'out'}: 3 letter(s) already exist: ")
    assert str(envelope) in err
    assert _run([*args, "--force"])[0] == 0
    assert labels.read_bytes() != b"mine"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_letter_named_as_the_labels_document_is_an_error_and_nothing_is_written(
    tmp_path: Path, jobs: str
) -> None:
    """Else one of the two files would silently replace the other."""
    people = PEOPLE.replace("- id: merkel", "- id: labels-L7163")
    args = [*_campaign(tmp_path, people), "-f", "docx", "--labels", "L7163", "-j", jobs]
    code, _, err = _run(args)
    assert code == 1
    line = people.splitlines().index("- id: labels-L7163") + 1
    assert err.endswith(
        f"people.yaml:{line}: record 'labels-L7163': file name 'labels-L7163.docx' is also the "
        "name of the run's labels document; give the record another id or change --name\n"
    )
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_letter_named_as_the_combined_document_is_an_error(tmp_path: Path) -> None:
    args = [*_campaign(tmp_path), "-f", "docx", "--combine", str(tmp_path / "out" / "fabius.docx")]
    code, _, err = _run(args)
    assert code == 1
    assert err.endswith(
        "people.yaml:1: record 'fabius': file name 'fabius.docx' is also the name of the run's "
        "combined document; give the record another id or change --name\n"
    )
    assert not (tmp_path / "out").exists()


def test_dry_run_lists_the_envelopes_and_the_labels_and_writes_nothing(tmp_path: Path) -> None:
    code, out, err = _run(
        [*_campaign(tmp_path), "-f", "envelope", "--labels", "L7160", "--dry-run"]
    )
    assert code == 0, err
    folder = tmp_path / "out"
    assert f"would write {folder / 'fabius.envelope.docx'}  (fabius)" in out
    assert f"would write {folder / 'labels-L7160.docx'}  (every letter)" in out
    assert not folder.exists()


def test_labels_are_one_document_in_record_order_on_the_sheets_grid(tmp_path: Path) -> None:
    code, _, err = _run([*_campaign(tmp_path), "--labels", "L7163"])
    assert code == 0, err
    document = docx.Document(str(tmp_path / "out" / "labels-L7163.docx"))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm, 1) == 15.2
    assert round(section.left_margin.mm, 1) == 4.7
    [table] = document.tables
    # Two labels across with a gap column between them; rows of the labels' exact height.
    assert [round(c.width.mm, 1) for c in table.columns] == [99.1, 2.5, 99.1]
    assert {round(r.height.mm, 1) for r in table.rows} == {38.1}
    cells = [[c.text.split("\n") for c in row.cells] for row in table.rows]
    assert cells[0][0] == FABIUS
    assert cells[0][2][-3:] == ["Willy-Brandt-Straße 1", "10557 BERLIN", "GERMANY"]
    assert cells[1][0] == ["Xavier Bettel", "4, rue de la Congrégation", "L-1352 LUXEMBOURG"]
    assert cells[1][2] == [""]


# -- the pages, as LibreOffice prints them ----------------------------------------------------

_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def _words(pdf: Path, page: int = 1) -> list[tuple[float, float, float, float, str]]:
    """Every word of a PDF's page and its box, in millimetres from the top-left corner."""
    found = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        (float(a) / MM, float(b) / MM, float(c) / MM, float(d) / MM, html.unescape(word))
        for a, b, c, d, word in _WORD.findall(found)
    ]


def _page_size(pdf: Path) -> tuple[int, int]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    assert size is not None
    return round(float(size.group(1)) / MM), round(float(size.group(2)) / MM)


@needs_libreoffice
def test_a_pdf_envelope_has_the_return_address_top_left_and_the_address_in_the_reading_zone(
    tmp_path: Path,
) -> None:
    code, _, err = _run([*_campaign(tmp_path), "-f", "envelope-pdf", "--only", "fabius"])
    assert code == 0, err
    pdf = tmp_path / "out" / "fabius.envelope.pdf"
    assert _page_size(pdf) == (220, 110)
    words = _words(pdf)
    sender = {"Mady", "Delvaux-Stehres", "European", "Parliament", "60,", "rue", "Wiertz"}
    sender |= {"B-1047", "Bruxelles"}
    for left, top, right, bottom, word in words:
        if word in sender:
            # The return address: the top-left corner, clear of the franking zone.
            assert left >= 9 and right <= 110 and top >= 9 and bottom <= 40, word
        else:
            # The DL reading zone: 90 mm from the left, 50 mm from the top, to 15 mm from
            # the right and bottom edges.
            assert left >= 89.5 and right <= 205 and top >= 49.5 and bottom <= 95, word
    assert " ".join(w for *_, w in words if w not in sender).split() == " ".join(FABIUS).split()


@needs_libreoffice
def test_a_pdf_label_sheet_puts_each_address_inside_its_label(tmp_path: Path) -> None:
    people = "".join(
        f"- {{id: p{n}, name: Person {n}, street: Rue {n}, postcode: '{1000 + n}', "
        f"city: Luxembourg}}\n"
        for n in range(16)
    )
    code, _, err = _run([*_campaign(tmp_path, people), "-f", "pdf", "--labels", "L7163"])
    assert code == 0, err
    pdf = tmp_path / "out" / "labels-L7163.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"Pages:\s+2\n", info.stdout)  # 14 a sheet: 16 labels take two
    words = _words(pdf, page=1)
    # "Person N", "Rue N", "L-10NN LUXEMBOURG": every word of label N inside label N's cell
    # (2 across, 7 down, from the top left), each label's words in one cell.
    labels: dict[int, list[tuple[float, float, float, float, str]]] = {}
    for index, word in enumerate(words):
        if word[4] == "Person":
            labels[int(words[index + 1][4])] = words[index : index + 6]
    assert sorted(labels) == list(range(14))
    for n, boxes in labels.items():
        row, column = divmod(n, 2)
        x0, y0 = 4.67 + column * 101.6, 15.15 + row * 38.1
        assert [w for *_, w in boxes] == [
            "Person",
            str(n),
            "Rue",
            str(n),
            f"L-{1000 + n}",
            "LUXEMBOURG",
        ]
        for left, top, right, bottom, word in boxes:
            assert x0 <= left and right <= x0 + 99.06, (n, word)
            assert y0 <= top and bottom <= y0 + 38.1, (n, word)
