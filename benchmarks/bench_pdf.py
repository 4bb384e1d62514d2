"""How fast lettergen writes PDF letters, beside one ``soffice --convert-to pdf`` call per batch.

    pip install -e '.[bench]'
    python benchmarks/bench_pdf.py                      # N = 200 and 1,000
    python benchmarks/bench_pdf.py --sizes 10000 --ways lettergen

For each N the sample letter (templates/appeal.txt.j2 to the French government, on the MEP's
letterhead; ``--plain`` for a plain text letter on no letterhead) is written N times:

- ``lettergen``: ``lettergen render -f pdf --no-check`` as a fresh process, timed whole (reading
  the recipients, building each DOCX, converting it, putting the PDFs in place);
- ``soffice per core``: lettergen's way before issue 13: the DOCX letters (made beforehand, not
  timed) split into one group per core, one ``soffice --convert-to pdf`` call each, side by side;
- ``soffice by 100``: the same with at most 100 letters a call, one call per core at a time
  (lettergen's fallback where LibreOffice's UNO bindings are missing).

Each way reports the letters that came out as whole PDFs, letters per second (wall clock) and
the peak memory of its whole process tree (the sum of every descendant's RSS, sampled every
0.1 s), and, last, each way's speed as a ratio of ``soffice per core``'s in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_docx import records, write_csv

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "appeal.txt.j2"
LETTERGEN = Path(sys.executable).with_name("lettergen")
WAYS = ("lettergen", "soffice per core", "soffice by 100")
PLAIN = "Dear {{ recipient.name }},\n\nThank you for your letter of last week.\n"


def tree_rss(root: int) -> int:
    """Return the summed RSS (kB) of ``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as handle:
                pages = int(handle.read().split()[1])
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_measured(commands: list[list[str]], jobs: int) -> tuple[float, int]:
    """Run ``commands``, ``jobs`` at a time; return the wall time and the peak tree RSS (kB)."""
    peak = 0
    running: list[subprocess.Popen[bytes]] = []
    waiting = list(reversed(commands))
    start = time.perf_counter()
    while waiting or running:
        while waiting and len(running) < jobs:
            running.append(
                subprocess.Popen(
                    waiting.pop(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        peak = max(peak, sum(tree_rss(p.pid) for p in running))
        time.sleep(0.1)
        running = [p for p in running if p.poll() is None]
    return time.perf_counter() - start, peak


def whole_pdfs(folder: Path) -> int:
    count = 0
    for pdf in folder.glob("*.pdf"):
        data = pdf.read_bytes()
        count += data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    return count


def soffice_calls(docs: list[Path], out: Path, size: int) -> list[list[str]]:
    """One soffice call per group of at most ``size`` letters, each with its own profile."""
    soffice = shutil.which("soffice") or "soffice"
    calls = []
    for start in range(0, len(docs), size):
        profile = Path(tempfile.mkdtemp(prefix="bench-pdf-profile-"))
        calls.append(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                *map(str, docs[start : start + size]),
            ]
        )
    return calls


def measure(way: str, n: int, work: Path, template: Path, jobs: int) -> dict[str, Any]:
    recipients = work / "people.csv"
    out = work / way.replace(" ", "-")
    if way == "lettergen":
        command = [str(LETTERGEN), "render", str(template), str(recipients), "-f", "pdf"]
        command += ["-o", str(out), "--no-check"]
        seconds, peak = run_measured([command], 1)
    else:
        docs = sorted((work / "docx").glob("*.docx"))
        size = -(-len(docs) // jobs) if way == "soffice per core" else 100
        out.mkdir()
        seconds, peak = run_measured(soffice_calls(docs, out, size), jobs)
    made = whole_pdfs(out)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "way": way,
        "n": n,
        "pdfs": made,
        "rate": made / seconds,
        "seconds": seconds,
        "peak_mb": peak / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--ways", nargs="+", default=list(WAYS), choices=WAYS)
    parser.add_argument("--plain", action="store_true", help="a plain text letter")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-pdf-") as folder:
            work = Path(folder)
            template = TEMPLATE
            if args.plain:
                template = work / "letter.txt.j2"
                template.write_text(PLAIN, encoding="utf-8")
            write_csv(work / "people.csv", records(n))
            if any(way.startswith("soffice") for way in args.ways):
                subprocess.run(
                    [
                        str(LETTERGEN),
                        "render",
                        str(template),
                        str(work / "people.csv"),
                        "-f",
                        "docx",
                        "-o",
                        str(work / "docx"),
                        "--no-check",
                    ],
                    check=True,
                    capture_output=True,
                )
            for way in args.ways:
                result = measure(way, n, work, template, args.jobs)
                results.append(result)
                print(
                    f"N={n:>6} {way:<17} {result['pdfs']:>6} PDFs  {result['rate']:7.1f} "
                    f"letters/s  {result['seconds']:7.1f} s  peak {result['peak_mb']:7.0f} MB",
                    flush=True,
                )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for n in args.sizes:
        base = next((r for r in results if r["n"] == n and r["way"] == "soffice per core"), None)
        if base is None or not base["rate"]:
            continue
        for r in results:
            if r["n"] == n:
                print(
                    f"N={n:>6} {r['way']:<17} x{r['rate'] / base['rate']:.2f} of soffice per core"
                )


if __name__ == "__main__":
    main()
