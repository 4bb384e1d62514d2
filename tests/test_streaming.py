"""Records stream from the file: each is handed on before the rest of the file is read.

Proved without timing or memory: a file whose end is broken still yields its first records
before the error, which a reader that loads the whole file first cannot do.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from lettergen.errors import RecipientsError
from lettergen.inputs.recipients import read_recipients
from tests.conftest import write


def broken_files(tmp_path: Path) -> dict[str, Path]:
    """One file per format: two good records, then a fault near the end."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "title"])
    sheet.append(["a", "Minister"])
    sheet.append(["b", "Ambassador"])
    sheet.append(["c", "#N/A"])  # openpyxl stores this as an error cell
    book.save(tmp_path / "people.xlsx")
    return {
        "yaml": write(
            tmp_path / "people.yaml",
            "recipients:\n  - id: a\n    title: Minister\n  - id: b\n    title: Ambassador\n"
            "  - id: c\n    title: [unclosed\n",
        ),
        "json": write(
            tmp_path / "people.json",
            '[{"id": "a", "title": "Minister"},\n {"id": "b", "title": "Ambassador"},\n'
            ' {"id": "c", "title": }]\n',
        ),
        "csv": write(tmp_path / "people.csv", 'id,title\na,Minister\nb,Ambassador\nc,"x\n'),
        "xlsx": tmp_path / "people.xlsx",
    }


@pytest.mark.parametrize("kind", ["yaml", "json", "csv", "xlsx"])
def test_first_records_come_before_a_fault_at_the_end(tmp_path: Path, kind: str) -> None:
    path = broken_files(tmp_path)[kind]
    records = read_recipients([path])
    assert [next(records).id, next(records).id] == ["a", "b"]
    with pytest.raises(RecipientsError) as error:
        next(records)
    assert str(error.value).startswith(f"{path}:")


def test_yaml_recipients_key_among_others_and_aliases_across_records(tmp_path: Path) -> None:
    path = write(
        tmp_path / "people.yaml",
        """\
        campaign: Ablyazov
        defaults: &paris {city: Paris, country: FR}
        recipients:
          - id: a
            address: *paris
          - id: b
            address: {city: Lyon}
        signed: true
        """,
    )
    records = list(read_recipients([path]))
    assert [(r.id, r.line, r.fields["address"]["city"]) for r in records] == [
        ("a", 4, "Paris"),
        ("b", 6, "Lyon"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: a\n---\n- id: b\n", ":2: expected one YAML document, but found another ('---')"),
        ("campaign: x\nsigned: true\n", ":1: expected a list of recipients, or a mapping"),
        ("recipients: everyone\n", ":1: expected a list of recipients"),
        ("just text\n", ":1: expected a list of recipients"),
    ],
)
def test_yaml_shapes_that_are_not_lists(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "people.yaml", text)
    with pytest.raises(RecipientsError) as error:
        list(read_recipients([path]))
    assert str(error.value).startswith(f"{path}{message}")


def test_empty_yaml_file_has_no_records(tmp_path: Path) -> None:
    path = write(tmp_path / "people.yaml", "# nobody yet\n")
    assert list(read_recipients([path])) == []


JSON_DOC = {
    "campaign": {"name": "Ablyazov", "tags": ["a", "b"]},
    "recipients": [
        {"id": "fabius", "staff": 1234567, "note": 'quote " and \\ and\nnewline', "x": None},
        {"id": "valls", "address": ["57, rue de Varenne", "75007 Paris"], "share": -0.25},
        {"id": "élise", "ok": True},
    ],
    "signed": True,
}


READ_SIZE = 1 << 16  # the reader takes the text in pieces of this many characters


def test_json_records_and_lines_are_the_same_wherever_a_read_ends(tmp_path: Path) -> None:
    # A padding field moves the end of the first read through every character of the
    # recipients: it cuts strings, numbers and escapes in two, and keys from their values.
    def text(pad: int) -> str:
        return json.dumps({"pad": "x" * pad, **JSON_DOC}, indent=2, ensure_ascii=False)

    start = text(0).index('"recipients"')
    path = tmp_path / "people.json"
    for offset in range(len(text(0)) - start):
        path.write_text(text(READ_SIZE - start - offset), encoding="utf-8")
        records = list(read_recipients([path]))
        assert [r.fields for r in records] == JSON_DOC["recipients"], offset
        assert [r.line for r in records] == [11, 17, 25], offset


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"id": "a"}] x', ":1: invalid JSON: Extra data"),
        ('[{"id": "a"}\n {"id": "b"}]', ":2: invalid JSON: Expecting ',' delimiter"),
        ('{"campaign": "x"}', ': expected a list of recipients, or an object with a "recipients"'),
        ("42", ': expected a list of recipients, or an object with a "recipients" list'),
        ("", ":1: invalid JSON: Expecting value"),
        ('[{"id": "a",\n "t": tru}]', ":2: invalid JSON: Expecting value"),
    ],
)
def test_json_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "people.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecipientsError) as error:
        list(read_recipients([path]))
    assert str(error.value).startswith(f"{path}{message}")


def test_empty_json_list_and_object(tmp_path: Path) -> None:
    for text in ("[]", '{"recipients": []}', " [ \n ] \n"):
        path = tmp_path / "people.json"
        path.write_text(text, encoding="utf-8")
        assert list(read_recipients([path])) == []


def test_duplicate_id_far_apart_names_the_first_place(tmp_path: Path) -> None:
    # Only hashes of ids are kept; the first place is found by reading again.
    rows = "".join(f"p{i},x\n" for i in range(3000))
    path = write(tmp_path / "people.csv", f"id,title\n{rows}p7,again\n")
    with pytest.raises(RecipientsError) as error:
        list(read_recipients([path]))
    assert str(error.value) == (
        f"{path}:3002: record 'p7': field 'id': duplicate id; first used at {path}:9"
    )


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-8-sig"])
def test_yaml_and_json_encoding_from_a_byte_order_mark(tmp_path: Path, codec: str) -> None:
    yaml_file = tmp_path / "people.yaml"
    yaml_file.write_bytes("- id: élise\n  title: Ministre\n".encode(codec))
    json_file = tmp_path / "people.json"
    json_file.write_bytes('[{"id": "josé"}]'.encode(codec))
    records = list(read_recipients([yaml_file, json_file]))
    assert [(r.id, r.line) for r in records] == [("élise", 1), ("josé", 1)]


def test_yaml_byte_that_is_not_utf8_names_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_bytes("- id: a\n- id: b\n  title: Señora\n".encode("cp1252"))
    with pytest.raises(RecipientsError) as error:
        list(read_recipients([path]))
    assert str(error.value) == (
        f"{path}:3: cannot decode byte 0xf1 as UTF-8; if it was saved by Excel, try "
        "--encoding cp1252"
    )
    assert [r.fields.get("title") for r in read_recipients([path], encoding="cp1252")] == [
        None,
        "Señora",
    ]
