"""A LibreOffice kept warm between commands, for previews: the second ``preview --pdf`` of a
session does not wait for LibreOffice to start.

The first preview starts :mod:`lettergen.writers.pdf_uno_server` in the background; it listens
on a Unix socket in a folder only its user can enter (``$XDG_RUNTIME_DIR/lettergen``, else
``lettergen-UID`` in the temporary folder) and stops by itself after ``$LETTERGEN_PDF_KEEP``
seconds without a letter (:data:`KEEP` by default; 0 keeps no LibreOffice between commands).
A lock in that folder lets one command at a time start or use it. A LibreOffice started before a
font was installed or removed, or before LibreOffice itself changed, would print otherwise than
``render`` now does: it is stopped and started afresh (:func:`fingerprint`). Whatever goes wrong
here -
no Unix sockets, a folder that is not the user's own, a converter that stalls - the preview
falls back to a LibreOffice of its own, so this can only make previews faster.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from lettergen.writers.pdf_batches import is_pdf

SERVER = Path(__file__).with_name("pdf_uno_server.py")
# Seconds the shared LibreOffice waits for the next letter before it stops.
KEEP = 600.0
# How long it may take to start, and to convert one letter.
START_SECONDS = 60.0
LETTER_SECONDS = 60.0
# The longest path a Unix socket may have (Linux: 108 bytes with the final NUL).
_SOCKET_PATH = 100


def keep_seconds() -> float:
    """Seconds a shared LibreOffice stays up without a letter ($LETTERGEN_PDF_KEEP)."""
    try:
        return max(0.0, float(os.environ.get("LETTERGEN_PDF_KEEP", KEEP)))
    except ValueError:
        return KEEP


def folder() -> Path:
    """The folder of the shared LibreOffice: its socket, lock, process id and profile."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "lettergen"
    return Path(tempfile.gettempdir()) / f"lettergen-{os.getuid()}"


def _own_folder() -> Path | None:
    """Make the folder (only its user may enter), or None if it is someone else's or open."""
    place = folder()
    try:
        place.mkdir(mode=0o700, exist_ok=True)
        found = os.lstat(place)
    except OSError:
        return None
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
        return None
    if found.st_mode & 0o077 or len(str(place / "socket")) > _SOCKET_PATH:
        return None
    return place


@contextlib.contextmanager
def _locked(place: Path) -> Iterator[None]:
    with open(place / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _connect(place: Path) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(place / "socket"))
    except OSError:
        client.close()
        return None
    return client


# Where fontconfig finds fonts unless configured otherwise (the system's, the user's).
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


def fingerprint(soffice: str) -> str:
    """Return what a kept LibreOffice's output depends on besides the letter: which LibreOffice
    (its program's path and time), and the fonts (the latest change to any font folder)."""
    program = os.path.realpath(soffice)
    try:
        stamp = os.stat(program).st_mtime_ns
    except OSError:
        stamp = 0
    fonts = 0
    for root in FONT_FOLDERS:
        for folder_path, _, _ in os.walk(os.path.expanduser(root)):
            with contextlib.suppress(OSError):
                fonts = max(fonts, os.stat(folder_path).st_mtime_ns)
    return f"{program} {stamp} {fonts}"


def _kept(place: Path, soffice: str) -> socket.socket | None:
    """Return a connection to the kept LibreOffice if one runs and still prints as a fresh
    one would; stop one that would not."""
    try:
        same = (place / "fingerprint").read_text() == fingerprint(soffice)
    except OSError:
        same = False
    if not same:
        stop(place)
        return None
    return _connect(place)


def _start(place: Path, soffice: str, python: str, keep: float) -> socket.socket | None:
    """Start the shared LibreOffice; return a connection once it listens, or None."""
    (place / "socket").unlink(missing_ok=True)
    (place / "fingerprint").write_text(fingerprint(soffice))
    subprocess.Popen(
        [python, str(SERVER), str(place), soffice, str(keep)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # outlives this command, untouched by its Ctrl-C
        close_fds=True,
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        client = _connect(place)
        if client is not None:
            return client
        time.sleep(0.05)
    stop(place)
    return None


def stop(place: Path | None = None) -> None:
    """Stop the shared LibreOffice (with the processes it started), if one runs."""
    place = place or folder()
    with contextlib.suppress(OSError, ValueError):
        group = int((place / "pid").read_text())
        os.killpg(group, signal.SIGKILL)
    for name in ("pid", "socket", "fingerprint"):
        (place / name).unlink(missing_ok=True)


def convert_shared(soffice: str, python: str, docx: Path, target: Path) -> bool:
    """Convert ``docx`` into the PDF ``target`` by the shared LibreOffice, starting it if
    none runs; return whether a whole PDF was written (False: convert it another way)."""
    keep = keep_seconds()
    if keep <= 0 or sys.platform == "win32" or not hasattr(socket, "AF_UNIX"):
        return False
    place = _own_folder()
    if place is None:
        return False
    with _locked(place):
        client = _kept(place, soffice) or _start(place, soffice, python, keep)
        if client is None:
            return False
        with client:
            client.settimeout(LETTER_SECONDS)
            request = json.dumps([str(docx.resolve()), str(target.resolve())]) + "\n"
            try:
                client.sendall(request.encode("utf-8"))
                reply = client.makefile("rb").readline().decode("utf-8", "replace").strip()
            except OSError:  # it stalled or died: the next preview starts a fresh one
                stop(place)
                return False
    return reply == "ok" and is_pdf(target)
