"""Creating files in a folder other people may write to, without ever writing through a link.

An output folder can be shared, or writable by a second local user, or hold links left by an
archive. Every file lettergen creates there goes through this module: a temporary file is made
with ``O_CREAT | O_EXCL | O_NOFOLLOW`` under a name nobody can guess (so nothing planted at that
name is opened or followed), then renamed over its final name, which replaces whatever entry has
that name (a link included) and never writes into what a link points to. Files opened to be
appended to (the manifest) are opened with ``O_NOFOLLOW`` and must be plain files.

Folders are given as descriptors (``dir_fd``): once a folder is opened, names are looked up in
that folder, even if its path is later swapped for a link to somewhere else.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat

# Flags of every file created or appended to: never through a link, never inherited by children
# lettergen starts (LibreOffice).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_APPEND = os.O_WRONLY | os.O_APPEND | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0)
# How many fresh names to try when one is taken (by chance, or by someone who guessed).
_ATTEMPTS = 16


class LinkError(OSError):
    """A name lettergen writes to is a symbolic link (or not a plain file)."""


def temporary_name(name: str) -> str:
    """Return a hidden name beside ``name``, unpredictable, ending in ``.<pid>.tmp``.

    The process id lets a later run tell the leftovers of a killed run from those of a live one
    (see ``output.manifest.remove_stale_temporaries``).
    """
    return f".{name}.{secrets.token_hex(8)}.{os.getpid()}.tmp"


def create_temporary(path: str, dir_fd: int | None = None) -> tuple[int, str]:
    """Create a new, empty temporary file beside ``path``; return its descriptor and its path
    (its name, with ``dir_fd``). Nothing that already exists is opened."""
    folder, name = os.path.split(path)
    for _ in range(_ATTEMPTS):
        temporary = os.path.join(folder, temporary_name(name))
        try:
            return os.open(temporary, _CREATE, 0o666, dir_fd=dir_fd), temporary
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", path)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (a short write is followed by the rest)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_new(name: str, data: bytes, dir_fd: int | None = None) -> str:
    """Write ``data`` to a new temporary file for ``name``; return the temporary's name.

    The temporary is removed again if anything goes wrong (the disk is full, Ctrl-C, ...).
    """
    fd, temporary = create_temporary(name, dir_fd)
    try:
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=dir_fd)
        raise
    return temporary


def put_file(path: str, data: bytes) -> None:
    """Put ``data`` in place at ``path`` through a temporary file and a rename."""
    folder, name = os.path.split(path)
    dir_fd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        temporary = write_new(name, data, dir_fd)
        try:
            os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=dir_fd)
            raise
    finally:
        os.close(dir_fd)


def open_append(name: str, dir_fd: int | None = None) -> tuple[int, bool]:
    """Open ``name`` to append to, creating it if need be; return the descriptor and whether it
    was created. Raises :class:`LinkError` when ``name`` is a link or not a plain file."""
    try:
        try:
            fd = os.open(name, _APPEND | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=dir_fd)
            created = True
        except FileExistsError:
            fd = os.open(name, _APPEND, dir_fd=dir_fd)
            created = False
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENXIO):  # a link; a pipe
            raise LinkError(exc.errno, "not a plain file", name) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LinkError(errno.EINVAL, "not a plain file", name)
    return fd, created


def open_read(path: str, dir_fd: int | None = None) -> int:
    """Open the plain file ``path`` to read, not through a link (:class:`LinkError` if it is)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise LinkError(exc.errno, "a symbolic link", path) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LinkError(errno.EINVAL, "not a plain file", path)
    return fd


def is_link(name: str, dir_fd: int | None = None) -> bool:
    """Tell whether ``name`` exists and is a symbolic link (not followed)."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False
