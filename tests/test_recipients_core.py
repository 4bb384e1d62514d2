"""Recipient files: every format gives records that know their file and line."""

from __future__ import annotations

from pathlib import Path

from lettergen.inputs.recipients import read_file, read_recipients
from tests.conftest import write


def test_yaml_list_and_recipients_mapping_remember_lines(tmp_path: Path) -> None:
    plain = write(tmp_path / "a.yaml", "# ministers\n- name: Ana\n  title: X\n- name: Bo\n")
    mapping = write(tmp_path / "b.yml", "campaign: x\nrecipients:\n  - id: cy\n")
    records = list(read_recipients([plain, mapping]))
    assert [(r.id, r.path.name, r.line) for r in records] == [
        ("ana", "a.yaml", 2),
        ("bo", "a.yaml", 4),
        ("cy", "b.yml", 3),
    ]
    assert records[0].fields == {"name": "Ana", "title": "X"}


def test_json_records_remember_lines(tmp_path: Path) -> None:
    array = write(tmp_path / "a.json", '[\n  {"id": "x"},\n\n  {"id": "y",\n   "n": [1, 2]}\n]\n')
    wrapped = write(tmp_path / "b.json", '{"campaign": "c",\n "recipients": [\n {"id": "z"}]}\n')
    records = list(read_recipients([array, wrapped]))
    assert [(r.id, r.line) for r in records] == [("x", 2), ("y", 4), ("z", 3)]
    assert records[1].fields == {"id": "y", "n": [1, 2]}


def test_csv_from_excel_semicolons_bom_stray_header_spaces(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    text = (
        '\ufeffid; name ;address.city\r\nfr-1;Jean;Paris\r\n;;\r\nde-1;"Anna\r\nMaria";Berlin\r\n'
    )
    path.write_bytes(text.encode("utf-8"))
    warnings: list[str] = []
    records = list(read_recipients([path], warn=warnings.append))
    assert [(r.id, r.line) for r in records] == [("fr-1", 2), ("de-1", 4)]
    assert records[0].fields == {"id": "fr-1", "name": "Jean", "address": {"city": "Paris"}}
    assert records[1].fields["name"] == "Anna\nMaria"
    assert warnings == [
        f"{path}:1: warning: header cell 2 ' name ' has stray spaces; read as 'name'"
    ]


def test_ids_fall_back_to_the_file_name_and_position(tmp_path: Path) -> None:
    path = write(tmp_path / "Ministres 2015.yaml", "- title: ''\n- salutation: Madame\n")
    assert [r.id for r in read_recipients([path])] == ["ministres-2015-1", "ministres-2015-2"]


def test_reading_some_columns_of_a_csv_keeps_ids_lines_and_those_fields(tmp_path: Path) -> None:
    # The checks read a CSV file a second time for who the recipients are: only those columns.
    path = tmp_path / "people.csv"
    path.write_text(
        "name,email,notes,title\n"
        'Ana Gomes,ana@example.org,"two\r\nlines",MEP\n'
        ",,,\n"
        "Bo Li,bo@example.org,,Minister\n",
        encoding="utf-8",
    )
    full = list(read_file(path))
    some = list(read_file(path, columns=frozenset({"name", "title", "id"})))
    assert [(r.id, r.line) for r in some] == [(r.id, r.line) for r in full]
    assert [r.fields for r in some] == [
        {"name": "Ana Gomes", "title": "MEP"},
        {"name": "Bo Li", "title": "Minister"},
    ]
    assert full[0].fields["notes"] == "two\nlines"
    # Dotted headers nest fields: every column is read.
    dotted = tmp_path / "dotted.csv"
    dotted.write_text("name,address.city\nAna Gomes,Lisbon\n", encoding="utf-8")
    (record,) = read_file(dotted, columns=frozenset({"name"}))
    assert record.fields == {"name": "Ana Gomes", "address": {"city": "Lisbon"}}
