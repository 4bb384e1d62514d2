"""One rendering per letter: the first pass builds the files; the second writes them, spooled."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from lettergen.cli import cli
from lettergen.inputs.recipients import Record
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge
from lettergen.output.spool import Spool, SpooledFormat, SpooledLetter, Stored
from lettergen.writers import Writer

from .conftest import SAMPLE_RECIPIENTS, SAMPLE_TEMPLATE, write


@pytest.mark.parametrize("check", [[], ["--no-check"]])
def test_each_letter_is_rendered_once(runner, tmp_path, monkeypatch, check):
    rendered: Counter[str] = Counter()
    original = Merge.render

    def counting(self: Merge, record: Record, *, marked: bool = False) -> Letter:
        rendered[record.id] += 1
        return original(self, record, marked=marked)

    monkeypatch.setattr(Merge, "render", counting)
    out = tmp_path / "out"
    args = [str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "-o", str(out), "-f", "txt", "-f", "docx"]
    result = runner.invoke(cli, ["render", *args, "-j", "1", *check])
    assert result.exit_code == 0, result.output
    assert set(rendered) == {p.stem for p in out.glob("*.txt")}
    assert len(rendered) == 5
    assert set(rendered.values()) == {1}
    fabius = (out / "laurent-fabius.txt").read_text(encoding="utf-8")
    assert "Minister, I call on you" in fabius


def test_a_failed_run_leaves_nothing_beside_its_output_folder(runner, tmp_path):
    template = write(tmp_path / "in" / "letter.txt.j2", "Dear {{ recipient.name }}, [NAME]\n")
    people = "recipients:\n  - {id: a, name: Ann}\n  - {id: b, name: Bo}\n"
    recipients = write(tmp_path / "in" / "people.yaml", people)
    place = tmp_path / "place"
    place.mkdir()
    result = runner.invoke(cli, ["render", str(template), str(recipients), "-o", str(place / "o")])
    assert result.exit_code == 1
    assert "leftover placeholder '[NAME]'" in result.stderr
    assert os.listdir(place) == []


def _letter(i: int, files: list[Stored], body: str | None, sha: str) -> SpooledLetter:
    source = Path(f"f{i % 2}.csv")
    return SpooledLetter(f"r{i}", source, i + 2, f"r{i}", Path("t.txt.j2"), sha, files, body)


def test_the_spool_gives_back_every_letter_in_order(tmp_path):
    spool = Spool(tmp_path / "not" / "yet")
    try:
        # The second file of each letter is put in a worker's file, as a worker process (-j)
        # does.
        [worker_file] = spool.worker_files(1)
        for i in range(300):
            where = worker_file.put(bytes([i % 256]) * i)
            spool.add(_letter(i, [f"text {i}".encode(), where], f"<p{i}/>", f"h{i}"))
        # Neither the spool nor its workers' files take a name in any folder.
        assert os.listdir(tmp_path) == []
        back = list(spool.letters())
        formats = [SpooledFormat(_Txt(), 0, spool), SpooledFormat(_Txt(), 1, spool)]
        for i, letter in enumerate(back):
            assert (letter.recipient, letter.name, letter.line) == (f"r{i}", f"r{i}", i + 2)
            assert letter.source == Path(f"f{i % 2}.csv")
            assert letter.template == Path("t.txt.j2")
            assert letter.body == f"<p{i}/>"
            assert letter.record_sha256 == f"h{i}"
            assert formats[0].file_of(letter) == f"text {i}".encode()
            assert formats[1].file_of(letter) == bytes([i % 256]) * i
            assert letter.files[0] == f"text {i}".encode()
        assert len(back) == 300
    finally:
        spool.close()


class _Txt(Writer):
    format = "txt"
    suffix = ".txt"

    def to_bytes(self, letter: Letter) -> bytes:
        raise AssertionError("a spooled writer never renders")


@pytest.mark.parametrize(
    ("formats", "more", "workers"),
    [
        (["txt"], [], [2]),  # checking a text letter costs more than handing it over
        (["txt"], ["--no-check"], []),  # rendering and writing one costs less
        (["txt", "docx"], ["--no-check"], [2]),
        (["txt", "docx"], [], [2]),
    ],
)
def test_letters_are_spread_over_processes_where_it_pays(
    runner, tmp_path, monkeypatch, formats, more, workers
):
    from lettergen.output.processes import first_pass as parallel

    people = "".join(f"- {{id: r{i}, name: Person number {i} of many}}\n" for i in range(900))
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    recipients = write(tmp_path / "people.yaml", people)
    assert recipients.stat().st_size >= parallel.PARALLEL_FROM
    calls = []
    original = parallel.first_pass

    def spying(*args, **kwargs):
        calls.append(args[2])  # the number of workers
        return original(*args, **kwargs)

    monkeypatch.setattr(parallel, "first_pass", spying)
    fmt = [arg for f in formats for arg in ("-f", f)]
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["render", str(template), str(recipients), "-o", str(out), *fmt, "-j", "2", *more]
    )
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.txt"))) == 900
    assert calls == workers


def test_records_cross_to_workers_intact():
    from lettergen.inputs.recipients import CellText
    from lettergen.output.processes.first_pass import _pack, _unpack

    records = [
        Record(
            "a", {"name": CellText("Ann"), "address": CellText("1 Road\nTown")}, Path("x.csv"), 2
        ),
        Record("b", {"name": "Bo", "address": ["1 Road", "Town"]}, Path("y.yaml"), 3),
        Record("c", {"name": CellText("Cy"), "org": {"name": CellText("S&D")}}, Path("x.csv"), 4),
    ]
    back = _unpack(_pack(records))
    assert back == records
    # A cell stays a cell (a template loops over its lines), YAML text stays text.
    assert type(back[0].fields["address"]) is CellText
    assert list(back[0].fields["address"]) == ["1 Road", "Town"]
    assert type(back[1].fields["name"]) is str
    assert type(back[2].fields["org"]["name"]) is CellText


def test_a_worker_that_dies_stops_the_run_with_a_message_and_writes_nothing(
    runner, tmp_path, monkeypatch
):
    from lettergen.output.processes import first_pass as parallel

    people = "".join(f"- {{id: r{i}, name: Person number {i} of many}}\n" for i in range(900))
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    recipients = write(tmp_path / "people.yaml", people)
    monkeypatch.setattr(sys.modules[__name__], "_BUILD_CHUNK", parallel._build_chunk)
    monkeypatch.setattr(parallel, "_build_chunk", _dying)
    out = tmp_path / "out"
    args = [str(template), str(recipients), "-o", str(out), "-f", "docx", "-j", "2"]
    result = runner.invoke(cli, ["render", *args])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith("a worker process stopped before its letters were done")
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["letter.txt.j2", "people.yaml"]


_BUILD_CHUNK = None


def _dying(first, packed, before=None):
    """A worker's chunk that kills the worker part-way through the run."""
    if first > 200:
        os._exit(9)
    assert _BUILD_CHUNK is not None
    return _BUILD_CHUNK(first, packed, before)


def test_a_full_disk_while_spooling_is_an_error_not_a_traceback(tmp_path):
    import errno

    from lettergen.errors import OutputError

    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        flush = seek = close = lambda self, *args: None

        def tell(self) -> int:
            return 0

    spool = Spool(tmp_path / "out")
    spool._file.close()
    spool._file = Full()
    with pytest.raises(OutputError) as caught:
        # Letters are written a group at a time: the disk is found full by then at the latest.
        for i in range(64):
            spool.add(_letter(i, [b"text"], None, "h"))
    assert str(caught.value) == f"{tmp_path / 'out'}: cannot write: No space left on device"
    spool._pending = [("r0", 0, 2, "r0", 1, "h", None, [b"text"], None)]
    with pytest.raises(OutputError):
        list(spool.letters())  # and the last group, written when the letters are read back
