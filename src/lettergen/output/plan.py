"""Writing a batch of letters safely: build and check everything first, then write each file.

A run has two passes. The first renders every letter once, checks it (fields, names, existing
files) and builds its files into a spool (:mod:`lettergen.output.spool`), writing nothing into the
output folder, so a run that fails leaves it exactly as it was. The second takes the files from
the spool and writes each to a temporary name before renaming it into place, so an interrupted
run leaves only whole letters behind.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lettergen import safeio
from lettergen.errors import OutputError, RecipientsError
from lettergen.merge.letter import Letter
from lettergen.output import place
from lettergen.output.manifest import record_sha256
from lettergen.output.place import OutputFolder
from lettergen.output.spool import Spool, SpooledFormat, SpooledLetter
from lettergen.writers import Writer

# How many clashing file names a message lists before it says "and N more".
_LISTED = 5
# A folder with more names than this is asked about each letter's file instead of listed.
_LISTED_NAMES = 20_000
# Files written per group in the second pass (their manifest rows go out in one write).
_GROUP = 32


@dataclass
class Summary:
    """What a run wrote (or, in a dry run, would write)."""

    letters: int = 0
    files: int = 0
    out_dir: Path = Path()
    dry_run: bool = False
    formats: list[str] = field(default_factory=list)
    # Letters left out by --skip-unchanged because their files are up to date.
    skipped: int = 0
    # Combined documents (--combine) a dry run would write.
    combined: list[Path] = field(default_factory=list)


def plan(
    letters: Iterable[Letter | SpooledLetter],
    writers: list[Writer],
    out_dir: Path,
    *,
    force: bool = False,
    on_file: Callable[[Letter, Path], None] | None = None,
    may_replace: Callable[[Path], bool] | None = None,
    spool: Spool | None = None,
    body: Callable[[Letter, int], str] | None = None,
    reserved: Mapping[str, str] | None = None,
) -> int:
    """Check every letter and every file name without writing; return how many letters.

    ``reserved`` names the run's other files in the output folder (a labels or combined
    document) with what each is: a letter of one of those names is an error naming its record.

    With ``spool``, each letter's files are built and kept there for :func:`write` (with its
    body in a combined document, from ``body``), until the run is known to fail. A letter a
    worker process built already (``--jobs``), checked, comes as a :class:`SpooledLetter`.

    Raises :class:`OutputError` naming existing letters when ``force`` is not given, except
    those ``may_replace`` allows (files an earlier run wrote and nobody changed since).
    """
    existing: list[str] = []
    count = 0
    check_existing = out_dir.is_dir() and not force
    folder = os.fspath(out_dir)
    present = _present_names(folder) if check_existing else None
    builder = Builder(writers)
    taken = {_comparable(name): what for name, what in (reserved or {}).items()}
    for letter in letters:
        count += 1
        for writer in writers:
            name = f"{letter.name}{writer.suffix}"
            if taken and _comparable(name) in taken:
                raise _taken(letter, name, taken[_comparable(name)])
            if (
                check_existing
                and (present is None or _comparable(name) in present)
                and os.path.lexists(os.path.join(folder, name))
                and (may_replace is None or not may_replace(out_dir / name))
            ):
                existing.append(str(out_dir / name))
        if isinstance(letter, SpooledLetter):
            # Built by a worker process (--jobs), which checked it; no use keeping it once
            # the run is known to fail.
            if spool is not None and not existing:
                spool.add(letter)
            continue
        # Once the run is known to fail, building its files would be wasted.
        if spool is None or existing:
            builder.check(letter)
            if on_file is not None:
                for writer in writers:
                    on_file(letter, out_dir / f"{letter.name}{writer.suffix}")
            continue
        record = letter.record
        built = SpooledLetter(
            recipient=record.id,
            source=record.path,
            line=record.line,
            name=letter.name,
            template=letter.template,
            record_sha256=record_sha256(record.fields),
            files=list(builder.build(letter)),
            body=body(letter, count) if body is not None else None,
        )
        spool.add(built)
    if existing:
        listed = ", ".join(existing[:_LISTED])
        more = f" and {len(existing) - _LISTED} more" if len(existing) > _LISTED else ""
        raise OutputError(
            f"{len(existing)} letter(s) already exist: {listed}{more}; "
            "use --force to overwrite them",
            path=out_dir,
        )
    return count


def _present_names(folder: str) -> set[str] | None:
    """Return the names in ``folder`` (see :func:`_comparable`), or None if it holds many.

    A letter whose name is not among them needs no look at the disk (one system call per file
    saved); one that is, is looked for as the filesystem sees names.
    """
    names: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if len(names) >= _LISTED_NAMES:
                    return None
                names.add(_comparable(entry.name))
    except OSError:
        return None
    return names


def _taken(letter: Letter | SpooledLetter, name: str, what: str) -> RecipientsError:
    """The error of a letter whose file would be the run's ``what`` (its labels, say)."""
    message = (
        f"file name '{name}' is also the name of {what}; "
        "give the record another id or change --name"
    )
    if isinstance(letter, SpooledLetter):
        return RecipientsError(
            message, path=letter.source, line=letter.line, record=letter.recipient
        )
    return letter.record.error(message)


def _comparable(name: str) -> str:
    # Some filesystems take "Été.txt" and "été.txt", composed or not, for one name.
    return unicodedata.normalize("NFC", name).casefold()


class Builder:
    """Checks a letter for a run's writers, or checks it and builds its files (one per writer)."""

    def __init__(self, writers: list[Writer]) -> None:
        self.writers = writers

    def check(self, letter: Letter) -> None:
        """Raise the error of the first writer that cannot write ``letter``."""
        for writer in self.writers:
            writer.check(letter)

    def build(self, letter: Letter) -> list[bytes]:
        """Check ``letter`` and return its files, in the order of the writers."""
        return [writer.build(letter) for writer in self.writers]


def write(
    letters: Iterator[SpooledLetter],
    formats: list[SpooledFormat],
    out: OutputFolder | Path,
    *,
    on_write: Callable[[SpooledLetter, str, Path, str], None] | None = None,
    before_put: Callable[[], None] | None = None,
) -> int:
    """Write every spooled letter's file in each of ``formats`` into the output folder; return
    how many files.

    ``on_write`` hears of each file (the manifest: the letter, format, target and SHA-256),
    and ``before_put`` is called before the files it heard of are put in place: letters are
    written in groups, so that the manifest takes one write per group, not one per file.
    Given a path, the folder is opened here and all of its writes are taken back on a failure
    (see :mod:`lettergen.output.place`).
    """
    with place.opened(out) as folder:
        files = 0
        group: list[tuple[str, bytes]] = []
        for letter in letters:
            for spooled in formats:
                name = f"{letter.name}{spooled.suffix}"
                data = spooled.file_of(letter)
                if on_write is not None:
                    sha256 = spooled.sha256(letter, data)
                    on_write(letter, spooled.format, folder.path / name, sha256)
                group.append((name, data))
            if len(group) >= _GROUP:
                files += _put(folder, group, before_put)
        return files + _put(folder, group, before_put)


def _put(
    folder: OutputFolder, group: list[tuple[str, bytes]], before_put: Callable[[], None] | None
) -> int:
    """Write the files of ``group`` (and empty it); return how many."""
    if before_put is not None:
        before_put()
    for name, data in group:
        folder.put(name, data)
    count = len(group)
    group.clear()
    return count


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename (a file outside a
    run's output folder, such as a preview)."""
    try:
        safeio.put_file(os.fspath(target), data)
    except OSError as exc:
        raise place.write_failure(exc, target) from None
