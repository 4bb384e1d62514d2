"""Writing letters: atomic files, nothing half-written after an interruption."""

from __future__ import annotations

from pathlib import Path

import pytest

from lettergen.errors import OutputError
from lettergen.inputs.recipients import Record
from lettergen.merge.letter import Letter
from lettergen.output import plan as output
from lettergen.output.spool import SpooledFormat, SpooledLetter
from lettergen.writers.text import TextWriter


def letters(count: int) -> list[Letter]:
    return [
        Letter(
            record=Record(id=f"r{i}", fields={}, path=Path("x.yaml"), line=i + 1),
            name=f"r{i}",
            text=f"Letter {i}\n",
        )
        for i in range(count)
    ]


def spooled(count: int) -> list[SpooledLetter]:
    """Letters the first pass built (a text file each), as the second pass reads them."""
    source = Path("x.yaml")
    return [
        SpooledLetter(f"r{i}", source, i + 1, f"r{i}", None, "h", [f"Letter {i}\n".encode()])
        for i in range(count)
    ]


class TextFiles(SpooledFormat):
    """The text files of spooled letters (without a spool: the letters hold their bytes)."""

    def __init__(self) -> None:
        self.format = "txt"
        self.suffix = ".txt"
        self.index = 0

    def file_of(self, letter: SpooledLetter) -> bytes:
        data = letter.files[self.index]
        assert isinstance(data, bytes)
        return data


class InterruptingWriter(TextFiles):
    """Text files, interrupted (Ctrl-C) while the third letter's is read."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def file_of(self, letter: SpooledLetter) -> bytes:
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return super().file_of(letter)


def test_interrupted_run_leaves_only_whole_letters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "_GROUP", 1)  # each letter put in place as soon as it is made
    with pytest.raises(KeyboardInterrupt):
        output.write(iter(spooled(5)), [InterruptingWriter()], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r0.txt", "r1.txt"]
    assert (tmp_path / "r1.txt").read_text() == "Letter 1\n"


def test_letters_are_put_in_place_in_groups_after_their_manifest_rows(tmp_path: Path) -> None:
    heard: list[str] = []
    put: list[tuple[list[str], list[str]]] = []

    def before_put() -> None:
        on_disk = sorted(p.name for p in tmp_path.iterdir())
        put.append((list(heard), on_disk))

    output.write(
        iter(spooled(70)),
        [TextFiles()],
        tmp_path,
        on_write=lambda letter, fmt, target, sha256: heard.append(target.name),
        before_put=before_put,
    )
    # 32 + 32 + 6: before each group, the rows of all its files are out, and none is written.
    assert [(len(rows), len(files)) for rows, files in put] == [(32, 0), (64, 32), (70, 64)]
    assert len(list(tmp_path.iterdir())) == 70


def test_an_interrupted_group_leaves_nothing_half_written(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        output.write(iter(spooled(5)), [InterruptingWriter()], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_removes_its_temporary_file_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old signed letter\n")

    def interrupted_replace(src: object, dst: object, **dir_fds: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        output.write_atomic(target, b"new letter\n")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert target.read_text() == "old signed letter\n"


def test_unwritable_output_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError) as caught:
        output.write(iter(spooled(1)), [InterruptingWriter()], blocker / "out")
    assert str(caught.value).startswith(f"{blocker / 'out'}: cannot create the output folder")


@pytest.mark.parametrize("listed", [20_000, 1])
def test_existing_letters_are_found_whether_the_folder_is_listed_or_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: int
) -> None:
    # A small folder is listed once; a big one is asked about each file (see _present_names).
    monkeypatch.setattr(output, "_LISTED_NAMES", listed)
    (tmp_path / "r1.txt").write_text("mine")
    (tmp_path / "R2.txt").write_text("another name on this filesystem")
    (tmp_path / "notes.md").write_text("")
    with pytest.raises(OutputError) as caught:
        output.plan(iter(letters(4)), [TextWriter()], tmp_path)
    assert caught.value.message.startswith(f"1 letter(s) already exist: {tmp_path / 'r1.txt'};")
