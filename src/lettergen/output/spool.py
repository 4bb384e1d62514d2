"""The letters of a run's first pass, kept on disk until the run is known to succeed.

The first pass renders, checks and builds every file; the spool keeps each letter's files (and
what the manifest and a combined document need) in one anonymous temporary file, so that the
second pass writes them without rendering anything again. The file is unlinked as soon as it is
made: it takes no name in any folder, and the system frees it however the run ends, ``kill -9``
included. It lives beside the output folder, on the filesystem that is to hold the letters.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lettergen.errors import OutputError

if TYPE_CHECKING:
    from lettergen.writers import Writer

# Letters per group, for processes that write a share of the spool's letters (output/put.py).
GROUP = 64

# A file a worker process put in its file of built letters: file number, offset, length.
Ref = tuple[int, int, int]
# A spooled file: its bytes, or where a worker put them.
Stored = bytes | Ref


@dataclass(slots=True)
class SpooledLetter:
    """A letter the first pass built: what writing its files, the manifest and a combined
    document need of it, without its text or its record's fields."""

    # The recipient's id, and the file and line of the record in the input.
    recipient: str
    source: Path
    line: int
    # The letter's file stem, and the template (default or language variant) it came from.
    name: str
    template: Path | None
    # The hash of the record's fields, for the manifest.
    record_sha256: str
    # One file per writer, in the order of the run's writers.
    files: list[Stored]
    # The letter's body in a combined document (--combine), if there is one.
    body: str | None = None
    # Each file's SHA-256, when a worker process built the files (and hashed them there).
    files_sha256: list[str] | None = None


class WorkerFile:
    """Where one worker process (``--jobs``) puts the files it builds, for the spool to read.

    It is an anonymous file the main process made before the workers were forked; the
    worker writes at offsets of its own, so the main process reads while it writes.
    """

    def __init__(self, number: int, fd: int) -> None:
        self.number = number
        self.fd = fd
        self.end = 0

    def put(self, data: bytes) -> Ref:
        """Write ``data`` at the end of the file; return where it is."""
        at = self.end
        view = memoryview(data)
        while view:
            written = os.pwrite(self.fd, view, self.end)
            self.end += written
            view = view[written:]
        return (self.number, at, len(data))


class Spool:
    """An append-then-read store of built letters; :meth:`close` drops it."""

    def __init__(self, near: Path) -> None:
        folder = near
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        try:
            # Closed by close(); unlinked at once by tempfile, so nothing is ever left behind.
            self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
                dir=folder, prefix=".lettergen-"
            )
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=near) from None
        self._near = near
        self._folder = folder
        self._paths: dict[Path | None, int] = {}
        self._worker_files: list[IO[bytes]] = []
        self.count = 0
        # Where each group of GROUP letters starts (see groups()), and the letters added since.
        self._groups: list[int] = []
        self._pending: list[tuple[Any, ...]] = []

    def worker_files(self, count: int) -> list[WorkerFile]:
        """Make ``count`` files for worker processes to put the files they build in."""
        try:
            for _ in range(count):
                made = tempfile.TemporaryFile(dir=self._folder, prefix=".lettergen-")  # noqa: SIM115
                self._worker_files.append(made)
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=self._near) from None
        return [WorkerFile(number, made.fileno()) for number, made in enumerate(self._worker_files)]

    def read(self, stored: Stored) -> bytes:
        """Return the bytes of a spooled file."""
        if isinstance(stored, bytes):
            return stored
        number, offset, length = stored
        fd = self._worker_files[number].fileno()
        data = os.pread(fd, length, offset)
        while len(data) < length:  # a short read: ask for the rest
            more = os.pread(fd, length - len(data), offset + len(data))
            if not more:
                raise OutputError("a spooled letter was cut short", path=self._near)
            data += more
        return data

    def add(self, letter: SpooledLetter) -> None:
        """Keep one built letter."""
        # Paths are kept once, by number: unpickling a Path costs more than the letter.
        path = self._paths.setdefault(letter.source, len(self._paths))
        template = self._paths.setdefault(letter.template, len(self._paths))
        item = (letter.recipient, path, letter.line, letter.name, template, letter.record_sha256)
        self._pending.append((*item, letter.body, letter.files, letter.files_sha256))
        self.count += 1
        if len(self._pending) == GROUP:
            self._dump()

    def _dump(self) -> None:
        """Write the letters added since the last group as one group (one pickle: per letter,
        pickling cost more than the rest of spooling; a shared pickler's memo would grow)."""
        if not self._pending:
            return
        try:
            self._groups.append(self._file.tell())
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            # The last letters may still be in the buffer: a full disk says so here.
            self._file.flush()
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=self._near) from None
        self._pending = []

    def letters(self) -> Iterator[SpooledLetter]:
        """Yield the kept letters in order."""
        self._dump()
        try:
            self._file.seek(0)
        except OSError as exc:
            raise OutputError(f"cannot read the spool: {exc.strerror}", path=self._near) from None
        paths = list(self._paths)
        for _ in self._groups:
            for item in pickle.load(self._file):
                yield self._letter(item, paths)

    def groups(self) -> list[tuple[int, int]]:
        """Return where each group of ``GROUP`` letters starts, and how many letters it has
        (for :meth:`group`); the spool is flushed, ready to be read."""
        self._dump()
        return [
            (offset, min(GROUP, self.count - number * GROUP))
            for number, offset in enumerate(self._groups)
        ]

    @contextlib.contextmanager
    def reader(self) -> Iterator[IO[bytes]]:
        """Open the spool again, with an offset of its own (for a forked process)."""
        # The spool has no name; the process's link to its descriptor opens it all the same.
        with open(f"/proc/self/fd/{self._file.fileno()}", "rb") as handle:
            yield handle

    def group(self, handle: IO[bytes], offset: int, count: int) -> Iterator[SpooledLetter]:
        """Yield the ``count`` letters of the group at ``offset``, read through ``handle``."""
        paths = list(self._paths)
        handle.seek(offset)
        items = pickle.load(handle)
        assert len(items) == count
        for item in items:
            yield self._letter(item, paths)

    @staticmethod
    def _letter(item: tuple[Any, ...], paths: list[Path | None]) -> SpooledLetter:
        recipient, path, line, name, template, sha, body, files, digests = item
        source = paths[path]
        assert source is not None
        return SpooledLetter(
            recipient, source, line, name, paths[template], sha, files, body, digests
        )

    def close(self) -> None:
        """Drop the spool."""
        self._file.close()
        for made in self._worker_files:
            made.close()


class SpooledFormat:
    """One of the run's formats, its files read back from the spool (the first pass built
    them)."""

    def __init__(self, writer: Writer, index: int, spool: Spool) -> None:
        self.format = writer.format
        self.suffix = writer.suffix
        self.index = index
        self.spool = spool

    def file_of(self, letter: SpooledLetter) -> bytes:
        """Return the file built for ``letter`` in this format."""
        return self.spool.read(letter.files[self.index])

    def sha256(self, letter: SpooledLetter, data: bytes) -> str:
        """Return the SHA-256 of ``data``, the file of ``letter`` in this format (hashed
        already where a worker process built it)."""
        known = letter.files_sha256
        return known[self.index] if known is not None else hashlib.sha256(data).hexdigest()
