"""The converter previews share: one LibreOffice kept warm between lettergen commands.

Started (detached, in a process group of its own) by :mod:`lettergen.writers.pdf_shared` as
``python3 pdf_uno_server.py FOLDER SOFFICE KEEP``, by a Python that has LibreOffice's UNO
bindings. It starts LibreOffice with a profile inside ``FOLDER`` (a folder only its user can
enter), listens on the Unix socket ``FOLDER/socket``, and converts, for each connection, the one
line ``["letter.docx", "letter.pdf"]`` it reads, answering ``ok`` or ``error <kind>``. After
``KEEP`` seconds without a letter it stops LibreOffice and removes its socket and profile, so a
warm converter costs nothing for long. It imports nothing of lettergen.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from pdf_listener import listener_command  # type: ignore[import-not-found]
from pdf_uno_worker import connect, convert  # type: ignore[import-not-found]

# How long LibreOffice may take to start listening.
START_SECONDS = 60.0
# The longest request line read (two paths).
REQUEST_BYTES = 65536


def start_office(folder: Path, soffice: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start LibreOffice listening on a private pipe, its profile and temporary files in
    ``folder``; return the process and the pipe's name."""
    profile = folder / "profile"
    (profile / "tmp").mkdir(parents=True, exist_ok=True)
    pipe = f"lettergen-shared-{os.getpid()}-{secrets.token_hex(8)}"
    office = subprocess.Popen(
        listener_command(soffice, profile, pipe),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(profile / "tmp")},
    )  # in this server's process group: lettergen stops the two together
    return office, pipe


def answer(desktop: object, client: socket.socket) -> bool:
    """Convert the letter one client asks for; return False when LibreOffice is gone."""
    client.settimeout(10)
    request = b""
    while b"\n" not in request and len(request) < REQUEST_BYTES:
        chunk = client.recv(4096)
        if not chunk:
            return True
        request += chunk
    try:
        source, target = json.loads(request)
        convert(desktop, str(source), str(target))
    except Exception as error:  # the letter's failure, told back
        reply, alive = f"error {type(error).__name__}", "Disposed" not in type(error).__name__
    else:
        reply, alive = "ok", True
    with contextlib.suppress(OSError):
        client.sendall(reply.encode() + b"\n")
    return alive


def serve(folder: Path, soffice: str, keep: float) -> None:
    """Serve conversions until ``keep`` seconds pass without one."""
    office, pipe = start_office(folder, soffice)
    path = folder / "socket"
    try:
        desktop = connect(pipe, START_SECONDS)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        staged = folder / f"socket-{os.getpid()}"
        listener.bind(str(staged))
        listener.listen(8)
        (folder / "pid").write_text(str(os.getpid()))
        os.replace(staged, path)  # clients see the socket only once it listens
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while selector.select(keep) and office.poll() is None:
                client, _ = listener.accept()
                with client:
                    if not answer(desktop, client):
                        break
        with contextlib.suppress(Exception):
            desktop.terminate()
    finally:
        with contextlib.suppress(OSError):
            if (folder / "pid").read_text() == str(os.getpid()):
                path.unlink()
                (folder / "pid").unlink()
        try:
            office.wait(10)
        except subprocess.TimeoutExpired:
            # Whatever LibreOffice left running is in this group; this server outlives it.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            os.killpg(0, signal.SIGTERM)
            office.wait()
        shutil.rmtree(folder / "profile", ignore_errors=True)


def main(argv: list[str]) -> int:
    serve(Path(argv[1]), argv[2], float(argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
