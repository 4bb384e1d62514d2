"""The progress bar: on a terminal only, after a second, with count, rate and time left."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.output import run as batch
from lettergen.output.progress import Progress
from tests.conftest import write


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bar_shows_count_rate_and_time_left_after_a_second() -> None:
    stream, clock = Terminal(), Clock()
    bar = Progress(10_000, stream=stream, clock=clock)

    clock.now += 0.5
    bar.advance(1_000)
    assert stream.getvalue() == ""  # a short run shows nothing

    clock.now += 1.5  # 2,500 letters in 2 s
    bar.advance(1_500)
    shown = stream.getvalue()
    assert shown == "\r[######------------------] 2,500/10,000 letters   25%  1,250/s  0:06 left"

    clock.now += 0.01  # redraws at most ten times a second
    bar.advance(10)
    assert stream.getvalue() == shown

    bar.close()
    assert stream.getvalue().endswith("\r" + " " * (len(shown) - 1) + "\r")


def test_wrap_counts_each_item_once_it_is_done() -> None:
    stream, clock = Terminal(), Clock()
    bar = Progress(3, stream=stream, clock=clock, delay=0)
    seen = []
    for item in bar.wrap("abc"):
        seen.append((item, bar.done))
        clock.now += 1
    assert seen == [("a", 0), ("b", 1), ("c", 2)]
    assert bar.done == 3
    assert stream.getvalue().endswith("3/3 letters  100%  1/s  0:00 left")


def test_no_bar_when_piped_or_disabled() -> None:
    piped, clock = io.StringIO(), Clock()
    bar = Progress(10, stream=piped, clock=clock)
    quiet_stream = Terminal()
    quiet = Progress(10, stream=quiet_stream, clock=clock, enabled=False)
    clock.now += 5
    bar.advance(5)
    quiet.advance(5)
    bar.close()
    quiet.close()
    assert piped.getvalue() == ""
    assert quiet_stream.getvalue() == ""


@pytest.mark.parametrize(
    ("flags", "enabled", "first"),
    [([], True, 2), (["--quiet"], False, 2), (["--no-check"], True, None)],
)
def test_render_asks_for_a_bar_unless_quiet(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    enabled: bool,
    first: int | None,
) -> None:
    write(tmp_path / "t.txt.j2", "Hello {{ recipient.name }}\n")
    write(tmp_path / "people.yaml", "- {id: a, name: Ana}\n- {id: b, name: Bo}\n")
    made: list[dict[str, Any]] = []
    original = Progress.__init__

    def recording(self: Progress, total: int, **kwargs: Any) -> None:
        made.append({"total": total, **kwargs})
        original(self, total, **kwargs)

    monkeypatch.setattr(batch.Progress, "__init__", recording)

    result = runner.invoke(
        cli,
        [
            "render",
            str(tmp_path / "t.txt.j2"),
            str(tmp_path / "people.yaml"),
            "-o",
            str(tmp_path / "out"),
            *flags,
        ],
    )

    assert result.exit_code == 0, result.output
    # The checks count the records first: the long first pass shows a bar with time left;
    # without them it shows a counter.
    assert made == [{"total": first, "enabled": enabled}, {"total": 2, "enabled": enabled}]
    # CliRunner's stderr is not a terminal: no bar, whatever was asked.
    assert "\r" not in result.stderr
    assert (tmp_path / "out" / "b.txt").read_text(encoding="utf-8") == "Hello Bo\n"


def test_checking_pass_shows_a_counter_and_warnings_start_on_a_clean_line() -> None:
    stream, clock = Terminal(), Clock()
    counter = Progress(None, stream=stream, clock=clock, unit="letters checked")
    heard: list[tuple[str, str]] = []
    warn = counter.interrupting(lambda message: heard.append((message, stream.getvalue())))

    clock.now += 2
    counter.advance(1_500)
    line = "\r1,500 letters checked  750/s"
    assert stream.getvalue() == line

    warn("people.yaml:3: warning: ...")
    # The warning came after the counter was erased; the next letter draws it again.
    assert heard == [("people.yaml:3: warning: ...", line + "\r" + " " * (len(line) - 1) + "\r")]
    clock.now += 1
    counter.advance(1)
    assert stream.getvalue().endswith("\r1,501 letters checked  500/s")
