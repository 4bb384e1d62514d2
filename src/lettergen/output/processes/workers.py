"""Forked worker processes, each taking tasks on one pipe and sending results on another.

The main process gives a task to the worker with the fewest in hand and takes results back
worker by worker, in the order each worker was given its tasks. It never blocks on a write:
what a worker's pipe does not take yet waits here, and goes out as the pipe empties while the
main process waits for results, so a large task cannot deadlock against a large result. There
are no threads: handing a task over and taking its result back costs the main process two
system calls and two pickles (concurrent.futures' process pool adds two threads, which took
a fifth of the main process's time and woke it for every result).

Workers are forked: they inherit what the main process prepared (the compiled template, the
checks' index) and what the task function refers to.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import select
import signal
import struct
import sys
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lettergen.errors import OutputError

_PR_SET_PDEATHSIG = 1
# A message between processes: its length, then its pickle.
_HEAD = struct.Struct("<Q")


class Workers:
    """``count`` forked processes, each running ``task`` on the messages it is given.

    ``start`` runs first in each new process, with the process's number (0 to count - 1).
    """

    def __init__(
        self,
        count: int,
        task: Callable[..., Any],
        start: Callable[[int], None] | None = None,
    ) -> None:
        self.pids: list[int] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.waiting: list[bytearray] = []  # bytes not yet taken by each worker's pipe
        self.received: list[bytearray] = []  # bytes of results not yet whole
        self.results: list[deque[Any]] = []
        self.in_hand: list[int] = []
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            for number in range(count):
                self._start(number, task, start)
        except BaseException:
            self.close()
            raise

    def _start(
        self, number: int, task: Callable[..., Any], start: Callable[[int], None] | None
    ) -> None:
        tasks_in, tasks_out = os.pipe()
        results_in, results_out = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            for fd in (*self.inputs, *self.outputs, tasks_out, results_in):
                os.close(fd)
            _serve(number, task, start, tasks_in, results_out)
        os.close(tasks_in)
        os.close(results_out)
        os.set_blocking(tasks_out, False)
        self.pids.append(pid)
        self.inputs.append(tasks_out)
        self.outputs.append(results_in)
        self.waiting.append(bytearray())
        self.received.append(bytearray())
        self.results.append(deque())
        self.in_hand.append(0)

    def submit(self, *args: Any) -> int:
        """Give ``task(*args)`` to the worker with the fewest tasks in hand; return which."""
        worker = min(range(len(self.pids)), key=self.in_hand.__getitem__)
        data = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        self.waiting[worker] += _HEAD.pack(len(data)) + data
        self.in_hand[worker] += 1
        self._send(worker)
        return worker

    def result(self, worker: int) -> Any:
        """Return the result of the oldest task ``worker`` has in hand (waiting for it).

        Raises :class:`OutputError` if the worker died, and RuntimeError if its task raised.
        """
        results = self.results[worker]
        while not results:
            self._pump()
        self.in_hand[worker] -= 1
        return results.popleft()

    def _send(self, worker: int) -> None:
        waiting = self.waiting[worker]
        try:
            sent = os.write(self.inputs[worker], waiting)
        except BlockingIOError:
            return
        except BrokenPipeError:
            raise _stopped() from None
        del waiting[:sent]

    def _pump(self) -> None:
        """Wait until a worker's pipe can take more or a worker has sent something; move it."""
        poll = select.poll()
        for worker, fd in enumerate(self.outputs):
            if self.in_hand[worker]:
                poll.register(fd, select.POLLIN)
            if self.waiting[worker]:
                poll.register(self.inputs[worker], select.POLLOUT)
        for fd, _ in poll.poll():
            if fd in self.inputs:
                self._send(self.inputs.index(fd))
            else:
                self._receive(self.outputs.index(fd))

    def _receive(self, worker: int) -> None:
        data = os.read(self.outputs[worker], 1 << 20)
        if not data:
            raise _stopped()
        received = self.received[worker]
        received += data
        while len(received) >= _HEAD.size:
            (length,) = _HEAD.unpack_from(received)
            end = _HEAD.size + length
            if len(received) < end:
                break
            message = pickle.loads(received[_HEAD.size : end])
            del received[:end]
            if isinstance(message, _Crash):
                raise message.error()
            self.results[worker].append(message)

    def close(self) -> None:
        """Stop the workers (at once, if they still have tasks in hand) and reap them."""
        for fd in self.inputs:
            with contextlib.suppress(OSError):
                os.close(fd)
        if any(self.in_hand):  # the run stopped early: their work is not wanted
            for pid in self.pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        for pid in self.pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for fd in self.outputs:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.inputs, self.outputs, self.pids = [], [], []


def _stopped() -> OutputError:
    return OutputError(
        "a worker process stopped before its letters were done (killed, or out of "
        "memory?); nothing was written: run again, or with --jobs 1"
    )


@dataclass
class _Crash:
    """An unexpected exception in a worker (a bug), to be raised in the main process."""

    error_type: str
    text: str

    def error(self) -> RuntimeError:
        return RuntimeError(f"a worker process failed with {self.error_type}:\n{self.text}")


def _serve(
    number: int,
    task: Callable[..., Any],
    start: Callable[[int], None] | None,
    tasks: int,
    results: int,
) -> None:  # pragma: no cover - runs in a forked child
    """Run the tasks that arrive on ``tasks``, sending each result on ``results``, until the
    main process closes its end; leave the process."""
    status = 0
    try:
        die_with_parent()
        if start is not None:
            start(number)
        with open(tasks, "rb") as incoming:
            while head := incoming.read(_HEAD.size):
                (length,) = _HEAD.unpack(head)
                message = incoming.read(length)
                try:
                    result = task(*pickle.loads(message))
                    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as exc:  # a bug: the main process raises it, with its trace
                    crash = _Crash(type(exc).__name__, traceback.format_exc())
                    data = pickle.dumps(crash, protocol=pickle.HIGHEST_PROTOCOL)
                _write_all(results, _HEAD.pack(len(data)) + data)
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def die_with_parent() -> None:
    """Have the kernel kill this worker when the main process dies (even by ``kill -9``).

    A worker outliving its run would go on writing temporary files into the output folder.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    # Ctrl-C reaches the whole process group: the main process stops the run, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
