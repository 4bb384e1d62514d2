"""The letters of a run's first pass, kept on disk until the run is known to succeed.

The first pass renders, checks and builds every file; the spool keeps each letter's files (and
what the manifest and a combined document need) in one anonymous temporary file, so that the
second pass writes them without rendering anything again. The file is unlinked as soon as it is
made: it takes no name in any folder, and the system frees it however the run ends, ``kill -9``
included. It lives beside the output folder, on the filesystem that is to hold the letters.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .errors import OutputError
from .manifest import RECORD_SHA256
from .merge import Letter
from .recipients import Record

if TYPE_CHECKING:
    from .writers import Writer

# Where a spooled letter keeps its files and its combined-document body (and, under
# manifest.RECORD_SHA256, its record's hash).
FILES = "_lettergen_files"
BODY = "_lettergen_body"


class Spool:
    """An append-then-read store of built letters; :meth:`close` drops it."""

    def __init__(self, near: Path) -> None:
        folder = near
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        try:
            # Closed by close(); unlinked at once by tempfile, so nothing is ever left behind.
            self._file: IO[bytes] = tempfile.TemporaryFile(dir=folder, prefix=".lettergen-")  # noqa: SIM115
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=near) from None
        self._near = near
        self._paths: dict[Path | None, int] = {}
        self.count = 0

    def add(self, letter: Letter, files: list[bytes], body: str | None, record_sha256: str) -> None:
        """Keep one letter's files (one per writer), combined-document body and record hash."""
        record = letter.record
        # Paths are kept once, by number: unpickling a Path costs more than the letter.
        path = self._paths.setdefault(record.path, len(self._paths))
        template = self._paths.setdefault(letter.template, len(self._paths))
        item = (record.id, path, record.line, letter.name, template, record_sha256)
        try:
            # One pickle per letter: a shared pickler's memo would grow with the letters.
            pickle.dump((*item, body, files), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", path=self._near) from None
        self.count += 1

    def letters(self) -> Iterator[Letter]:
        """Yield the kept letters in order, each with its files in ``context[FILES]``."""
        self._file.flush()
        self._file.seek(0)
        paths = list(self._paths)
        for _ in range(self.count):
            rid, path, line, name, template, sha, body, files = pickle.load(self._file)
            source = paths[path]
            assert source is not None
            record = Record(id=rid, fields={}, path=source, line=line)
            context = {FILES: files, BODY: body, RECORD_SHA256: sha}
            yield Letter(
                record=record, name=name, text="", context=context, template=paths[template]
            )

    def close(self) -> None:
        """Drop the spool."""
        self._file.close()


class Spooled:
    """A writer standing in for one whose bytes the first pass built and spooled."""

    def __init__(self, writer: Writer, index: int) -> None:
        self.format = writer.format
        self.suffix = writer.suffix
        self.index = index

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the bytes built for ``letter`` in the first pass."""
        files: list[bytes] = letter.context[FILES]
        return files[self.index]
