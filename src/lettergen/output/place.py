"""The output folder of a run's second pass: every file put there, and taking them back.

A run writes nothing unless it writes everything. The first pass builds every letter without
touching the output folder; this module puts the built files in place, and remembers what it
did: each letter put in place, each file it replaced (``--force``, or an unchanged letter of an
earlier run), kept under a hidden name until the run ends, and the size the manifest had. If a
write fails part-way (a full disk, a file-size limit, a read-only or vanished folder), the run
takes everything back: letters it added go, letters it replaced come back, the manifest is cut
back to its old length, folders it made are removed. Once the run has succeeded, the kept copies
go. An interruption (Ctrl-C, SIGTERM) keeps the whole letters already in place, for
``--skip-unchanged`` to resume from.

The folder is opened once, at the start; every name is looked up in the folder opened, through
:mod:`lettergen.safeio` (no file is created or appended to through a link), and at the end the
path the user named must still lead to it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from lettergen import safeio
from lettergen.errors import OutputError

# A letter put in place, and the hidden name of the file it replaced (None: there was none).
Entry = tuple[str, str | None]

_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, or choose another output folder with -o",
    errno.EDQUOT: "the disk quota is used up: free some space, or choose another output folder",
    errno.EFBIG: "a file would pass the file-size limit (ulimit -f, a quota, or the filesystem's)",
    errno.EROFS: "the output folder is on a read-only filesystem: choose another with -o",
    errno.EACCES: "permission denied: make the output folder writable, or choose another with -o",
    errno.EPERM: "permission denied: make the output folder writable, or choose another with -o",
    errno.ENOENT: "the output folder was removed during the run",
}


# A folder's device and inode: what it is, whatever its path.
Identity = tuple[int, int]
_REPLACED = "the output folder was moved, removed or replaced during the run"


def identify(path: Path) -> Identity | None:
    """Return what the folder at ``path`` is (None if there is none), for :class:`OutputFolder`
    to check, when it opens the folder, that it is the one the run started with."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def write_failure(exc: OSError, path: Path) -> OutputError:
    """Return the error of a write to ``path`` that failed with ``exc``, saying what to do."""
    if isinstance(exc, safeio.LinkError):
        return OutputError(
            "is a symbolic link or not a plain file; lettergen reads and writes only plain files "
            "in the output folder: remove it, or choose another output folder with -o",
            path=path,
        )
    advice = _ADVICE.get(exc.errno or 0) or exc.strerror or str(exc)
    return OutputError(f"cannot write: {advice}", path=path)


class OutputFolder:
    """The output folder, opened for one run's second pass (see the module's docstring)."""

    def __init__(self, path: Path, *, started: bool = False, found: Identity | None = None) -> None:
        # With started, found is what identify() saw at the path when the run started: the
        # folder opened must be that one (None: one this run makes).
        self.path = path
        self._started = started
        self._found = found
        self.fd = -1
        self.journal: list[Entry] = []
        self._made: list[Path] = []
        # Files appended to (the manifest): descriptor, name, size before the run, made by it.
        self._appended: list[tuple[int, str, int, bool]] = []
        self._identity: tuple[int, int] = (0, 0)

    def open(self) -> OutputFolder:
        """Create the folder (and its parents) if need be, and open it."""
        missing = []
        folder = self.path
        while not folder.is_dir() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        try:
            for new in reversed(missing):
                new.mkdir()
                self._made.append(new)
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            self._remove_made()
            if isinstance(exc, FileExistsError | NotADirectoryError):
                message = "cannot create the output folder: a file is in the way"
            else:
                message = f"cannot create the output folder: {exc.strerror}"
            raise OutputError(message, path=self.path) from None
        opened = os.fstat(self.fd)
        self._identity = (opened.st_dev, opened.st_ino)
        ours = self.path in self._made
        if self._started and (self._identity != self._found if self._found else not ours):
            self.take_back()
            raise OutputError(_REPLACED, path=self.path)
        return self

    def put(self, name: str, data: bytes) -> None:
        """Put ``data`` in place as ``name``; a file it replaces is kept until :meth:`finish`."""
        temporary = None
        try:
            temporary = safeio.write_new(name, data, self.fd)
            kept = self._keep(name)
            try:
                os.replace(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
            except BaseException:
                if kept is not None:
                    self._undo((name, kept), replaced=False)
                raise
            temporary = None
            self.journal.append((name, kept))
        except OSError as exc:
            raise write_failure(exc, self.path / name) from None
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=self.fd)

    def _keep(self, name: str) -> str | None:
        """Keep what is at ``name`` (a file or a link, never what a link points to) under a
        hidden name; return that name, or None when there is nothing at ``name``."""
        try:
            found = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISDIR(found.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
        kept = safeio.temporary_name(name)
        try:
            # A second name for the same file: the letter stays in place until it is replaced.
            os.link(name, kept, src_dir_fd=self.fd, dst_dir_fd=self.fd, follow_symlinks=False)
        except OSError:
            # A filesystem without hard links: the file moves aside for a moment.
            os.rename(name, kept, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        return kept

    def append_to(self, name: str) -> int:
        """Open ``name`` in the folder to append to (made if need be); return its descriptor,
        which the folder closes, cutting the file back if the run is taken back."""
        try:
            fd, created = safeio.open_append(name, self.fd)
        except OSError as exc:
            raise write_failure(exc, self.path / name) from None
        self._appended.append((fd, name, 0 if created else os.fstat(fd).st_size, created))
        return fd

    def check(self) -> None:
        """Raise :class:`OutputError` when the path of the folder no longer leads to it."""
        try:
            found = os.stat(self.path)
            same = (found.st_dev, found.st_ino) == self._identity
        except OSError:
            same = False
        if not same:
            raise OutputError(_REPLACED, path=self.path)

    def take_back(self) -> None:
        """Undo every write of the run (see the module's docstring), as far as possible."""
        for entry in reversed(self.journal):
            with contextlib.suppress(OSError):
                self._undo(entry, replaced=True)
        self.journal.clear()
        for fd, name, size, created in self._appended:
            with contextlib.suppress(OSError):
                if created:
                    os.unlink(name, dir_fd=self.fd)
                else:
                    os.ftruncate(fd, size)
        self._close()
        self._remove_made()

    def _undo(self, entry: Entry, *, replaced: bool) -> None:
        """Put back what was at ``entry``'s name before the run (nothing, or the kept file)."""
        name, kept = entry
        if kept is None:
            if replaced:
                os.unlink(name, dir_fd=self.fd)
        elif self._same(kept, name):
            # Still the kept file's second name (renaming one onto the other does nothing).
            os.unlink(kept, dir_fd=self.fd)
        else:
            os.replace(kept, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def _same(self, one: str, other: str) -> bool:
        """Tell whether two names of the folder are one file."""
        try:
            first = os.stat(one, dir_fd=self.fd, follow_symlinks=False)
            second = os.stat(other, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)

    def finish(self) -> None:
        """End a run whose letters stay: drop the kept copies of the files they replaced."""
        for _, kept in self.journal:
            if kept is not None:
                with contextlib.suppress(OSError):
                    os.unlink(kept, dir_fd=self.fd)
        self.journal.clear()
        self._close()

    def _close(self) -> None:
        for fd, *_ in self._appended:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._appended.clear()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _remove_made(self) -> None:
        for made in reversed(self._made):
            with contextlib.suppress(OSError):
                made.rmdir()
        self._made.clear()


@contextlib.contextmanager
def opened(out: OutputFolder | Path) -> Iterator[OutputFolder]:
    """Yield ``out`` as an open folder; a path is opened here, and its writes are taken back
    if the block fails (kept, whole, if it is interrupted)."""
    if isinstance(out, OutputFolder):
        yield out
        return
    folder = OutputFolder(out).open()
    with run_in(folder):
        yield folder


@contextlib.contextmanager
def run_in(folder: OutputFolder) -> Iterator[OutputFolder]:
    """Run a second pass in ``folder``: all its writes stay if the block ends well (or is
    interrupted), none if it fails; then the folder is closed."""
    try:
        yield folder
        folder.check()
    except Exception as exc:
        folder.take_back()
        if isinstance(exc, OutputError):
            raise OutputError(
                f"{exc.message}; nothing was written: the output folder is as it was",
                path=exc.path,
                line=exc.line,
                record=exc.record,
                field=exc.field,
            ) from None
        raise
    finally:
        folder.finish()
