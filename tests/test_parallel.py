"""The first pass with several processes (-j): chunks out, results back, over pipes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lettergen.cli import cli
from lettergen.errors import RecipientsError
from lettergen.options import MergeOptions, RenderOptions
from lettergen.output.processes import first_pass as parallel
from lettergen.output.processes.workers import Workers
from lettergen.output.run import render
from tests.docx_helpers import docx_text

from .conftest import write

TEMPLATE = "Dear {{ recipient.name }},\n\nYour note has {{ recipient.note | length }} characters.\n"


def _recipients(tmp_path: Path, count: int, note: int) -> Path:
    lines = [f"- {{id: r{i:03}, name: Person {i}, note: {'x' * (note + i)}}}" for i in range(count)]
    return write(tmp_path / "people.yaml", "\n".join(lines) + "\n")


def test_records_larger_than_a_pipe_holds_cross_intact(runner, tmp_path):
    # 64 records of 40 kB make a chunk of 2.6 MB, forty times what a pipe holds at once: the
    # main process sends it piece by piece as the worker reads, while taking results back.
    recipients = _recipients(tmp_path, 200, 40_000)
    template = write(tmp_path / "letter.txt.j2", TEMPLATE)
    out = tmp_path / "out"
    args = [str(template), str(recipients), "-o", str(out), "-f", "docx", "--no-check"]
    result = runner.invoke(cli, ["render", *args, "-j", "2"])
    assert result.exit_code == 0, result.output
    for i in (0, 63, 64, 199):
        text = docx_text(out / f"r{i:03}.docx")
        assert f"Dear Person {i}," in text
        assert f"Your note has {40_000 + i} characters." in text
    assert len(list(out.glob("*.docx"))) == 200


def _broken_chunk(first, packed, before=None):
    raise ValueError("a bug in a worker")


def test_a_bug_in_a_worker_is_raised_in_the_run_not_waited_for(tmp_path, monkeypatch):
    recipients = _recipients(tmp_path, 300, 100)
    template = write(tmp_path / "letter.txt.j2", TEMPLATE)
    monkeypatch.setattr(parallel, "_build_chunk", _broken_chunk)
    out = tmp_path / "out"
    options = RenderOptions(output_dir=out, formats=["docx"], jobs=2, check=False)
    with pytest.raises(RuntimeError) as caught:
        render(MergeOptions(template=template, recipients=[recipients]), options)
    assert "ValueError" in str(caught.value)
    assert "a bug in a worker" in str(caught.value)
    assert not out.exists()


def test_workers_are_gone_when_a_run_stops_early(tmp_path, monkeypatch):
    # A name clash stops the run at the second letter; the workers, with chunks still in
    # hand, are stopped and reaped, not left running.
    lines = [f"- {{id: r{i:03}, name: Person number {i} of many}}" for i in range(900)]
    lines[1] = "- {id: R000, name: Clash}"
    recipients = write(tmp_path / "people.yaml", "\n".join(lines) + "\n")
    template = write(
        tmp_path / "letter.txt.j2", TEMPLATE.replace("{{ recipient.note | length }}", "0")
    )
    children = []
    original = Workers.__init__

    def keeping(self, *args):
        original(self, *args)
        children.extend(self.pids)

    options = RenderOptions(output_dir=tmp_path / "out", formats=["docx"], jobs=2, check=False)
    monkeypatch.setattr(Workers, "__init__", keeping)
    with pytest.raises(RecipientsError, match="also the name of record"):
        render(MergeOptions(template=template, recipients=[recipients]), options)
    assert len(children) == 2
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped already: no such child


def _square(number: int, padding: bytes) -> tuple[int, int]:
    return number * number, len(padding)


def test_workers_give_each_result_back_to_whom_asked_in_order():
    pool = Workers(2, _square)
    try:
        # Tasks of 1 MB, sixteen times what a pipe holds: sent as the workers read them.
        asked = [(n, pool.submit(n, b"x" * (1 << 20))) for n in range(12)]
        assert {worker for _, worker in asked} == {0, 1}
        assert [pool.result(worker) for _, worker in asked] == [(n * n, 1 << 20) for n in range(12)]
    finally:
        pool.close()
    assert pool.pids == []


def _unpicklable(number: int):
    return lambda: number


def test_a_result_that_cannot_cross_is_raised_as_a_bug_not_a_dead_worker():
    pool = Workers(1, _unpicklable)
    try:
        worker = pool.submit(1)
        with pytest.raises(RuntimeError, match="a worker process failed with"):
            pool.result(worker)
    finally:
        pool.close()
