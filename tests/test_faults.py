"""A second pass that fails part-way writes nothing: a full disk, a size limit, a vanished folder.

Faults come at several points of a run (the k-th write or rename), for text and Word letters,
into a new folder and over letters of an earlier run (``--force``). Either every letter of the
run is in place, or the output folder is exactly as it was: letters added are taken back,
letters replaced are restored, the manifest is cut back, no temporary file is left.
"""

from __future__ import annotations

import errno
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lettergen import safeio
from lettergen.cli import cli
from lettergen.output import place

from .conftest import snapshot, write

PEOPLE = "".join(f"- {{id: r{i:03}, name: Person {i}}}\n" for i in range(150))
OLD = "Dear {{ recipient.name }},\n\nThe letter of last week.\n"
NEW = "Dear {{ recipient.name }},\n\nThe letter of today.\n"
FULL = "the disk is full: free some space, or choose another output folder with -o"
TAKEN_BACK = "; nothing was written: the output folder is as it was\n"


def _args(tmp_path: Path, template: str, out: Path, formats: list[str]) -> list[str]:
    letter = write(tmp_path / "in" / "letter.txt.j2", template)
    people = write(tmp_path / "in" / "people.yaml", PEOPLE)
    flags = [flag for fmt in formats for flag in ("-f", fmt)]
    return ["render", str(letter), str(people), "-o", str(out), *flags]


def _earlier_run(runner, tmp_path: Path, formats: list[str]) -> Path:
    out = tmp_path / "out"
    result = runner.invoke(cli, _args(tmp_path, OLD, out, formats))
    assert result.exit_code == 0, result.output
    return out


def _failing_at(k: int, error: int, real):
    """Return ``real`` made to fail with ``error`` at its k-th call (the others go through)."""
    calls = 0

    def failing(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == k:
            raise OSError(error, os.strerror(error))
        return real(*args, **kwargs)

    return failing


def _assert_taken_back(result, out: Path, before: dict[str, bytes] | None, advice: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    # The file named is the one whose write failed: a letter or the manifest.
    pattern = rf"{re.escape(str(out))}/[\w.]+: cannot write: {re.escape(advice + TAKEN_BACK)}"
    assert re.fullmatch(pattern, result.stderr), result.stderr
    if before is None:
        assert not out.exists()
    else:
        assert snapshot(out) == before
        assert sorted(os.listdir(out)) == sorted(before)  # no temporary, no kept copy


@pytest.mark.parametrize(
    ("formats", "jobs"),
    [(["txt"], "1"), (["docx"], "1"), (["txt", "docx"], "1"), (["txt", "docx"], "2")],
)
@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3, 17, 60, 150])
def test_a_write_failing_part_way_is_taken_back(
    runner, tmp_path, monkeypatch, formats, jobs, force, k
):
    out = _earlier_run(runner, tmp_path, formats) if force else tmp_path / "out"
    before = snapshot(out) if force else None
    # With -j 2, each process counts its own calls: each fails at its k-th write.
    monkeypatch.setattr(safeio, "write_all", _failing_at(k, errno.ENOSPC, safeio.write_all))

    more = ["--force"] if force else []
    result = runner.invoke(cli, [*_args(tmp_path, NEW, out, formats), "-j", jobs, *more])

    _assert_taken_back(result, out, before, FULL)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("k", [1, 5, 40, 149])
def test_a_rename_failing_part_way_is_taken_back(runner, tmp_path, monkeypatch, jobs, k):
    out = _earlier_run(runner, tmp_path, ["txt", "docx"])
    before = snapshot(out)
    monkeypatch.setattr(os, "replace", _failing_at(k, errno.EROFS, os.replace))

    args = [*_args(tmp_path, NEW, out, ["txt", "docx"]), "-j", jobs, "--force"]
    result = runner.invoke(cli, args)

    advice = "the output folder is on a read-only filesystem: choose another with -o"
    _assert_taken_back(result, out, before, advice)


@pytest.mark.parametrize("k", [1, 30, 100])
def test_an_output_folder_removed_mid_run_is_reported(runner, tmp_path, monkeypatch, k):
    out = tmp_path / "out"
    put = _failing_at(k, 0, place.OutputFolder.put)

    def removing(folder, name, data):
        try:
            put(folder, name, data)
        except OSError:  # the k-th call: someone removes the folder
            shutil.rmtree(out)
            put(folder, name, data)

    monkeypatch.setattr(place.OutputFolder, "put", removing)
    result = runner.invoke(cli, [*_args(tmp_path, NEW, out, ["txt"]), "-j", "1"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.endswith(
        ": cannot write: the output folder was removed during the run" + TAKEN_BACK
    )
    assert not out.exists()


def _limited(limit: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


@pytest.mark.parametrize("formats", [["txt"], ["docx"]])
@pytest.mark.parametrize("room", [0, 3_000, 20_000])
def test_a_manifest_that_cannot_grow_is_taken_back(runner, tmp_path, formats, room):
    """A file-size limit (``ulimit -f``) reached by the manifest, at several points."""
    out = _earlier_run(runner, tmp_path, formats)
    # A manifest grown long over many runs: what the spool of this run needs stays below it.
    with open(out / "manifest.csv", "a", encoding="utf-8") as manifest:
        manifest.write("an old line of no use\n" * 200_000)
    before = snapshot(out)
    limit = (out / "manifest.csv").stat().st_size + room

    args = [*_args(tmp_path, NEW, out, formats), "--force", "-j", "1"]
    result = subprocess.run(
        [sys.executable, "-m", "lettergen", *args],
        capture_output=True,
        text=True,
        preexec_fn=_limited(limit),
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    advice = "a file would pass the file-size limit (ulimit -f, a quota, or the filesystem's)"
    assert result.stderr == f"{out / 'manifest.csv'}: cannot write: {advice}{TAKEN_BACK}"
    assert snapshot(out) == before
    assert sorted(os.listdir(out)) == sorted(before)
