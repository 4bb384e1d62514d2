"""Staying inside the output folder: no write goes through a link planted there by someone else.

The output folder may be writable by a second local user (a shared folder), who can plant links
at every name lettergen writes (its letters, ``manifest.csv``, its temporary names). Nothing
outside the folder may change, whatever is planted.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lettergen.cli import cli
from lettergen.errors import OutputError
from lettergen.output.place import OutputFolder
from tests.docx_helpers import docx_text

from .conftest import snapshot, write

PEOPLE = "".join(f"- {{id: r{i:03}, name: Person {i}}}\n" for i in range(150))
TEMPLATE = "Dear {{ recipient.name }},\n\nThank you.\n"
SECRET = "the other user's file, which must stay as it is\n"


def _render(runner, tmp_path: Path, out: Path, *more: str):
    template = write(tmp_path / "in" / "letter.txt.j2", TEMPLATE)
    recipients = write(tmp_path / "in" / "people.yaml", PEOPLE)
    return runner.invoke(cli, ["render", str(template), str(recipients), "-o", str(out), *more])


def _outside(tmp_path: Path) -> Path:
    """A folder outside the output folder, holding a file a link may point to."""
    write(tmp_path / "outside" / "target.txt", SECRET)
    return tmp_path / "outside"


def _plant(out: Path, names: list[str], target: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        (out / name).symlink_to(target)


def _predictable(name: str) -> list[str]:
    """The temporary names lettergen used to write through: ``.<name>.<pid>.tmp``."""
    pids = {os.getpid(), *range(os.getpid() - 3, os.getpid() + 200)}
    return [f".{name}.{pid}.tmp" for pid in sorted(pids)]


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("formats", [["-f", "txt"], ["-f", "txt", "-f", "docx"]])
def test_links_planted_at_every_name_change_nothing_outside(runner, tmp_path, jobs, formats):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "shared"
    suffixes = [formats[i + 1] for i in range(0, len(formats), 2)]
    letters = [f"r{i:03}.{suffix}" for i in (0, 1, 77, 149) for suffix in suffixes]
    planted = [*letters, *(t for name in letters[:2] for t in _predictable(name))]
    _plant(out, planted, outside / "target.txt")
    # A link to a file that does not exist yet: writing through it would create it.
    (out / "r002.txt").symlink_to(outside / "created.txt")

    result = _render(runner, tmp_path, out, *formats, "-j", jobs, "--force")

    assert result.exit_code == 0, result.output
    assert snapshot(outside) == before
    assert not (outside / "created.txt").exists()
    for name in [*letters, "r002.txt", "manifest.csv"]:
        assert not (out / name).is_symlink(), name  # the link itself was replaced
    assert (out / "r077.txt").read_text(encoding="utf-8") == "Dear Person 77,\n\nThank you.\n"
    if "docx" in suffixes:
        assert docx_text(out / "r149.docx") == "Dear Person 149,\n\nThank you.\n"
    # The planted temporary names are still links (nothing opened them), and nothing else is
    # left: no temporary of the run, no kept copy of a replaced link.
    left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert left == sorted(planted[len(letters) :])
    assert all((out / name).is_symlink() for name in left)


def test_a_link_at_a_letter_name_is_an_existing_letter(runner, tmp_path):
    outside = _outside(tmp_path)
    out = tmp_path / "out"
    _plant(out, ["r005.txt"], outside / "target.txt")
    (out / "r006.txt").symlink_to(outside / "missing.txt")  # dangling: still in the way

    result = _render(runner, tmp_path, out, "-f", "txt")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr == (
        f"{out}: 2 letter(s) already exist: {out / 'r005.txt'}, {out / 'r006.txt'}; "
        "use --force to overwrite them\n"
    )
    assert sorted(os.listdir(out)) == ["r005.txt", "r006.txt"]
    assert (outside / "target.txt").read_text(encoding="utf-8") == SECRET


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_manifest_that_is_a_link_is_an_error_naming_it(runner, tmp_path, jobs):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "out"
    _plant(out, ["manifest.csv"], outside / "target.txt")

    result = _render(runner, tmp_path, out, "-f", "txt", "-j", jobs)

    _assert_refused_link(result, out, "; nothing was written: the output folder is as it was")
    assert snapshot(outside) == before


def test_a_manifest_that_is_a_link_is_not_read_to_skip_letters(runner, tmp_path):
    outside = _outside(tmp_path)
    out = tmp_path / "out"
    _plant(out, ["manifest.csv"], outside / "target.txt")

    result = _render(runner, tmp_path, out, "-f", "txt", "--skip-unchanged")

    _assert_refused_link(result, out, "")


def _assert_refused_link(result, out: Path, then: str) -> None:
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr == (
        f"{out / 'manifest.csv'}: is a symbolic link or not a plain file; lettergen "
        "reads and writes only plain files in the output folder: remove it, or choose another "
        f"output folder with -o{then}\n"
    )
    assert os.listdir(out) == ["manifest.csv"]


def test_a_folder_swapped_for_a_link_mid_run_is_written_no_further(tmp_path):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "out"
    folder = OutputFolder(out).open()
    folder.put("a.txt", b"first letter\n")
    # Another user moves the folder away and puts a link to their folder in its place.
    out.rename(tmp_path / "moved")
    out.symlink_to(outside)
    folder.put("b.txt", b"second letter\n")
    with pytest.raises(OutputError) as caught:
        folder.check()
    folder.take_back()
    assert str(caught.value) == (
        f"{out}: the output folder was moved, removed or replaced during the run"
    )
    assert snapshot(outside) == before
    assert os.listdir(tmp_path / "moved") == []


def test_a_combined_document_is_not_written_through_a_link(runner, tmp_path):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "out"
    combined = tmp_path / "all.docx"
    for name in _predictable("all.docx"):
        (tmp_path / name).symlink_to(outside / "target.txt")

    result = _render(runner, tmp_path, out, "-f", "docx", "--combine", str(combined))

    assert result.exit_code == 0, result.output
    assert snapshot(outside) == before
    assert not combined.is_symlink()
    assert docx_text(combined).startswith("Dear Person 0,")
