"""DOCX to PDF through long-lived LibreOffice listeners driven over UNO, one per worker.

Starting LibreOffice costs seconds; a listener started once converts letter after letter as
they are built. Each :class:`Converter` is a LibreOffice listening on a private named pipe (a
socket only its user can reach: no network port) with a throw-away profile, and the small
program :mod:`lettergen.writers.pdf_uno_worker`, run by a Python that has LibreOffice's UNO
bindings, that drives it. lettergen's own Python usually has no ``uno`` (Debian ships it for the
system's Python only), hence the second program, spoken to over its standard input and output.

A converter that dies, or takes longer than :data:`LETTER_SECONDS` over one letter, is killed
(LibreOffice with every process it started) and started afresh for the next letter; the letter
is reported as not converted. After :data:`RECYCLE` letters a converter is restarted, so that a
run of any length keeps LibreOffice's memory flat.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from queue import SimpleQueue

from lettergen.writers.pdf_batches import is_pdf, private_profile
from lettergen.writers.pdf_listener import listener_command

WORKER = Path(__file__).with_name("pdf_uno_worker.py")
# Pythons that may have LibreOffice's UNO bindings, after $LETTERGEN_UNO_PYTHON: the one some
# LibreOffice builds bring along (next to soffice), then the system's (Debian's python3-uno).
SYSTEM_PYTHONS = ("/usr/bin/python3",)
INSTALL_UNO = "apt-get install python3-uno"
# How long LibreOffice may take to start listening, and to convert one letter.
START_SECONDS = 60.0
LETTER_SECONDS = 60.0
# How much longer a combined document of letters may take, for each letter after its first.
MORE_SECONDS = 5.0
# Letters a converter converts before it is restarted (LibreOffice's memory grows slowly).
RECYCLE = 500


def uno_python(soffice: str) -> str | None:
    """Return a Python that can drive LibreOffice (it imports ``uno``), or None."""
    candidates = [os.environ.get("LETTERGEN_UNO_PYTHON", "")]
    candidates.append(str(Path(os.path.realpath(soffice)).with_name("python")))
    candidates.extend(SYSTEM_PYTHONS)
    return _first_with_uno(tuple(filter(None, candidates)))


@functools.cache
def _first_with_uno(candidates: tuple[str, ...]) -> str | None:
    for python in candidates:
        if not os.access(python, os.X_OK):
            continue
        try:
            found = subprocess.run(
                [python, "-c", "import uno"], capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0:
            return python
    return None


class ConverterError(Exception):
    """A converter lost a letter; the message says why, for the user."""


class StartError(ConverterError):
    """A converter could not start: LibreOffice or its UNO worker does not run here."""


class Converter:
    """One LibreOffice listener and the UNO worker that feeds it letters, one at a time."""

    def __init__(self, soffice: str, python: str) -> None:
        self.soffice = soffice
        self.python = python
        self._office: subprocess.Popen[bytes] | None = None
        self._worker: subprocess.Popen[bytes] | None = None
        self._profile: Path | None = None
        self._environment: dict[str, str] | None = None
        self._buffer = b""
        self.converted = 0

    @property
    def alive(self) -> bool:
        """Whether LibreOffice and its worker are running."""
        return (
            self._worker is not None
            and self._worker.poll() is None
            and self._office is not None
            and self._office.poll() is None
        )

    def start(self) -> None:
        """Start LibreOffice listening and its worker; raise ConverterError if it does not
        answer within :data:`START_SECONDS`."""
        self.stop()
        self._profile, self._environment = private_profile()
        pipe = f"lettergen-{os.getpid()}-{secrets.token_hex(8)}"
        try:
            self._launch(pipe)
        except OSError as error:
            self.stop()
            raise StartError(f"LibreOffice could not be started: {error.strerror}") from None
        self.converted = 0
        if self._answer(START_SECONDS) != "ready":
            self.stop()
            raise StartError(f"LibreOffice did not start listening within {START_SECONDS:.0f} s")

    def _launch(self, pipe: str) -> None:
        assert self._profile is not None
        self._office = subprocess.Popen(
            listener_command(self.soffice, self._profile, pipe),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped whole, spared Ctrl-C
            env=self._environment,
        )
        self._worker = subprocess.Popen(
            [self.python, str(WORKER), pipe, str(START_SECONDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def convert(self, source: Path, target: Path, *, letters: int = 1) -> None:
        """Convert the DOCX ``source`` into the PDF ``target``, starting LibreOffice if needed;
        raise ConverterError saying what went wrong (the converter is then restarted).

        ``source`` holds ``letters`` letters (a combined document, :mod:`pdf_groups`): its
        bookmarks become named destinations, and it counts as that many towards a restart.
        """
        if not self.alive or self.converted >= RECYCLE:
            self.start()
        assert self._worker is not None and self._worker.stdin is not None
        paths = [str(source.resolve()), str(target.resolve())]
        request = json.dumps([*paths, letters > 1]) + "\n"
        try:
            self._worker.stdin.write(request.encode("utf-8"))
            self._worker.stdin.flush()
        except OSError:
            self.stop()
            raise ConverterError("LibreOffice stopped") from None
        limit = LETTER_SECONDS + MORE_SECONDS * (letters - 1)
        answer = self._answer(limit)
        self.converted += letters
        if answer == "ok" and is_pdf(target):
            return
        if answer is None:
            died = self._died()
            self.stop()
            raise ConverterError(
                "LibreOffice stopped"
                if died
                else f"LibreOffice took over {limit:.0f} s over "
                + ("one letter" if letters == 1 else f"{letters} letters")
            )
        if answer == "ok":
            raise ConverterError("LibreOffice wrote no whole PDF")
        raise ConverterError(f"LibreOffice failed with {answer.removeprefix('error ')}")

    def _died(self) -> bool:
        """Whether LibreOffice or its worker has ended (given a moment to be reaped)."""
        for process in (self._office, self._worker):
            if process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(0.2)
                if process.returncode is not None:
                    return True
        return False

    def _answer(self, seconds: float) -> str | None:
        """Read the worker's next line; None if it ends or says nothing for ``seconds``."""
        assert self._worker is not None and self._worker.stdout is not None
        stream = self._worker.stdout
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if not selector.select(min(left, 1.0)):
                    if not self.alive:
                        return None
                    continue
                chunk = os.read(stream.fileno(), 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace").strip()

    def stop(self) -> None:
        """Stop LibreOffice (with every process it started) and the worker; remove the profile."""
        for process in (self._worker, self._office):
            if process is None:
                continue
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if self._worker is not None:
            for stream in (self._worker.stdin, self._worker.stdout):
                if stream is not None:
                    stream.close()
        self._office = self._worker = None
        self._buffer = b""
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


class ConverterPool:
    """``size`` converters converting letters as they come, each in a thread of its own.

    :meth:`submit` returns at once (or, when ``size * 8`` letters wait, once one is done, so
    that a fast build never runs far ahead); each result is None for a letter converted, or
    what went wrong.
    """

    def __init__(self, soffice: str, python: str, size: int) -> None:
        self._idle: SimpleQueue[Converter] = SimpleQueue()
        self._all = [Converter(soffice, python) for _ in range(size)]
        for converter in self._all:
            self._idle.put(converter)
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="lettergen-pdf")
        self._room = threading.BoundedSemaphore(size * 8)
        # Why converters cannot start here, once one failed to: the letters left go elsewhere.
        self.broken: str | None = None
        self._closing = False

    def submit(
        self,
        source: Path,
        target: Path,
        *,
        letters: int = 1,
        then: Callable[[], None] | None = None,
    ) -> Future[str | None]:
        """Have a converter convert ``source`` (holding ``letters`` letters) into ``target``,
        then call ``then`` (which may raise ConverterError: the conversion failed)."""
        self._room.acquire()
        return self._threads.submit(self._convert, source, target, letters, then)

    def _convert(
        self, source: Path, target: Path, letters: int, then: Callable[[], None] | None
    ) -> str | None:
        converter = self._idle.get()
        try:
            if self._closing:
                return "the run was stopped"
            if self.broken is not None:
                return self.broken
            converter.convert(source, target, letters=letters)
            if then is not None:
                then()
            source.unlink()  # converted: its DOCX is not needed again, and disk stays flat
            return None
        except StartError as error:
            self.broken = str(error)
            return self.broken
        except ConverterError as error:
            target.unlink(missing_ok=True)  # a half-written PDF is not kept
            return str(error)
        finally:
            self._idle.put(converter)
            self._room.release()

    def restart(self) -> None:
        """Stop every converter, so that the next letters go to fresh LibreOffices."""
        for converter in self._all:
            converter.stop()

    def close(self) -> None:
        """Stop every converter, also those at work (their letters fail), and the threads."""
        self._closing = True
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.restart()
        self._threads.shutdown(wait=True)
        self.restart()
