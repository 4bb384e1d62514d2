"""How fast lettergen writes Word letters, beside docxtpl, docx-mailmerge2 and a floor.

    pip install -e '.[bench]'
    python benchmarks/bench_docx.py                 # N = 100, 1,000 and 10,000
    python benchmarks/bench_docx.py --sizes 100 1000 --slow-max 1000

Every tool writes the sample letter (templates/appeal.txt.j2 to the French government, on the
MEP's letterhead) N times as separate .docx files into a folder on tmpfs, each (tool, N) in a
fresh process (the fast tools five times, taking turns, each keeping its best figures), which
reports its letters per second (wall clock), its letters per CPU-second
(its own CPU time and its workers': the "per core" figure, which other load on the machine
disturbs less) and its peak memory (VmHWM, workers included). The floor is the least any
writer can do: fill a precompiled word/document.xml with the values, deflate it and write the
zip, copying the other members as they are. Modules are imported, and Babel's locale data for
the date loaded, before the clock starts (the others get the date already formatted).
lettergen runs with one and two jobs (``-j``), without its proofreading pass (``check``, a
separate feature), and with it ("+check"). "lettergen -j1 x2" is what two cores give here at
best: two separate one-process runs side by side, each on half the letters, sharing nothing;
``-j 2`` is judged against it as well as against ``-j 1``.
docxtpl and docx-mailmerge2 get the same letter as a Word template of their own kind, on the
same letterhead, and load it once per letter, as their documentation does for one file per
record. ``--fat`` uses a letterhead that keeps all of python-docx's template (160 styles,
800 kB of XML), as a letterhead made with python-docx without care would be.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "appeal.txt.j2"
SENDER = ROOT / "templates" / "mady-delvaux-stehres.yaml"
LETTERHEAD = ROOT / "templates" / "letterhead-delvaux.docx"
RECIPIENTS = ROOT / "recipients" / "french-government.yaml"
TOOLS = (
    "lettergen -j1",
    "lettergen -j2",
    "lettergen -j1 x2",
    "lettergen -j1 +check",
    "lettergen -j2 +check",
    "floor",
    "docxtpl",
    "mailmerge",
)
SLOW = ("docxtpl", "mailmerge")


def records(n: int) -> list[dict[str, Any]]:
    """Return ``n`` recipients: the sample ones over and over, each with its own id."""
    sample = yaml.safe_load(RECIPIENTS.read_text(encoding="utf-8"))["recipients"]
    out = []
    for i in range(n):
        record = dict(sample[i % len(sample)])
        record["id"] = f"{record['id']}-{i}"
        out.append(record)
    return out


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write the recipients as CSV (read as a stream by lettergen: memory stays flat)."""
    keys = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, keys)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "\n".join(v) if isinstance(v, list) else v for k, v in row.items()})


def context(record: dict[str, Any], sender: dict[str, Any]) -> dict[str, str]:
    """Return the flat values the docxtpl, mail-merge and floor templates take."""
    return {
        "date": "Brussels, 25 May 2015",
        "head": f"{record['honorific']} {record['name']}, {record['title']}",
        "organisation": record["organisation"],
        "address1": record["address"][0],
        "address2": record["address"][1],
        "salutation": record["salutation"],
        "form_of_address": record["form_of_address"],
        "sender": f"{sender['name']} | {sender['role']}, {sender['group']}",
    }


def letter_paragraphs(marker: str) -> list[str]:
    """Return the sample letter's paragraphs with ``marker % field`` where values go."""
    text = TEMPLATE.read_text(encoding="utf-8").split("---\n", 2)[2]
    body = [b for b in text.split("\n\n") if "{%" not in b and "{{ letter" not in b]
    first = body.index("{{ recipient.salutation }}")
    paragraphs = [
        marker % "date",
        f"{marker % 'head'}\n{marker % 'organisation'}",
        f"{marker % 'address1'}\n{marker % 'address2'}",
        marker % "salutation",
    ]
    for block in body[first + 1 :]:
        block = block.replace("{{ recipient.form_of_address }}", marker % "form_of_address")
        if block.startswith("{{ sender.name }}"):
            block = marker % "sender"
        paragraphs.append(block.strip("\n"))
    return paragraphs


def fat_letterhead() -> bytes:
    """Return the sample's letterhead with all that python-docx's template holds kept."""
    from lettergen.inputs.sender import read_sender
    from lettergen.writers import letterhead_builder as letterhead

    slim = letterhead._slim
    letterhead._slim = lambda document: None
    try:
        return letterhead.build_letterhead(read_sender(SENDER))
    finally:
        letterhead._slim = slim


def make_word_template(path: Path, kind: str, letterhead: Path) -> None:
    """Write the letter as a Word template for docxtpl (Jinja tags) or mail merge (fields)."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document(str(letterhead))
    marker = "{{ %s }}" if kind == "docxtpl" else "\x00%s\x00"
    for block in letter_paragraphs(marker):
        paragraph = document.add_paragraph()
        for number, line in enumerate(block.split("\n")):
            if number:
                paragraph.add_run().add_break()
            if kind == "docxtpl":
                paragraph.add_run(line)
                continue
            for index, part in enumerate(line.split("\x00")):
                if index % 2 == 0:
                    paragraph.add_run(part)
                else:
                    paragraph._p.append(
                        parse_xml(
                            '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/'
                            f'wordprocessingml/2006/main" w:instr=" MERGEFIELD {part} ">'
                            f"<w:r><w:t>«{part}»</w:t></w:r></w:fldSimple>"
                        )
                    )
    document.save(str(path))


class Floor:
    """The least a writer can do: fill document.xml, deflate it, copy the rest raw."""

    def __init__(self, template: Path) -> None:
        with zipfile.ZipFile(template) as archive:
            infos = archive.infolist()
            xml = archive.read("word/document.xml").decode("utf-8")
        data = template.read_bytes()
        parts = xml.split("{{ ")
        self.pieces = [parts[0]]
        self.fields = []
        for part in parts[1:]:
            field, rest = part.split(" }}", 1)
            self.fields.append(field)
            self.pieces.append(rest)
        self.local = bytearray()
        self.central = bytearray()
        self.count = 0
        for info in infos:
            if info.filename == "word/document.xml":
                continue
            start = info.header_offset
            name_len, extra_len = (
                int.from_bytes(data[start + 26 : start + 28], "little"),
                int.from_bytes(data[start + 28 : start + 30], "little"),
            )
            raw = data[
                start + 30 + name_len + extra_len : start
                + 30
                + name_len
                + extra_len
                + info.compress_size
            ]
            self._add(
                info.filename.encode(), info.compress_type, info.CRC, len(raw), info.file_size, raw
            )

    def _headers(
        self, name: bytes, method: int, crc: int, csize: int, size: int, offset: int
    ) -> tuple[bytes, bytes]:
        common = method.to_bytes(2, "little") + b"\0\0!\0" + crc.to_bytes(4, "little")
        common += (
            csize.to_bytes(4, "little")
            + size.to_bytes(4, "little")
            + len(name).to_bytes(2, "little")
        )
        local = b"PK\x03\x04\x14\0\0\0" + common + b"\0\0" + name
        central = (
            b"PK\x01\x02\x14\0\x14\0\0\0"
            + common
            + b"\0\0" * 4
            + b"\0\0\0\0"
            + offset.to_bytes(4, "little")
            + name
        )
        return local, central

    def _add(self, name: bytes, method: int, crc: int, csize: int, size: int, raw: bytes) -> None:
        local, central = self._headers(name, method, crc, csize, size, len(self.local))
        self.local += local + raw
        self.central += central
        self.count += 1

    def write(self, path: Path, values: dict[str, str]) -> None:
        out = [self.pieces[0]]
        for field, piece in zip(self.fields, self.pieces[1:], strict=True):
            out.append(html.escape(values[field], quote=False))
            out.append(piece)
        content = "".join(out).encode("utf-8")
        # As lettergen deflates a small document (zipwriter.deflate): a floor must not be
        # slower than what a writer can do.
        if len(content) <= 8 * 1024:
            compressor = zlib.compressobj(1, zlib.DEFLATED, -13, 6)
        else:
            compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
        raw = compressor.compress(content) + compressor.flush()
        name = b"word/document.xml"
        local, central = self._headers(
            name, 8, zlib.crc32(content), len(raw), len(content), len(self.local)
        )
        central_all = bytes(self.central) + central
        end = b"PK\x05\x06\0\0\0\0" + (self.count + 1).to_bytes(2, "little") * 2
        end += (
            len(central_all).to_bytes(4, "little")
            + (len(self.local) + len(local) + len(raw)).to_bytes(4, "little")
            + b"\0\0"
        )
        with open(path, "wb") as handle:
            handle.write(b"".join((self.local, local, raw, central_all, end)))


def run_one(tool: str, n: int, work: Path) -> dict[str, float]:
    """Write ``n`` letters with ``tool`` into a fresh folder; return letters/s and peak MB."""
    out = work / f"out-{tool.replace(' ', '_')}-{n}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    sender = yaml.safe_load(SENDER.read_text(encoding="utf-8"))
    # Modules are imported before the clock starts: it times writing letters, not Python.
    if tool.startswith("lettergen"):
        import dataclasses
        import datetime

        import babel.dates
        import lxml.etree  # noqa: F401

        # The others get the date formatted already (see context()); lettergen formats it with
        # Babel, whose locale data (about 40 ms to load) is loaded here, as modules are.
        babel.dates.format_date(datetime.date(2015, 5, 25), format="long", locale="en_GB")

        from lettergen.options import MergeOptions, RenderOptions
        from lettergen.output.run import render
        from lettergen.writers import word  # noqa: F401
    elif tool == "docxtpl":
        from docxtpl import DocxTemplate
    elif tool == "mailmerge":
        from mailmerge import MailMerge
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if tool == "lettergen -j1 x2":
        _side_by_side(out, work, n)
    elif tool.startswith("lettergen"):
        options: dict[str, Any] = {"output_dir": out, "formats": ["docx"], "jobs": int(tool[12])}
        options["letterhead"] = work / "letterhead.docx"
        if "check" in {f.name for f in dataclasses.fields(RenderOptions)}:
            options["check"] = "+check" in tool
        summary = render(
            MergeOptions(template=TEMPLATE, recipients=[work / f"recipients-{n}.csv"]),
            RenderOptions(**options),
        )
        assert summary.letters == n
    else:
        rows = json.loads((work / f"recipients-{n}.json").read_text(encoding="utf-8"))
        if tool == "floor":
            floor = Floor(work / "docxtpl.docx")
            for row in rows:
                floor.write(out / f"{row['id']}.docx", context(row, sender))
        elif tool == "docxtpl":
            for row in rows:
                document = DocxTemplate(str(work / "docxtpl.docx"))
                document.render(context(row, sender), autoescape=True)
                document.save(str(out / f"{row['id']}.docx"))
        elif tool == "mailmerge":
            for row in rows:
                with MailMerge(str(work / "mailmerge.docx")) as document:
                    document.merge(**context(row, sender))
                    document.write(str(out / f"{row['id']}.docx"))
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    # Workers (-j) are forks of this process: their peak counts too. Read before the files
    # are counted: a list of 100,000 paths takes memory of its own.
    peak = max(_high_water_kb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    written = _count_files(out)
    assert written >= n, (tool, written)
    shutil.rmtree(out, ignore_errors=True)
    return {"rate": n / elapsed, "cpu_rate": n / cpu, "peak_mb": peak / 1024}


def _side_by_side(out: Path, work: Path, n: int) -> None:
    """Write the ``n`` letters with two separate one-process lettergen runs at once, each on
    half of the recipients and into a folder of its own (forked: nothing shared)."""
    from lettergen.options import MergeOptions, RenderOptions
    from lettergen.output.run import render

    children = []
    for half in ("a", "b"):
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                render(
                    MergeOptions(
                        template=TEMPLATE, recipients=[work / f"recipients-{n}-{half}.csv"]
                    ),
                    RenderOptions(
                        output_dir=out / half,
                        formats=["docx"],
                        jobs=1,
                        check=False,
                        letterhead=work / "letterhead.docx",
                    ),
                )
                status = 0
            finally:
                os._exit(status)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert status == 0, "a side-by-side run failed"


def _count_files(folder: Path) -> int:
    """Return how many files ``folder`` and its subfolders hold (without listing them)."""
    count = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            count += _count_files(Path(entry.path)) if entry.is_dir() else 1
    return count


def _cpu_seconds() -> float:
    """Return the CPU time of this process and its finished children (workers).

    From getrusage, in microseconds: os.times() counts in clock ticks of 10 ms, a tenth of
    the time the floor takes for 1,000 letters.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _high_water_kb() -> int:
    """Return this process's peak resident memory in kB (Linux), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument(
        "--slow-max", type=int, default=None, help="Largest N for docxtpl and mailmerge."
    )
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="Turns of the fast tools; each keeps its best figures. Default: 5.",
    )
    parser.add_argument("--one", nargs=3, metavar=("TOOL", "N", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--fat",
        action="store_true",
        help="Use a letterhead holding all of python-docx's template. docxtpl and mail merge "
        "parse every part of it for each letter: a larger one slows them, not lettergen.",
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), Path(args.one[2]))))
        return
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="lettergen-bench-", dir=base) as folder:
        work = Path(folder)
        letterhead = work / "letterhead.docx"
        if args.fat:
            letterhead.write_bytes(fat_letterhead())
        else:
            shutil.copy(LETTERHEAD, letterhead)
        make_word_template(work / "docxtpl.docx", "docxtpl", letterhead)
        make_word_template(work / "mailmerge.docx", "mailmerge", letterhead)
        for n in args.sizes:
            rows = records(n)
            write_csv(work / f"recipients-{n}.csv", rows)
            write_csv(work / f"recipients-{n}-a.csv", rows[: n // 2])
            write_csv(work / f"recipients-{n}-b.csv", rows[n // 2 :])
            (work / f"recipients-{n}.json").write_text(json.dumps(rows), encoding="utf-8")
        results: dict[tuple[str, int], dict[str, float]] = {}
        # Each turn's letters per second (wall clock), for ratios within a turn.
        turns: dict[tuple[str, int], list[float]] = {}
        print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        print(f"{'tool':<22}{'N':>7}{'letters/s':>11}{'per CPU-s':>11}{'peak MB':>9}", flush=True)
        for n in args.sizes:
            # The tools take turns, and each keeps its best figures: a machine busy with
            # something else slows a run, never speeds it up. The slow tools run once.
            for turn in range(args.repeat):
                for tool in args.tools:
                    if tool in SLOW and (
                        turn > 0 or (args.slow_max is not None and n > args.slow_max)
                    ):
                        continue
                    done = subprocess.run(
                        [sys.executable, __file__, "--one", tool, str(n), str(work)],
                        check=False,
                        capture_output=True,
                        text=True,
                    )
                    if done.returncode:
                        sys.exit(f"{tool} N={n} failed:\n{done.stderr}")
                    result = json.loads(done.stdout)
                    turns.setdefault((tool, n), []).append(result["rate"])
                    best = results.setdefault((tool, n), result)
                    for key in ("rate", "cpu_rate"):
                        best[key] = max(best[key], result[key])
                    best["peak_mb"] = min(best["peak_mb"], result["peak_mb"])
            for tool in args.tools:
                if (tool, n) in results:
                    result = results[tool, n]
                    print(
                        f"{tool:<22}{n:>7}{result['rate']:>11.0f}{result['cpu_rate']:>11.0f}"
                        f"{result['peak_mb']:>9.1f}",
                        flush=True,
                    )
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
        print()
        print(
            "Ratios (same run; per core = letters per CPU-second; -j2, -j1 and side by side: "
            "wall clock):"
        )
        for n in args.sizes:
            cpu = {t: results[t, n]["cpu_rate"] for t in args.tools if (t, n) in results}
            wall = {t: results[t, n]["rate"] for t in args.tools if (t, n) in results}
            parts = []
            base = cpu.get("lettergen -j1")
            if base:
                for other in ("docxtpl", "mailmerge"):
                    if other in cpu:
                        parts.append(f"lettergen -j1 / {other} = {base / cpu[other]:.1f}x")
                if "floor" in cpu:
                    parts.append(f"floor / lettergen -j1 = {cpu['floor'] / base:.2f}x")
            if "lettergen -j1" in wall and "lettergen -j2" in wall:
                parts.append(f"-j2 / -j1 = {wall['lettergen -j2'] / wall['lettergen -j1']:.2f}x")
            if "lettergen -j1" in wall and "lettergen -j1 x2" in wall:
                two = wall["lettergen -j1 x2"]
                parts.append(f"two -j1 side by side / -j1 = {two / wall['lettergen -j1']:.2f}x")
                if "lettergen -j2" in wall:
                    parts.append(f"-j2 / two -j1 side by side = {wall['lettergen -j2'] / two:.2f}")
            if "lettergen -j1 +check" in wall and "lettergen -j2 +check" in wall:
                ratio = wall["lettergen -j2 +check"] / wall["lettergen -j1 +check"]
                parts.append(f"with the checks, -j2 / -j1 = {ratio:.2f}x")
            print(f"  N={n}: " + "; ".join(parts))
            # Other load on the machine comes and goes: the ratio within each turn (tools run
            # one after the other) shows how much the best figures above owe to it.
            pairs = (
                ("lettergen -j2", "lettergen -j1", "-j2 / -j1"),
                ("lettergen -j1 x2", "lettergen -j1", "side by side / -j1"),
                ("lettergen -j2", "lettergen -j1 x2", "-j2 / side by side"),
            )
            for tool, base_tool, label in pairs:
                mine, theirs = turns.get((tool, n)), turns.get((base_tool, n))
                if mine and theirs:
                    each = [a / b for a, b in zip(mine, theirs, strict=False)]
                    listed = ", ".join(f"{ratio:.2f}" for ratio in each)
                    middle = statistics.median(each)
                    print(f"    {label}, turn by turn: {listed} (median {middle:.2f})")
        # docxtpl's rate does not depend on N (it loads its template for every letter); the
        # slow tools stop at --slow-max, so their largest run stands for them at larger N.
        largest = max(args.sizes)
        ours = results.get(("lettergen -j1", largest))
        for other in ("docxtpl", "mailmerge"):
            ran = [n for n in args.sizes if (other, n) in results]
            if ours and ran and max(ran) < largest:
                theirs = results[other, max(ran)]["cpu_rate"]
                print(
                    f"  lettergen -j1 at N={largest} / {other} at N={max(ran)} = "
                    f"{ours['cpu_rate'] / theirs:.1f}x (per core)"
                )
        small, large = min(args.sizes), max(args.sizes)
        for tool in args.tools:
            if (
                tool.startswith("lettergen")
                and (tool, small) in results
                and (tool, large) in results
            ):
                grow = results[tool, large]["peak_mb"] - results[tool, small]["peak_mb"]
                print(f"  {tool}: peak memory at N={large} minus N={small}: {grow:+.1f} MB")


if __name__ == "__main__":
    main()
