"""The manifest: a record, in the output folder, of every letter file a run wrote and from what.

``manifest.csv`` gets one row per file written: recipient id, file name, format, SHA-256 of the
file, the template used with the hash of its inputs, the hash of the record, and the time (UTC).
Rows are appended and flushed one by one, so a run that is killed keeps the rows of the letters
it wrote. A row is recorded just before its file is put in place; a file that is missing or
differs from its latest row is therefore never taken as up to date.

With ``--skip-unchanged`` a run reads the manifest back and leaves out every letter whose files
are exactly as the manifest says and whose inputs (template, signatory, date, record) have not
changed: an interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lettergen import safeio
from lettergen.errors import OutputError
from lettergen.output.place import OutputFolder, write_failure

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter
    from lettergen.merge.render import Merge
    from lettergen.output.spool import SpooledLetter
    from lettergen.writers import Writer

MANIFEST_NAME = "manifest.csv"
COLUMNS = (
    "recipient",
    "file",
    "format",
    "sha256",
    "template",
    "template_sha256",
    "record_sha256",
    "time",
)
# Temporary files (and kept copies of replaced files) of safeio: ".<name>.<token>.<pid>.tmp".
_TEMPORARY = re.compile(r"\A\..+\.(\d+)\.tmp\Z")


def sha256_file(path: Path) -> str | None:
    """Return the SHA-256 of a file's bytes, or None when it cannot be read."""
    # Not through a link: what a link in the output folder points to is no letter of ours.
    try:
        with open(safeio.open_read(os.fspath(path)), "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


# One encoder for every record: json.dumps with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


def record_sha256(fields: dict[str, Any]) -> str:
    """Return the hash of a record's fields (canonical JSON: key order does not matter)."""
    return hashlib.sha256(_CANONICAL.encode(fields).encode("utf-8")).hexdigest()


class LetterInputs:
    """Hashes of what a letter is made from, computed once per template."""

    def __init__(self, merge: Merge) -> None:
        shared = hashlib.sha256()
        # What every letter of the run shares besides its template: a new signatory profile
        # or date makes every letter new.
        if merge.sender_path is not None:
            shared.update(merge.sender_path.read_bytes())
        shared.update(f"\0{merge.date.isoformat()}\0{merge.options.name or ''}".encode())
        self._shared = shared.digest()
        self._templates: dict[Path | None, str] = {}

    def template_sha256(self, template: Path | None) -> str:
        """Return the hash of a letter's template file, signatory profile and date."""
        found = self._templates.get(template)
        if found is None:
            digest = hashlib.sha256(self._shared)
            if template is not None:
                digest.update(template.read_bytes())
            found = self._templates[template] = digest.hexdigest()
        return found


@dataclass
class _History:
    """What the manifest says of one file: its latest row and every hash it was written with."""

    latest: dict[str, str]
    hashes: set[str] = field(default_factory=set)


def read_manifest(out_dir: Path) -> dict[str, _History]:
    """Return the manifest of ``out_dir`` by file name (empty when there is none).

    A row cut short by a killed run, or any row that is not one of ours, is ignored.
    """
    path = out_dir / MANIFEST_NAME
    history: dict[str, _History] = {}
    try:
        fd = safeio.open_read(os.fspath(path))
    except FileNotFoundError:
        return history
    except safeio.LinkError as exc:
        raise write_failure(exc, path) from None
    except OSError as exc:
        raise OutputError(f"cannot read the manifest: {exc.strerror}", path=path) from None
    handle = open(fd, encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
    with handle:
        reader = csv.DictReader(handle)
        try:
            for row in reader:
                name, sha = row.get("file"), row.get("sha256")
                if not name or not sha or len(sha) != 64 or not row.get("time"):
                    continue
                entry = history.get(name)
                if entry is None:
                    entry = history[name] = _History(latest=row)
                entry.latest = row
                entry.hashes.add(sha)
        except (csv.Error, UnicodeDecodeError) as exc:  # a field past csv's limit, a NUL byte
            raise OutputError(
                f"the manifest cannot be read ({exc}): move it aside to start a new one",
                path=path,
                line=reader.line_num + 1,  # the line being read
            ) from None
    return history


class Selection:
    """Chooses, for ``--skip-unchanged``, which letters a run still has to write."""

    def __init__(self, out_dir: Path, writers: list[Writer], inputs: LetterInputs) -> None:
        self.out_dir = out_dir
        self.writers = writers
        self.inputs = inputs
        self.history = read_manifest(out_dir)
        self.skipped = 0
        # Both passes of a run must choose alike; the first one decides, by file stem.
        self._decided: dict[str, bool] = {}

    def pending(self, letters: Iterable[Letter]) -> Iterator[Letter]:
        """Yield the letters that are not up to date; count the others in ``skipped``."""
        for letter in letters:
            write = self._decided.get(letter.name)
            if write is None:
                write = self._decided[letter.name] = not self.up_to_date(letter)
                if not write:
                    self.skipped += 1
            if write:
                yield letter

    def up_to_date(self, letter: Letter) -> bool:
        """Tell whether every file of ``letter`` is as its latest row says, from these inputs."""
        template = self.inputs.template_sha256(letter.template)
        record = record_sha256(letter.record.fields)
        for writer in self.writers:
            name = f"{letter.name}{writer.suffix}"
            entry = self.history.get(name)
            if entry is None:
                return False
            row = entry.latest
            if (
                row.get("format") != writer.format
                or row.get("recipient") != letter.record.id
                or row.get("template_sha256") != template
                or row.get("record_sha256") != record
                or sha256_file(self.out_dir / name) != row.get("sha256")
            ):
                return False
        return True

    def is_ours(self, target: Path) -> bool:
        """Tell whether ``target`` holds a file a run wrote and nobody has changed since.

        Such a file may be replaced by its updated letter without ``--force``; a file edited
        by hand, or not made by lettergen, may not.
        """
        entry = self.history.get(target.name)
        return entry is not None and sha256_file(target) in entry.hashes


class Manifest:
    """Appends one row per file written to the output folder's manifest (a context manager)."""

    def __init__(
        self,
        folder: OutputFolder,
        inputs: LetterInputs,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.folder = folder
        self.path = folder.path / MANIFEST_NAME
        self.inputs = inputs
        self.clock = clock
        self._fd = -1
        self._rows: list[tuple[str, ...]] = []

    def _open(self) -> None:
        # Opened on the first row: the output folder exists by then, and a run that writes
        # nothing leaves no manifest behind. The folder closes it (and takes it back).
        self._fd = self.folder.append_to(MANIFEST_NAME)
        if os.fstat(self._fd).st_size == 0:
            self._write([COLUMNS])

    def add(self, letter: SpooledLetter, fmt: str, target: Path, sha256: str) -> None:
        """Record that the file of ``letter`` in format ``fmt``, whose SHA-256 is ``sha256``,
        is (about to be) the content of ``target``, at once."""
        self.queue(letter, fmt, target, sha256)
        self.flush()

    def queue(self, letter: SpooledLetter, fmt: str, target: Path, sha256: str) -> None:
        """Record the file as :meth:`add` does, at the next :meth:`flush` (which must come
        before the file is put in place)."""
        if self._fd < 0:
            self._open()
        self._rows.append(self.row(letter, fmt, target, sha256))

    def row(self, letter: SpooledLetter, fmt: str, target: Path, sha256: str) -> tuple[str, ...]:
        """Return the row that records the file as :meth:`add` does."""
        template = letter.template.name if letter.template is not None else ""
        return (
            letter.recipient,
            target.name,
            fmt,
            sha256,
            template,
            self.inputs.template_sha256(letter.template),
            letter.record_sha256,
            self.clock().isoformat(timespec="seconds"),
        )

    def share(self) -> None:
        """Make the manifest ready for :meth:`append` from forked processes: open (with its
        header, if new) and flushed."""
        if self._fd < 0:
            self._open()
        self.flush()

    def append(self, rows: list[tuple[str, ...]]) -> None:
        """Add ``rows`` to the file at once, in one write after whatever is there: processes
        that share the manifest (see :meth:`share`) each append whole rows."""
        assert self._fd >= 0
        self._write(rows)

    def _write(self, rows: Iterable[Iterable[str]]) -> None:
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        try:
            safeio.write_all(self._fd, text.getvalue().encode("utf-8"))
        except OSError as exc:
            raise write_failure(exc, self.path) from None

    def flush(self) -> None:
        """Put the rows recorded so far into the file (before their files are put in place:
        a killed run keeps the row of every letter it wrote)."""
        if self._rows:
            rows, self._rows = self._rows, []
            self._write(rows)

    def close(self) -> None:
        """Write the rows still queued; the manifest is done with."""
        if self._fd >= 0:
            self.flush()
            self._fd = -1

    def __enter__(self) -> Manifest:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._fd = -1


def remove_stale_temporaries(out_dir: Path) -> list[Path]:
    """Delete temporary files left in ``out_dir`` by a run that was killed outright.

    A run removes its own temporary files when interrupted or terminated; only ``kill -9`` or
    a power cut leaves one. Files of a process that is still running are kept.
    """
    removed: list[Path] = []
    if not out_dir.is_dir():
        return removed
    for path in out_dir.iterdir():
        match = _TEMPORARY.match(path.name)
        if match is None or not path.is_file() or _alive(int(match.group(1))):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    # On Windows os.kill would end the process; keep its files rather than guess.
    if pid == os.getpid() or os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Return whether ``pid`` has exited but not been reaped (Linux; False elsewhere)."""
    # A killed run's workers stay zombies where nothing reaps orphans (a container's PID 1),
    # and signal 0 still reaches a zombie: its files are stale all the same.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
