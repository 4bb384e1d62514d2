"""Our recipient readers against well-kept libraries, side by side: time and peak memory.

JSON: lettergen's streaming reader vs ijson (``ijson.items(f, "item")``). XLSX: lettergen's
reader vs openpyxl (``read_only=True``) vs python-calamine. Each reader runs in its own process
so its peak resident memory (``ru_maxrss``) is its own. ijson and python-calamine are not
dependencies of lettergen: ``pip install ijson python-calamine`` to run this.

    python benchmarks/bench_inputs.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

READERS = {
    "lettergen-json": (
        "from lettergen.inputs.recipients import read_file\nn = sum(1 for _ in read_file(PATH))"
    ),
    "ijson": (
        "import ijson\nwith open(PATH, 'rb') as f:\n    n = sum(1 for _ in ijson.items(f, 'item'))"
    ),
    "lettergen-xlsx": (
        "from lettergen.inputs.recipients import read_file\nn = sum(1 for _ in read_file(PATH))"
    ),
    "openpyxl": (
        "import openpyxl\n"
        "book = openpyxl.load_workbook(PATH, read_only=True)\n"
        "n = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1\n"
        "book.close()"
    ),
    "calamine": (
        "from python_calamine import CalamineWorkbook\n"
        "book = CalamineWorkbook.from_path(str(PATH))\n"
        "n = sum(1 for _ in book.get_sheet_by_index(0).iter_rows()) - 1"
    ),
}

PROBE = """
import resource, sys, time
from pathlib import Path
PATH = Path(sys.argv[1])
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
print(n, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

HEADER = ["id", "name", "title", "org", "street", "postcode", "city", "staff"]


def row(i: int) -> list[object]:
    return [
        f"r{i}",
        f"Person {i}",
        "Minister",
        f"Ministry {i % 50}",
        f"{i} rue de Varenne",
        f"{75000 + i % 100:05d}",
        "Paris",
        i,
    ]


def make_json(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for i in range(rows):
            out.write(
                ("," if i else "") + json.dumps(dict(zip(HEADER, row(i), strict=True))) + "\n"
            )
        out.write("]\n")


def make_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("List")
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append(row(i))
    book.save(path)


def run(name: str, path: Path) -> tuple[int, float, int]:
    code = PROBE.format(body=READERS[name])
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    n, seconds, rss = done.stdout.split()
    return int(n), float(seconds), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        json_path, xlsx_path = Path(tmp) / "people.json", Path(tmp) / "people.xlsx"
        make_json(json_path, rows)
        make_xlsx(xlsx_path, rows)
        for ours, path, others in (
            ("lettergen-json", json_path, ["ijson"]),
            ("lettergen-xlsx", xlsx_path, ["openpyxl", "calamine"]),
        ):
            n, base_s, base_kb = run(ours, path)
            print(f"{ours:15} {n:>8} records {base_s:7.2f} s {base_kb / 1024:7.1f} MB max RSS")
            for other in others:
                n, s, kb = run(other, path)
                print(
                    f"{other:15} {n:>8} records {s:7.2f} s {kb / 1024:7.1f} MB max RSS"
                    f"   time x{s / base_s:.2f}, memory x{kb / base_kb:.2f} of ours"
                )


if __name__ == "__main__":
    main()
