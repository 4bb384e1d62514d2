"""A lightweight progress bar for long runs: letters done, rate and time left, on stderr.

It shows only on a terminal, only once a run has lasted a second (short runs stay quiet), and
redraws at most ten times a second, so it costs nothing measurable per letter.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TextIO, TypeVar

T = TypeVar("T")

_WIDTH = 24


class Progress:
    """Counts letters and draws ``[#####-----] 4,210/10,000 letters  42%  3,870/s  0:02 left``.

    With ``total`` None (the checking pass, before the count is known) it draws a counter:
    ``4,210 letters checked  3,870/s``.
    """

    def __init__(
        self,
        total: int | None,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        delay: float = 1.0,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        unit: str = "letters",
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        # Piped or redirected output (a log file, CI) gets no bar.
        self.enabled = enabled and total != 0 and _isatty(self.stream)
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.unit = unit
        self.done = 0
        self.start = clock()
        self._drawn_at: float | None = None
        self._width = 0

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more letters done; redraw if it is time to."""
        self.done += count
        if not self.enabled:
            return
        now = self.clock()
        if now - self.start < self.delay:
            return
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self._draw(now)

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting one done each time the next one is asked for."""
        for item in items:
            yield item
            self.advance()

    def line(self, now: float) -> str:
        """Return the bar as it stands at time ``now``."""
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        if self.total is None:
            return f"{self.done:,} {self.unit}  {rate:,.0f}/s"
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(_WIDTH * fraction)
        left = _duration((self.total - self.done) / rate) if rate > 0 else "-:--"
        return (
            f"[{'#' * filled}{'-' * (_WIDTH - filled)}] {self.done:,}/{self.total:,} "
            f"{self.unit}  {fraction:4.0%}  {rate:,.0f}/s  {left} left"
        )

    def interrupting(self, warn: Callable[[str], None]) -> Callable[[str], None]:
        """Return ``warn`` made to erase the bar first, so a warning starts on a clean line."""

        def clean_warn(message: str) -> None:
            self.close()
            warn(message)

        return clean_warn

    def _draw(self, now: float) -> None:
        text = self.line(now)
        # Pad over the end of a longer previous line instead of relying on terminal codes.
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)
        self._drawn_at = now

    def close(self) -> None:
        """Erase the bar, so the run's summary line starts on a clean line."""
        if self._drawn_at is not None:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._drawn_at = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


def _duration(seconds: float) -> str:
    """Return ``seconds`` as ``m:ss`` (or ``h:mm:ss``)."""
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
