"""How fast lettergen writes text letters, beside a bare Jinja2 loop, and how much memory it takes.

    python benchmarks/bench_text.py                          # N = 1,000, 10,000 and 100,000
    python benchmarks/bench_text.py --sizes 1000 10000 --inputs csv

The sample letter (templates/appeal.txt.j2, signed by the MEP) goes to N recipients read from a
CSV file and from an XLSX file (written with openpyxl in write-only mode). Each (tool, input, N)
runs in a fresh process on tmpfs, which reports letters per second and its peak memory (max RSS
of that process alone, so only one-process runs count for memory). Up to 10,000 letters the
tools take turns three times and each keeps its best run, so that a busy machine does not
decide the ratio.

- ``bare``: the floor lettergen is held to. It reads the rows (csv.DictReader, or openpyxl in
  read-only mode), renders the same template with a plain ``jinja2.Environment`` (the same
  ``lines`` and Babel ``format_date`` filters) and writes each file with ``open().write()``.
- ``lettergen -j1``: ``lettergen.output.run.render`` in one process, without the proofreading pass.
- ``lettergen -j1 +check``: the same with ``check`` on (the ``lettergen render`` default).

Rates are given by wall clock and per CPU-second (the process's CPU time and its workers'),
which other load on a shared machine disturbs less; the target is judged on the latter.
- ``lettergen -j2`` and ``lettergen -j2 +check``: ``--jobs 2``, what ``lettergen render``
  does on two cores. With the checks on, two worker processes render, check and build the
  letters; without them, text letters are rendered in one process (handing one to a worker
  costs more than rendering it). Either way two processes put the files in place. Judged by
  letters per second (wall clock), as a user sees them: CPU-seconds do not shrink.

Targets (issue 5): lettergen at least a third of ``bare``'s rate; its peak memory at 100,000
recipients within 20 MB of its peak at 1,000. The rate is judged twice: in one process per
CPU-second (``-j1``, with and without the checks), and as ``lettergen render`` runs on two
cores (``-j2 +check``), by letters per second.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "appeal.txt.j2"
SENDER = ROOT / "templates" / "mady-delvaux-stehres.yaml"
RECIPIENTS = ROOT / "recipients" / "french-government.yaml"
TOOLS = ("bare", "lettergen -j1", "lettergen -j1 +check", "lettergen -j2", "lettergen -j2 +check")
# Plain -j2 only when asked for: without the checks, text letters are rendered in one process.
DEFAULT_TOOLS = (*TOOLS[:3], TOOLS[4])
COLUMNS = (
    "id",
    "honorific",
    "name",
    "title",
    "organisation",
    "address",
    "salutation",
    "form_of_address",
)


def rows(n: int) -> list[list[str]]:
    """Return ``n`` recipients: the sample offices over and over, each its own person and id."""
    sample = yaml.safe_load(RECIPIENTS.read_text(encoding="utf-8"))["recipients"]
    out = []
    for i in range(n):
        record = dict(sample[i % len(sample)])
        record["id"] = f"r{i:06}"
        record["name"] = f"Alex Example-{i}"
        record["address"] = "\n".join(record["address"])
        out.append([str(record[key]) for key in COLUMNS])
    return out


def write_inputs(work: Path, n: int, inputs: list[str]) -> None:
    """Write the recipients of size ``n`` as CSV and/or XLSX into ``work``."""
    data = rows(n)
    if "csv" in inputs:
        with open(work / f"recipients-{n}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(data)
    if "xlsx" in inputs:
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Recipients")
        sheet.append(list(COLUMNS))
        for row in data:
            sheet.append(row)
        book.save(work / f"recipients-{n}.xlsx")


def read_rows(path: Path) -> Any:
    """Yield the rows of a CSV or XLSX file as dicts (the bare loop's reader)."""
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)
        return
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        values = book.worksheets[0].iter_rows(values_only=True)
        header = [str(cell) for cell in next(values)]
        for row in values:
            yield {
                key: "" if cell is None else str(cell)
                for key, cell in zip(header, row, strict=False)
            }
    finally:
        book.close()


def bare(source: Path, out: Path) -> int:
    """Render the sample template for every row with plain Jinja2 and write each file."""
    import jinja2
    from babel.dates import format_date

    text = TEMPLATE.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    sender = yaml.safe_load(SENDER.read_text(encoding="utf-8"))
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["lines"] = lambda v: [line for line in str(v).splitlines() if line.strip()]
    env.filters["format_date"] = lambda v, f="long": format_date(v, format=f, locale="en_GB")
    template = env.from_string(body)
    date = dt.date.fromisoformat(str(meta["date"]))
    count = 0
    for row in read_rows(source):
        letter = template.render(recipient=row, sender=sender, letter=meta, date=date)
        with open(out / f"{row['id']}.txt", "w", encoding="utf-8") as handle:
            handle.write(letter.rstrip() + "\n")
        count += 1
    return count


def lettergen(source: Path, out: Path, jobs: int, check: bool) -> int:
    """Render with lettergen's library call, as ``lettergen render`` does."""
    from lettergen.options import MergeOptions, RenderOptions
    from lettergen.output.run import render

    summary = render(
        MergeOptions(template=TEMPLATE, recipients=[source]),
        RenderOptions(output_dir=out, formats=["txt"], jobs=jobs, check=check),
    )
    return summary.letters


def run_one(tool: str, source: Path, n: int, work: Path) -> dict[str, float]:
    """Write ``n`` letters from ``source`` with ``tool``; return letters/s and peak MB."""
    out = work / f"out-{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if tool == "bare":
        written = bare(source, out)
    else:
        written = lettergen(source, out, int(tool[12]), "+check" in tool)
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    # Read before the checks below: listing 100,000 files takes memory of its own.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert written == n, (tool, written)
    with os.scandir(out) as entries:
        assert sum(1 for entry in entries if entry.name.endswith(".txt")) == n
    shutil.rmtree(out, ignore_errors=True)
    return {"rate": n / elapsed, "cpu_rate": n / cpu, "peak_mb": peak / 1024}


def _cpu_seconds() -> float:
    """Return the CPU time of this process and its finished children (the -j workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(tool: str, source: Path, n: int, work: Path) -> dict[str, float]:
    """Run one measurement in a fresh process and return what it reports."""
    done = subprocess.run(
        [sys.executable, __file__, "--one", tool, str(source), str(n), str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--inputs", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    parser.add_argument("--tools", nargs="+", default=list(DEFAULT_TOOLS), choices=TOOLS)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Runs of each tool, in turn, up to 10,000 letters (best kept; 1 above). Default: 3.",
    )
    parser.add_argument("--one", nargs=4, metavar=("TOOL", "FILE", "N", "WORK"), help="internal")
    parser.add_argument("--make", nargs=3, metavar=("N", "INPUTS", "WORK"), help="internal")
    args = parser.parse_args()
    if args.one:
        tool, source, n, work = args.one
        print(json.dumps(run_one(tool, Path(source), int(n), Path(work))))
        return
    if args.make:
        write_inputs(Path(args.make[2]), int(args.make[0]), args.make[1].split(","))
        return
    inputs = list(args.inputs)
    if "xlsx" in inputs and importlib.util.find_spec("openpyxl") is None:
        inputs.remove("xlsx")
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    results: dict[tuple[str, str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="lettergen-bench-", dir=base) as folder:
        work = Path(folder)
        print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        print(
            f"{'tool':<24}{'input':<7}{'N':>8}{'letters/s':>12}{'vs bare':>9}"
            f"{'per CPU-s':>11}{'vs bare':>9}{'peak MB':>10}"
        )
        for n in args.sizes:
            # Made in a process of its own: a child's max RSS starts at its parent's size at
            # fork, so this process stays small and never holds the recipients.
            subprocess.run(
                [sys.executable, __file__, "--make", str(n), ",".join(inputs), str(work)],
                check=True,
            )
            for kind in inputs:
                source = work / f"recipients-{n}.{kind}"
                # Tools take turns, and each keeps its best run: a machine busy with
                # something else slows a run, never speeds it up.
                for _ in range(args.repeat if n <= 10_000 else 1):
                    for tool in args.tools:
                        result = measure(tool, source, n, work)
                        best = results.get((tool, kind, n))
                        if best is None:
                            results[(tool, kind, n)] = result
                        else:
                            # Each figure its best run: wall clock and CPU time, apart.
                            for key in ("rate", "cpu_rate"):
                                best[key] = max(best[key], result[key])
                            best["peak_mb"] = min(best["peak_mb"], result["peak_mb"])
                for tool in args.tools:
                    result = results[(tool, kind, n)]
                    floor = results.get(("bare", kind, n))
                    ratio = f"{result['rate'] / floor['rate']:.2f}" if floor else "-"
                    cpu = f"{result['cpu_rate'] / floor['cpu_rate']:.2f}" if floor else "-"
                    print(
                        f"{tool:<24}{kind:<7}{n:>8,}{result['rate']:>12,.0f}{ratio:>9}"
                        f"{result['cpu_rate']:>11,.0f}{cpu:>9}{result['peak_mb']:>10.1f}",
                        flush=True,
                    )
                source.unlink()
    report(results, args.sizes, inputs)


def report(
    results: dict[tuple[str, str, int], dict[str, float]], sizes: list[int], inputs: list[str]
) -> None:
    """Print whether the targets are met."""
    print()
    for kind in inputs:
        for n in sizes:
            floor = results.get(("bare", kind, n))
            for tool in ("lettergen -j1", "lettergen -j1 +check"):
                ours = results.get((tool, kind, n))
                if not ours or not floor:
                    continue
                wall = ours["rate"] / floor["rate"]
                cpu = ours["cpu_rate"] / floor["cpu_rate"]
                # The rate target is for real batches; at 1,000 the imports weigh in. It is
                # judged per CPU-second, which other load on the machine disturbs less.
                verdict = ("met" if cpu >= 1 / 3 else "MISSED") if n >= 10_000 else "n/a"
                print(
                    f"{kind} N={n:,}: {tool} at {cpu:.2f} of bare per CPU-second "
                    f"({wall:.2f} by wall clock; target 0.33): {verdict}"
                )
            for tool in ("lettergen -j2", "lettergen -j2 +check"):
                ours = results.get((tool, kind, n))
                if ours and floor:
                    # What `lettergen render` does on two cores: judged by its letters per
                    # second, as a user sees them.
                    wall = ours["rate"] / floor["rate"]
                    verdict = ("met" if wall >= 1 / 3 else "MISSED") if n >= 10_000 else "n/a"
                    print(
                        f"{kind} N={n:,}: {tool} at {wall:.2f} of bare by wall clock "
                        f"(two processes; target 0.33): {verdict}"
                    )
        small, large = min(sizes), max(sizes)
        for tool in ("lettergen -j1", "lettergen -j1 +check"):
            low, high = results.get((tool, kind, small)), results.get((tool, kind, large))
            if low and high and small != large:
                growth = high["peak_mb"] - low["peak_mb"]
                verdict = "met" if growth <= 20 else "MISSED"
                print(
                    f"{kind}: {tool} peak memory {low['peak_mb']:.1f} MB at N={small:,}, "
                    f"{high['peak_mb']:.1f} MB at N={large:,}: +{growth:.1f} MB "
                    f"(target <= 20): {verdict}"
                )


if __name__ == "__main__":
    main()
