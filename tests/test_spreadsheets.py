"""Recipients from Excel workbooks: cells read as the sheet shows them, rows as line numbers."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from lettergen.cli import cli
from lettergen.inputs.recipients import read_recipients
from tests.conftest import snapshot, write

TEMPLATE = """\
    ---
    locale: en
    ---
    {{ recipient.name }}, {{ recipient.title }}
    {{ recipient.organisation }}
    {% for line in recipient.address %}
    {{ line }}
    {% endfor %}
    {{ recipient.postcode }} {{ recipient.city }}
    Staff: {{ recipient.staff }}
    Meeting of {{ recipient.meeting | format_date }}
    """

HEADER = ["id", "name", "title", "organisation", "address", "postcode", "city", "staff", "meeting"]


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write an .xlsx with openpyxl: one sheet per entry, rows as given (None leaves a gap)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=number, column=column, value=value)
    book.save(path)
    return path


def render(runner: CliRunner, tmp_path: Path, people: Path, *extra: str) -> Result:
    template = write(tmp_path / "letter.txt.j2", TEMPLATE)
    sender = write(tmp_path / "me.yaml", "name: Ana Gomes\n")
    args = ["render", str(template), str(people), "--sender", str(sender)]
    return runner.invoke(cli, [*args, "-o", str(tmp_path / "out"), *extra])


def letter(tmp_path: Path, name: str) -> str:
    return (tmp_path / "out" / f"{name}.txt").read_text(encoding="utf-8")


def test_xlsx_cells_become_fields_as_the_sheet_shows_them(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = workbook(
        tmp_path / "people.xlsx",
        {
            "Ministers": [
                HEADER,
                [
                    "fabius",
                    "Laurent Fabius",
                    "Minister of Foreign Affairs",
                    "Ministère des Affaires étrangères",
                    "37, Quai d'Orsay\n\nCS 40305",
                    "75007",  # typed as text: stays text
                    "Paris",
                    1200.0,  # a whole number Excel stores as a float
                    dt.datetime(2015, 5, 25),
                ],
                [],  # an empty row is skipped
                [
                    "ayrault",
                    "Jean-Marc Ayrault",
                    "Prime Minister",
                    "Hôtel de Matignon",
                    "57, rue de Varenne",
                    1000,  # a number with a zero-padding format: see below
                    "Paris",
                    85,
                    dt.date(2016, 2, 11),
                ],
            ]
        },
    )
    book = openpyxl.load_workbook(people)
    book["Ministers"]["F4"].number_format = "00000"
    book.save(people)

    result = render(runner, tmp_path, people)

    assert result.exit_code == 0, result.output
    assert letter(tmp_path, "fabius") == (
        "Laurent Fabius, Minister of Foreign Affairs\n"
        "Ministère des Affaires étrangères\n"
        "37, Quai d'Orsay\n"
        "CS 40305\n"
        "75007 Paris\n"
        "Staff: 1200\n"
        "Meeting of 25 May 2015\n"
    )
    assert letter(tmp_path, "ayrault") == (
        "Jean-Marc Ayrault, Prime Minister\n"
        "Hôtel de Matignon\n"
        "57, rue de Varenne\n"
        "01000 Paris\n"
        "Staff: 85\n"
        "Meeting of 11 February 2016\n"
    )
    assert sorted(p.name for p in (tmp_path / "out").glob("*.txt")) == [
        "ayrault.txt",
        "fabius.txt",
    ]


def test_first_sheet_by_default_and_sheet_by_name(runner: CliRunner, tmp_path: Path) -> None:
    row = ["Laurent Fabius", "Minister", "MAE", "Quai d'Orsay", "75007", "Paris", 1, None]
    people = workbook(
        tmp_path / "people.xlsx",
        {
            "Government": [HEADER, ["gov-1", *row[:-1], dt.date(2015, 5, 25)]],
            "Parliament": [HEADER, ["parl-1", *row[:-1], dt.date(2015, 6, 1)]],
        },
    )
    book = openpyxl.load_workbook(people)
    book.active = 1  # the sheet Excel opens on is not what "first" means
    book.save(people)

    assert render(runner, tmp_path, people).exit_code == 0
    assert [p.name for p in (tmp_path / "out").glob("*.txt")] == ["gov-1.txt"]

    result = render(runner, tmp_path, people, "--sheet", "Parliament")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.txt")) == ["gov-1.txt", "parl-1.txt"]
    assert letter(tmp_path, "parl-1").endswith("Meeting of 1 June 2015\n")


def test_unknown_sheet_names_the_sheets_there_are(runner: CliRunner, tmp_path: Path) -> None:
    people = workbook(tmp_path / "people.xlsx", {"Government": [HEADER], "Parliament": [HEADER]})
    result = render(runner, tmp_path, people, "--sheet", "Senate")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}: no sheet named 'Senate' (sheets: 'Government', 'Parliament'); check --sheet\n"
    )
    assert not (tmp_path / "out").exists()


def test_header_below_empty_rows_and_lines_are_row_numbers(
    runner: CliRunner, tmp_path: Path
) -> None:
    header = [h for h in HEADER if h != "staff"]
    people = workbook(
        tmp_path / "people.xlsx",
        {
            "Ministers": [
                [],
                [],
                header,
                ["a", "Ana", "Minister", "MAE", "Quai", "75007", "Paris", dt.date(2015, 5, 25)],
            ]
        },
    )
    result = render(runner, tmp_path, people)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{people}:4: record 'a': missing field 'recipient.staff'")
    assert not (tmp_path / "out").exists()


def test_error_cell_names_row_record_field_cell_and_sheet(
    runner: CliRunner, tmp_path: Path
) -> None:
    good = ["a", "Ana", "Minister", "MAE", "Quai", "75007", "Paris", 3, dt.date(2015, 5, 25)]
    bad = ["b", "Bo", "#N/A", "MJ", "Vendôme", "75001", "Paris", 4, dt.date(2015, 5, 25)]
    people = workbook(tmp_path / "people.xlsx", {"Notes": [["x"]], "List": [HEADER, good, bad]})
    result = render(runner, tmp_path, people, "--sheet", "List")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}:3: record 'b': field 'title': sheet 'List': cell C3 holds the "
        "spreadsheet error #N/A\n"
    )
    assert not (tmp_path / "out").exists()


def test_value_under_no_header_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    row = ["a", "Ana", "Minister", "MAE", "Quai", "75007", "Paris", 3, dt.date(2015, 5, 25)]
    people = workbook(tmp_path / "people.xlsx", {"List": [HEADER, row, [*row[:-1], None, "?"]]})
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    result = render(runner, tmp_path, people)
    assert result.exit_code == 1
    assert result.stderr == f"{people}:3: cell J3 holds '?' but its column has no header\n"
    assert snapshot(out) == before


NOT_ZIP = "not an Excel workbook (.xlsx is a zip file; this one is not)"
OLD_XLS = "cannot read '.xls' spreadsheets; save the list as .xlsx (Excel Workbook) or as CSV"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("people.xlsx", b"id,name\na,Ana\n", NOT_ZIP), ("people.xls", b"\xd0\xcf\x11\xe0", OLD_XLS)],
)
def test_files_that_are_not_workbooks(
    runner: CliRunner, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    people = tmp_path / name
    people.write_bytes(content)
    result = render(runner, tmp_path, people)
    assert result.exit_code == 1
    assert result.stderr == f"{people}: {message}\n"
    assert not (tmp_path / "out").exists()


def test_duplicate_ids_across_sheet_and_csv_name_both_rows(
    runner: CliRunner, tmp_path: Path
) -> None:
    row = ["Ana", "Minister", "MAE", "Quai", "75007", "Paris", 3, dt.date(2015, 5, 25)]
    people = workbook(tmp_path / "people.xlsx", {"List": [HEADER, ["x", *row], ["a", *row]]})
    more = write(
        tmp_path / "more.csv",
        "id,name,title,organisation,address,postcode,city,staff,meeting\n"
        "a,Bo,Minister,MJ,Vendôme,75001,Paris,4,2015-05-25\n",
    )
    template = write(tmp_path / "letter.txt.j2", TEMPLATE)
    result = runner.invoke(
        cli, ["render", str(template), str(people), str(more), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"{more}:2: record 'a': field 'id': duplicate id; first used at {people}:3\n"
    )
    assert not (tmp_path / "out").exists()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SST_REL = (
    b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
INLINE = re.compile(r'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t>(.*?)</t></is></c>')


def excel_style(
    source: Path, target: Path, items: dict[str, str] | None = None, unused: int = 0
) -> Path:
    """Rewrite an openpyxl workbook as Excel writes one: text in a shared string table.

    openpyxl writes text inline in each cell; Excel and LibreOffice put every distinct text in
    ``xl/sharedStrings.xml`` and cells point at it, which is the reader's main path. ``items``
    gives raw XML for the table item of some texts (rich text runs, escapes). ``unused``
    strings no cell points at come first in the table, as a workbook's other sheets leave them.
    """
    strings: list[str] = [f"unused {i}" for i in range(unused)]

    def shared(match: re.Match[str]) -> str:
        strings.append(match.group(3))
        return f'<c r="{match.group(1)}"{match.group(2)} t="s"><v>{len(strings) - 1}</v></c>'

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = INLINE.sub(shared, data.decode()).encode()
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", SST_TYPE + b"</Types>")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", SST_REL + b"</Relationships>")
            new.writestr(item, data)
        table = "".join((items or {}).get(s, f"<si><t>{s}</t></si>") for s in strings)
        new.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{table}</sst>')
    return target


STRINGS_IN_MEMORY = 20_000  # a larger table is kept in a temporary file


@pytest.mark.parametrize("unused", [0, STRINGS_IN_MEMORY])
def test_shared_strings_as_excel_writes_them(
    runner: CliRunner, tmp_path: Path, unused: int
) -> None:
    # With unused strings ahead, the table is too large to keep and the cells' texts are
    # read back from the temporary file, as they are for a large workbook.
    rows = [
        ["fabius", "Laurent Fabius", "Minister", "MAE", "Quai d'Orsay", "75007", "Paris", 3],
        ["ayrault", "Jean-Marc Ayrault", "PM", "Matignon", "Rue", "75007", "Paris", 4],
    ]
    inline = workbook(
        tmp_path / "inline.xlsx",
        {"List": [HEADER, *[[*r, dt.date(2015, 5, 25)] for r in rows]]},
    )
    people = excel_style(
        inline,
        tmp_path / "people.xlsx",
        {
            # Rich text: runs in several fonts, and a phonetic guide that is not cell text.
            "MAE": "<si><r><t>Ministère des </t></r><r><rPr><b/></rPr><t>Affaires</t></r>"
            "<rPh><t>fonetikku</t></rPh></si>",
            # Excel escapes a carriage return as _x000D_.
            "Rue": "<si><t>57, rue de Varenne_x000D_\nCS 1</t></si>",
        },
        unused,
    )
    with zipfile.ZipFile(people) as archive:
        assert 't="s"' in archive.read("xl/worksheets/sheet1.xml").decode()

    result = render(runner, tmp_path, people)

    assert result.exit_code == 0, result.output
    assert letter(tmp_path, "fabius") == (
        "Laurent Fabius, Minister\nMinistère des Affaires\nQuai d'Orsay\n75007 Paris\n"
        "Staff: 3\nMeeting of 25 May 2015\n"
    )
    assert letter(tmp_path, "ayrault") == (
        "Jean-Marc Ayrault, PM\nMatignon\n57, rue de Varenne\nCS 1\n75007 Paris\n"
        "Staff: 4\nMeeting of 25 May 2015\n"
    )


def test_1904_date_system_and_typed_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "meeting", "since", "active", "ratio", "phone"])
    sheet.append(["a", dt.date(2015, 5, 25), dt.datetime(2015, 5, 25, 9, 30), True, 0.5, 33123])
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    path = tmp_path / "mac.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        assert 'date1904="1"' in archive.read("xl/workbook.xml").decode()
    [record] = read_recipients([path])
    assert record.fields == {
        "id": "a",
        "meeting": dt.date(2015, 5, 25),
        "since": dt.datetime(2015, 5, 25, 9, 30),
        "active": True,
        "ratio": 0.5,
        "phone": 33123,
    }
    assert (record.line, type(record.fields["id"]).__name__) == (2, "CellText")


def test_rows_stream_and_lines_follow_gaps(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["id", "n"]]
    for i in range(1, 2001):
        rows.append([f"p{i}", i] if i % 100 else [])
    path = workbook(tmp_path / "many.xlsx", {"List": rows})
    records = read_recipients([path])
    first = next(records)
    assert (first.id, first.line, first.fields["n"]) == ("p1", 2, 1)
    rest = list(records)
    assert len(rest) == 2000 - 20 - 1
    assert (rest[-1].id, rest[-1].line) == ("p1999", 2000)


def test_sheet_without_a_workbook_is_a_warning(runner: CliRunner, tmp_path: Path) -> None:
    people = write(
        tmp_path / "people.csv",
        "id,name,title,organisation,address,postcode,city,staff,meeting\n"
        "a,Bo,Minister,MJ,Vendôme,75001,Paris,4,2015-05-25\n",
    )
    result = render(runner, tmp_path, people, "--sheet", "List")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: --sheet 'List': no .xlsx recipients file to take it from; ignored\n"
    )
    assert letter(tmp_path, "a").startswith("Bo, Minister\nMJ\nVendôme\n75001 Paris\n")
