"""The manifest of a run, and --skip-unchanged: a rerun writes only what changed."""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.output.manifest import (
    COLUMNS,
    MANIFEST_NAME,
    record_sha256,
    remove_stale_temporaries,
)
from tests.conftest import write

TEMPLATE = """\
    ---
    sender: me.yaml
    ---
    Dear {{ recipient.name }},
    {{ sender.name }}
    """


def campaign(tmp_path: Path) -> Path:
    write(tmp_path / "letter.txt.j2", TEMPLATE)
    write(tmp_path / "me.yaml", "name: Mady\n")
    write(
        tmp_path / "people.yaml",
        """\
        - {id: ana, name: Ana}
        - {id: bo, name: Bo}
        - {id: cy, name: Cy}
        """,
    )
    return tmp_path / "out"


def run(runner: CliRunner, tmp_path: Path, *flags: str) -> tuple[int, str]:
    result = runner.invoke(
        cli,
        [
            "render",
            str(tmp_path / "letter.txt.j2"),
            str(tmp_path / "people.yaml"),
            "-o",
            str(tmp_path / "out"),
            "--date",
            "2015-05-25",
            *flags,
        ],
    )
    return result.exit_code, result.output


def rows(out: Path) -> list[dict[str, str]]:
    with open(out / MANIFEST_NAME, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def stamps(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.glob("*.txt")}


def test_every_file_written_gets_a_row(runner: CliRunner, tmp_path: Path) -> None:
    out = campaign(tmp_path)

    code, output = run(runner, tmp_path)

    assert code == 0, output
    table = rows(out)
    assert [(r["recipient"], r["file"], r["format"], r["template"]) for r in table] == [
        ("ana", "ana.txt", "txt", "letter.txt.j2"),
        ("bo", "bo.txt", "txt", "letter.txt.j2"),
        ("cy", "cy.txt", "txt", "letter.txt.j2"),
    ]
    for row in table:
        data = (out / row["file"]).read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert row["time"].endswith("+00:00")
    assert table[1]["record_sha256"] == record_sha256({"id": "bo", "name": "Bo"})
    assert len({r["template_sha256"] for r in table}) == 1
    assert (out / "bo.txt").read_text(encoding="utf-8") == "Dear Bo,\nMady\n"

    # A forced rerun appends; the manifest is the history of the folder.
    code, output = run(runner, tmp_path, "--force")
    assert code == 0, output
    assert len(rows(out)) == 6


def test_dry_run_writes_no_manifest(runner: CliRunner, tmp_path: Path) -> None:
    out = campaign(tmp_path)
    code, output = run(runner, tmp_path, "--dry-run")
    assert code == 0, output
    assert not out.exists()


def test_skip_unchanged_skips_everything_when_nothing_changed(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = campaign(tmp_path)
    assert run(runner, tmp_path)[0] == 0
    before = stamps(out)

    code, output = run(runner, tmp_path, "--skip-unchanged")

    assert code == 0, output
    assert "Skipped 3 unchanged letter(s)." in output
    assert "Wrote 0 letter(s)" in output
    assert stamps(out) == before
    assert len(rows(out)) == 3


def test_skip_unchanged_rewrites_changed_records_and_missing_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = campaign(tmp_path)
    assert run(runner, tmp_path)[0] == 0
    write(
        tmp_path / "people.yaml",
        """\
        - {id: ana, name: Ana}
        - {id: bo, name: Bob}
        - {id: cy, name: Cy}
        """,
    )
    (out / "cy.txt").unlink()
    ana = (out / "ana.txt").stat().st_mtime_ns

    # No --force needed: bo.txt is exactly as lettergen wrote it, so nothing of the user's is lost.
    code, output = run(runner, tmp_path, "--skip-unchanged")

    assert code == 0, output
    assert "Skipped 1 unchanged letter(s)." in output
    assert (out / "bo.txt").read_text(encoding="utf-8") == "Dear Bob,\nMady\n"
    assert (out / "cy.txt").read_text(encoding="utf-8") == "Dear Cy,\nMady\n"
    assert (out / "ana.txt").stat().st_mtime_ns == ana
    assert [r["file"] for r in rows(out)] == ["ana.txt", "bo.txt", "cy.txt", "bo.txt", "cy.txt"]


@pytest.mark.parametrize("change", ["template", "sender", "date"])
def test_skip_unchanged_rewrites_all_when_a_shared_input_changed(
    runner: CliRunner, tmp_path: Path, change: str
) -> None:
    out = campaign(tmp_path)
    assert run(runner, tmp_path)[0] == 0
    flags = ["--skip-unchanged"]
    if change == "template":
        write(tmp_path / "letter.txt.j2", TEMPLATE.replace("Dear", "Hello"))
    elif change == "sender":
        write(tmp_path / "me.yaml", "name: Mady Delvaux\n")
    else:
        flags = ["--skip-unchanged", "--date", "2015-05-26"]

    code, output = run(runner, tmp_path, *flags)

    assert code == 0, output
    assert "Skipped" not in output
    assert len(rows(out)) == 6
    expected = {"template": "Hello Ana,\nMady\n", "sender": "Dear Ana,\nMady Delvaux\n"}
    assert (out / "ana.txt").read_text(encoding="utf-8") == expected.get(
        change, "Dear Ana,\nMady\n"
    )


def test_skip_unchanged_keeps_a_letter_edited_by_hand_unless_forced(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = campaign(tmp_path)
    assert run(runner, tmp_path)[0] == 0
    (out / "bo.txt").write_text("Dear Bo, (signed by hand)\n", encoding="utf-8")

    code, output = run(runner, tmp_path, "--skip-unchanged")

    assert code == 1
    assert output.strip() == (
        f"{out}: 1 letter(s) already exist: {out / 'bo.txt'}; use --force to overwrite them"
    )
    assert (out / "bo.txt").read_text(encoding="utf-8") == "Dear Bo, (signed by hand)\n"

    code, output = run(runner, tmp_path, "--skip-unchanged", "--force")
    assert code == 0, output
    assert "Skipped 2 unchanged letter(s)." in output
    assert (out / "bo.txt").read_text(encoding="utf-8") == "Dear Bo,\nMady\n"


def test_a_manifest_row_cut_short_is_ignored(runner: CliRunner, tmp_path: Path) -> None:
    out = campaign(tmp_path)
    assert run(runner, tmp_path)[0] == 0
    with open(out / MANIFEST_NAME, "a", encoding="utf-8") as handle:
        handle.write("cy,cy.txt,txt,12ab")  # a run killed in the middle of a row

    code, output = run(runner, tmp_path, "--skip-unchanged")

    assert code == 0, output
    assert "Skipped 3 unchanged letter(s)." in output


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = write(tmp_path / f".a.txt.{dead.stdout.strip()}.tmp", "half a lett")
    mine = write(tmp_path / f".b.txt.{os.getpid()}.tmp", "being written")
    letter = write(tmp_path / "c.txt", "a letter\n")

    assert remove_stale_temporaries(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, letter.name]


def test_rows_of_a_run_over_several_processes_match_the_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    write(tmp_path / "t.txt.j2", "Hello {{ recipient.name }}\n")
    people = tmp_path / "people.csv"
    people.write_text(
        "id,name\n" + "".join(f"p{i:04},P{i}\n" for i in range(300)), encoding="utf-8"
    )
    out = tmp_path / "out"

    result = runner.invoke(
        cli, ["render", str(tmp_path / "t.txt.j2"), str(people), "-o", str(out), "--jobs", "2"]
    )

    assert result.exit_code == 0, result.output
    table = rows(out)
    assert sorted(r["file"] for r in table) == sorted(p.name for p in out.glob("*.txt"))
    assert len(table) == 300
    for row in table:
        data = (out / row["file"]).read_bytes()
        assert data == f"Hello P{int(row['recipient'][1:])}\n".encode()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()


# -- A run killed part-way, then resumed -------------------------------------------------------

# Slow on purpose (a loop in the template), so the run can be killed while it writes.
SLOW_TEMPLATE = """\
Dear {{ recipient.name }},
{% set ns = namespace(total=0) %}
{% for i in range(100) %}{% set ns.total = ns.total + i %}{% endfor %}
Your number is {{ recipient.number }} ({{ ns.total }}).
"""
TOTAL = 2000


def expected_letter(i: int) -> str:
    return f"Dear Person {i},\nYour number is {i * 7} ({sum(range(100))}).\n"


def live_members(group: int) -> list[int]:
    """Return the processes of process group ``group`` that still run (zombies do not)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def wait_until_gone(group: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while live_members(group):
        assert time.monotonic() < deadline, f"still running: {live_members(group)}"
        time.sleep(0.01)


def test_live_members_sees_a_running_group() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    try:
        assert live_members(child.pid) == [child.pid]
    finally:
        child.kill()
        child.wait()
    assert live_members(child.pid) == []


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_killed_run_resumes_with_skip_unchanged(
    runner: CliRunner, tmp_path: Path, how: signal.Signals
) -> None:
    template = tmp_path / "slow.txt.j2"
    template.write_text(SLOW_TEMPLATE, encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text(
        "id,name,number\n" + "".join(f"p{i:05},Person {i},{i * 7}\n" for i in range(TOTAL)),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "lettergen", "render", str(template), str(people), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers share its process group: see below
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if out.is_dir() and sum(1 for _ in out.glob("p*.txt")) >= 100:
                break
            time.sleep(0.01)
        process.send_signal(how)
    finally:
        process.wait(timeout=60)
    # The kernel kills the workers when the main process dies, but a worker may be finishing
    # a rename at that moment: look at the folder once no process of the run is left.
    wait_until_gone(process.pid)
    written_before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("p*.txt")}
    # The kill came part-way: some letters exist, not all.
    assert 100 <= len(written_before) < TOTAL
    rows_before = len(rows(out))

    result = runner.invoke(
        cli, ["render", str(template), str(people), "-o", str(out), "--skip-unchanged"]
    )

    assert result.exit_code == 0, result.output
    letters = sorted(out.glob("p*.txt"))
    assert len(letters) == TOTAL
    for i, path in enumerate(letters):
        assert path.read_text(encoding="utf-8") == expected_letter(i)
    # Letters of the killed run were kept as they were, and each missing one written once.
    for name, stamp in written_before.items():
        assert ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) == stamp
    new_rows = [r["file"] for r in rows(out)[rows_before:]]
    assert sorted(new_rows) == sorted({p.name for p in letters} - set(written_before))
    assert f"Skipped {len(written_before)} unchanged letter(s)." in result.output
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []


# -- Memory stays flat: file names are remembered as hashes ------------------------------------


def test_name_clash_is_found_among_thousands_of_records(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "t.txt.j2", "Hello {{ recipient.name }}\n")
    people = tmp_path / "people.csv"
    rows = [f"p{i:05},P{i}" for i in range(5000)] + ["P00002,Late"]  # p00002 on Windows
    people.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")

    result = runner.invoke(
        cli, ["render", str(tmp_path / "t.txt.j2"), str(people), "-o", str(tmp_path / "out")]
    )

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[0] == (
        f"{people}:5002: record 'P00002': file name 'P00002' is also the name of record "
        f"'p00002' ({people}:4); give each record its own id or change --name"
    )
    assert not (tmp_path / "out").exists()


def test_temporaries_of_a_killed_worker_left_as_zombie_are_removed(tmp_path: Path) -> None:
    # A killed run's workers can linger as zombies where nothing reaps orphans (a container);
    # signal 0 still reaches them, yet their half-written files are stale.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{child.pid}/stat")
        if not stat.exists() or stat.read_text().rpartition(")")[2].split()[0] == "Z":
            break
        time.sleep(0.01)
    try:
        stale = tmp_path / f".p00001.txt.{child.pid}.tmp"
        stale.write_text("half a lett")
        mine = tmp_path / f".p00002.txt.{os.getpid()}.tmp"
        mine.write_text("being written")
        assert remove_stale_temporaries(tmp_path) == [stale]
        assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name]
    finally:
        child.wait()
