"""The second pass with several processes: every row first, then the files, whole."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from lettergen.cli import cli
from lettergen.output import put
from lettergen.output.spool import Spool, SpooledLetter, Stored
from tests.docx_helpers import docx_text

from .conftest import write

PEOPLE = "".join(
    f"- {{id: r{i:03}, name: Person number {i} of many, city: Town {i}}}\n" for i in range(900)
)
TEMPLATE = "Dear {{ recipient.name }},\n\nWe write to you in {{ recipient.city }}.\n"


def _render(runner, tmp_path: Path, out: Path, jobs: str, *more: str):
    template = write(tmp_path / "letter.txt.j2", TEMPLATE)
    recipients = write(tmp_path / "people.yaml", PEOPLE)
    args = [str(template), str(recipients), "-o", str(out), "-f", "txt", "-f", "docx"]
    return runner.invoke(cli, ["render", *args, "-j", jobs, *more])


def _rows(out: Path) -> list[list[str]]:
    text = (out / "manifest.csv").read_text(encoding="utf-8")
    return [row[:-1] for row in csv.reader(io.StringIO(text))]  # all but the time


def test_letters_put_in_place_by_several_processes_are_those_of_one(runner, tmp_path, monkeypatch):
    used = []
    original = put.write_spooled

    def spying(*args, **kwargs):
        used.append(args[3])  # how many processes
        return original(*args, **kwargs)

    monkeypatch.setattr(put, "write_spooled", spying)
    one, two = tmp_path / "one", tmp_path / "two"
    combined = ["--combine", str(tmp_path / "all-{}.docx")]
    first = _render(runner, tmp_path, one, "1", combined[0], combined[1].format(1))
    second = _render(runner, tmp_path, two, "2", combined[0], combined[1].format(2))
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert used == [2]  # -j 1 wrote in this process; -j 2 with two
    names = sorted(os.listdir(one))
    assert names == sorted(os.listdir(two))
    assert len(names) == 900 * 2 + 1  # and the manifest
    for name in names:
        if name != "manifest.csv":
            assert (one / name).read_bytes() == (two / name).read_bytes(), name
    for name in ("r000", "r450", "r899"):
        assert docx_text(two / f"{name}.docx") == (two / f"{name}.txt").read_text("utf-8")
    # The rows of -j 2 come in the order the processes finished their groups.
    assert (
        _rows(one)[0]
        == _rows(two)[0]
        == ["recipient", "file", "format", "sha256", "template", "template_sha256", "record_sha256"]
    )
    assert sorted(_rows(one)) == sorted(_rows(two))
    assert docx_text(tmp_path / "all-2.docx") == docx_text(tmp_path / "all-1.docx")
    assert "Person number 899 of many" in docx_text(tmp_path / "all-2.docx")


def test_a_file_that_cannot_be_put_in_place_stops_the_run_with_its_name(runner, tmp_path):
    out = tmp_path / "out"
    (out / "r450.txt").mkdir(parents=True)  # a folder where a letter goes
    result = _render(runner, tmp_path, out, "2", "--force")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        f"{out / 'r450.txt'}: cannot write: Is a directory; "
        "nothing was written: the output folder is as it was" in result.stderr
    )
    # The run is taken back whole: the letters other processes put in place, the manifest.
    assert os.listdir(out) == ["r450.txt"]


class _Rows:
    """A manifest whose rows are file names, appended to a file by the processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def share(self) -> None:
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)

    def row(self, letter, fmt, target, sha256) -> tuple[str, ...]:
        return (target.name,)

    def append(self, rows: list[tuple[str, ...]]) -> None:
        os.write(self.fd, "".join(f"{name}\n" for (name,) in rows).encode())


class _Interrupting:
    """A progress bar that is interrupted (Ctrl-C) when the first group is reported."""

    def advance(self, count: int = 1) -> None:
        raise KeyboardInterrupt


class _Text:
    format = "txt"
    suffix = ".txt"


def test_an_interrupted_put_leaves_only_whole_files(tmp_path):
    spool = Spool(tmp_path)
    body = b"x" * 200_000  # letters big enough to be caught being written
    try:
        for i in range(600):
            files: list[Stored] = [body + str(i).encode()]
            spool.add(
                SpooledLetter(f"r{i}", Path("people.csv"), i + 2, f"r{i}", None, "hash", files)
            )
        out = tmp_path / "out"
        rows = _Rows(tmp_path / "rows")
        with pytest.raises(KeyboardInterrupt):
            put.write_spooled(spool, [_Text()], out, 2, manifest=rows, progress=_Interrupting())
    finally:
        spool.close()
    names = os.listdir(out)
    # Each file's row went out before it (a group's rows, then its files).
    assert set(names) <= set((tmp_path / "rows").read_text().split())
    assert 0 < len(names) < 600  # stopped part-way
    assert not [name for name in names if not name.endswith(".txt")]
    for name in names:
        assert (out / name).read_bytes() == body + name[1:-4].encode()


CHECKED = """\
{{ recipient.honorific }} {{ recipient.name }}, {{ recipient.title }}
{{ recipient.organisation }}
{{ recipient.city }}

{{ recipient.salutation }}

{{ recipient.note }}

{{ recipient.form_of_address }}, I call on you to act.

Yours sincerely,

Ana Gomes
"""


def _checked_people(count: int, slips: bool) -> str:
    people = []
    for i in range(count):
        minister = i % 3 == 0
        title = "Minister of Justice" if minister else "Ambassador to the European Union"
        note = f"Thank you for your letter number {i}."
        if i % 97 == 5:
            note = f"As I wrote to Person {i + 1} Example."  # another recipient: a leak
        organisation = f"Office {i}"
        name = f"Person {i} Example" if i != 500 else "Person 100 Example"
        form = "Minister" if minister else "Excellency"
        if slips and i == 450:
            form = "TODO"
        people.append(
            f"- {{id: p{i}, honorific: Ms, name: '{name}', title: '{title}', "
            f"organisation: '{organisation}', city: 'City {i % 50}', "
            f"salutation: 'Dear {form},', form_of_address: '{form}', note: '{note}'}}\n"
        )
    people[500] = people[500].replace("Office 500", "Office 100")  # the same person twice
    return "".join(people)


@pytest.mark.parametrize("slips", [False, True])
def test_letters_checked_by_several_processes_give_the_report_of_one(runner, tmp_path, slips):
    from lettergen.output.processes.first_pass import PARALLEL_FROM

    # With slips: the copy to the ministers sent to everyone ("Minister, I call on you").
    text = CHECKED.replace("{{ recipient.form_of_address }}, I call", "Minister, I call")
    template = write(tmp_path / "letter.txt.j2", text if slips else CHECKED)
    recipients = write(tmp_path / "people.yaml", _checked_people(900, slips))
    assert recipients.stat().st_size >= PARALLEL_FROM
    results = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        args = [str(template), str(recipients), "-o", str(out), "-f", "txt", "-j", jobs]
        results[jobs] = runner.invoke(cli, ["render", *args])
    one, two = results["1"], results["2"]
    assert (two.exit_code, two.stderr) == (one.exit_code, one.stderr)
    assert "another recipient of this batch" in one.stderr
    assert "the same person twice?" in one.stderr
    if slips:
        assert one.exit_code == 1
        assert "leftover placeholder 'TODO'" in one.stderr
        # One finding for the 600 ambassadors, counted across both processes' letters.
        assert "'Minister' addresses the office 'Minister', but this recipient is " in one.stderr
        assert "(also in 599 other letter(s): p2, p4, p5," in one.stderr
        assert not (tmp_path / "out-2").exists()
    else:
        assert one.exit_code == 0, one.stderr
        names = sorted(os.listdir(tmp_path / "out-1"))
        assert names == sorted(os.listdir(tmp_path / "out-2"))
        assert len(names) == 901
        for name in names:
            if name == "manifest.csv":
                continue
            assert (tmp_path / "out-1" / name).read_bytes() == (
                tmp_path / "out-2" / name
            ).read_bytes()
