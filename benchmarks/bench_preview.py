"""How long ``lettergen preview --pdf`` takes, with and without the LibreOffice kept warm.

    python benchmarks/bench_preview.py              # 5 previews each way
    python benchmarks/bench_preview.py --runs 9

Both ways run ``lettergen preview --recipient laurent-fabius --pdf FILE`` in the sample campaign
as fresh processes, one after the other, timed whole (wall clock):

- ``own LibreOffice``: ``LETTERGEN_PDF_KEEP=0``, each preview starts and stops a LibreOffice of
  its own (lettergen's way before the kept converter);
- ``kept LibreOffice``: the first preview starts the shared LibreOffice (its time is reported
  apart, as "first"), the next ones use it.

It prints each way's median and the ratio of the two, and stops the kept LibreOffice at the end.
Python writes no bytecode here if PYTHONDONTWRITEBYTECODE is set; unset it to time what users
see (compiling lettergen's modules on every start costs about half a second).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LETTERGEN = Path(sys.executable).with_name("lettergen")


def preview(target: Path, keep: str, runtime: Path) -> float:
    env = {**os.environ, "LETTERGEN_PDF_KEEP": keep, "XDG_RUNTIME_DIR": str(runtime)}
    command = [str(LETTERGEN), "preview", "--recipient", "laurent-fabius", "--pdf", str(target)]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="lg-", dir="/tmp") as folder:
        work = Path(folder)
        own = [preview(work / "own.pdf", "0", work) for _ in range(args.runs)]
        first = preview(work / "kept.pdf", "120", work)
        kept = [preview(work / "kept.pdf", "120", work) for _ in range(args.runs)]
        subprocess.run(
            [sys.executable, "-c", "from lettergen.writers.pdf_shared import stop; stop()"],
            env={**os.environ, "XDG_RUNTIME_DIR": folder},
            check=True,
        )
    print(f"own LibreOffice   median {statistics.median(own):.2f} s  ({args.runs} previews)")
    print(f"kept LibreOffice  median {statistics.median(kept):.2f} s  (first {first:.2f} s)")
    print(f"kept / own        x{statistics.median(kept) / statistics.median(own):.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
