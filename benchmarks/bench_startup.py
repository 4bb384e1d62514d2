"""How long ``lettergen --help`` takes as a whole process, beside ``python -c "import click"``.

    python benchmarks/bench_startup.py              # 40 runs of each, interleaved
    python benchmarks/bench_startup.py --runs 100

Both commands run alternately (so that a busy machine slows both alike), each as a fresh
process, and the median wall time of each is compared. Target (issue 5): ``lettergen --help``
within 2x of importing Click, which it cannot do without. It also lists the heavy modules
(python-docx, openpyxl, Babel, lxml) that ``lettergen --help`` imported: there should be none.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("docx", "openpyxl", "babel", "lxml")
PROBE = (
    "import sys\n"
    "from lettergen.cli import cli\n"
    "try:\n"
    "    cli.main(['--help'], prog_name='lettergen')\n"
    "except SystemExit:\n"
    "    pass\n"
    "import json\n"
    f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
)


def wall(command: list[str]) -> float:
    """Return the wall time of one run of ``command``, in seconds."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    commands = {
        'python -c "import click"': [sys.executable, "-c", "import click"],
        "python -m lettergen --help": [sys.executable, "-m", "lettergen", "--help"],
    }
    # The console script of this Python's environment; a PATH look-up could find a version
    # manager's shim (pyenv's is a shell script) and time that instead.
    beside = Path(sys.executable).with_name("lettergen")
    script = str(beside) if beside.is_file() else shutil.which("lettergen")
    if script:
        commands["lettergen --help"] = [script, "--help"]
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache
        wall(command)
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(wall(command))
    base = statistics.median(times['python -c "import click"'])
    print(f"{'command':<30}{'median ms':>11}{'min ms':>9}{'vs click':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<30}{median * 1000:>11.1f}{min(values) * 1000:>9.1f}{median / base:>10.2f}")
    worst = max(statistics.median(v) for n, v in times.items() if "lettergen" in n) / base
    print(f"\nlettergen --help at {worst:.2f}x of importing click (target <= 2): ", end="")
    print("met" if worst <= 2 else "MISSED")
    done = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True)
    heavy = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"heavy modules imported by --help: {', '.join(heavy) if heavy else 'none'}")


if __name__ == "__main__":
    main()
