"""PDF letters through LibreOffice: conversion, `render --format pdf`, `preview --pdf/--png`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.errors import OutputError
from lettergen.writers import pdf, pdf_batches, pdf_uno
from tests.conftest import SAMPLE_RECIPIENTS, SAMPLE_TEMPLATE, write

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None
    or shutil.which("pdfinfo") is None
    or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdfinfo, pdftotext) are needed: "
    "apt-get install libreoffice-writer-nogui poppler-utils",
)


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))
    return int(line.split()[1])


def text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout


def make_docx(path: Path, paragraphs: list[str], *, page_break: bool = False) -> Path:
    import docx

    document = docx.Document()
    for number, paragraph in enumerate(paragraphs):
        if page_break and number:
            document.add_page_break()
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def test_groups_split_files_evenly_in_order() -> None:
    paths = [Path(f"{n}.docx") for n in range(7)]
    assert [[p.stem for p in g] for g in pdf.groups(paths, 3)] == [
        ["0", "1", "2"],
        ["3", "4"],
        ["5", "6"],
    ]
    assert pdf.groups(paths[:2], 8) == [[paths[0]], [paths[1]]]


@needs_libreoffice
def test_convert_runs_one_libreoffice_per_group_with_private_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [
        make_docx(tmp_path / "one.docx", ["Letter one", "Second page"], page_break=True),
        make_docx(tmp_path / "two.docx", ["Letter two"]),
        make_docx(tmp_path / "three.docx", ["Letter three"]),
    ]
    commands: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(command: list[str], *args: Any, **kwargs: Any) -> Any:
        if "--convert-to" in command:
            commands.append(list(command))
        return real_popen(command, *args, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "Popen", recording_popen)

    pdfs = pdf.convert(documents, tmp_path / "out", jobs=2)

    assert pdfs == [tmp_path / "out" / f"{n}.pdf" for n in ("one", "two", "three")]
    assert [pages(p) for p in pdfs] == [2, 1, 1]
    assert [text(p).split() for p in pdfs] == [
        ["Letter", "one", "Second", "page"],
        ["Letter", "two"],
        ["Letter", "three"],
    ]
    # Two processes, two files then one, each with its own throw-away profile.
    assert [[c for c in command if c.endswith(".docx")] for command in commands] == [
        [str(documents[0]), str(documents[1])],
        [str(documents[2])],
    ]
    profiles = [
        next(c for c in command if c.startswith("-env:UserInstallation=")) for command in commands
    ]
    assert len(set(profiles)) == 2
    assert all("--headless" in command for command in commands)
    for profile in profiles:
        assert not Path(profile.split("file://", 1)[1]).exists()


def test_missing_libreoffice_is_named_with_how_to_install_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        ["render", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "-f", "pdf", "-o", str(out)],
        env={"PATH": str(empty)},
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.endswith(
        "PDF output needs LibreOffice, but its program 'soffice' was not found on PATH; "
        "install it (Debian/Ubuntu: apt-get install libreoffice-writer-nogui) "
        "or choose another --format\n"
    )
    # Nothing written, no staging folder left behind.
    assert not out.exists()


def test_convert_without_libreoffice_raises(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(OutputError, match="apt-get install libreoffice-writer-nogui"):
        pdf.convert([tmp_path / "a.docx"], tmp_path)


@needs_libreoffice
def test_render_pdf_gives_each_letter_and_a_combined_pdf_in_order(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        [
            "render",
            str(SAMPLE_TEMPLATE),
            str(SAMPLE_RECIPIENTS),
            "-f",
            "pdf",
            "-o",
            str(out),
            "--combine",
            str(out / "all.docx"),
        ],
    )
    assert result.exit_code == 0, result.output
    ids = ["laurent-fabius", "manuel-valls", "christiane-taubira", "bernard-cazeneuve"]
    ids.append("francois-hollande")
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(
        [f"{i}.pdf" for i in ids] + ["all.pdf"]
    )
    assert not list(out.glob(".lettergen-pdf-*"))
    fabius = text(out / "laurent-fabius.pdf")
    assert "Dear Minister," in fabius
    assert "Minister, I call on you" in " ".join(fabius.split())
    assert "Mr Prime Minister" not in fabius
    assert "Mr Prime Minister, I call on you" in " ".join(text(out / "manuel-valls.pdf").split())
    # The combined PDF: every letter's pages, in the order of the recipients.
    combined = text(out / "all.pdf")
    assert pages(out / "all.pdf") == sum(pages(out / f"{i}.pdf") for i in ids)
    names = ["Laurent Fabius", "Manuel Valls", "Christiane Taubira", "Bernard Cazeneuve"]
    positions = [
        combined.index(f"Mr {n}" if n != "Christiane Taubira" else f"Ms {n}") for n in names
    ]
    assert positions == sorted(positions)


@needs_libreoffice
def test_preview_pdf_and_png_show_the_letter_as_printed(runner: CliRunner, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is needed for PNG previews")
    target = tmp_path / "fabius.pdf"
    images = tmp_path / "png"
    result = runner.invoke(
        cli,
        [
            "preview",
            str(SAMPLE_TEMPLATE),
            str(SAMPLE_RECIPIENTS),
            "--recipient",
            "manuel-valls",
            "--pdf",
            str(target),
            "--png",
            str(images),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Dear Prime Minister," in text(target)
    assert "Mr Prime Minister, I call on you" in " ".join(text(target).split())
    pngs = sorted(images.glob("*.png"))
    assert len(pngs) == pages(target)
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert f"wrote {target}" in result.stderr


def test_failed_conversion_leaves_no_pdf_and_no_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FakeDocx:
        def to_bytes(self, letter: Any) -> bytes:
            return b"PK fake docx"

    def failing_convert(documents: list[Path], out_dir: Path, **kwargs: Any) -> list[Path]:
        # One letter converted, the next one not: nothing may reach the output folder.
        out_dir.mkdir(parents=True)
        (out_dir / f"{documents[0].stem}.pdf").write_bytes(b"%PDF-1.4 half a run")
        raise OutputError("LibreOffice did not convert 1 letter(s) to PDF")

    monkeypatch.setattr(pdf.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(pdf, "convert", failing_convert)
    out = tmp_path / "letters"
    out.mkdir()
    writer = pdf.PdfWriter(FakeDocx())
    writer.stage_bytes(b"PK one", out / "one.pdf")
    writer.stage_bytes(b"PK two", out / "two.pdf")
    with pytest.raises(OutputError, match="did not convert"):
        writer.finish()
    assert list(out.iterdir()) == []


def test_existing_combined_pdf_is_kept_without_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "all.pdf").write_bytes(b"%PDF-1.4 earlier run")
    result = runner.invoke(
        cli,
        [
            "render",
            str(SAMPLE_TEMPLATE),
            str(SAMPLE_RECIPIENTS),
            "-f",
            "pdf",
            "-o",
            str(out),
            "--combine",
            str(out / "all.docx"),
        ],
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"{out / 'all.pdf'}: the combined PDF already exists; use --force to overwrite it\n"
    )
    assert [p.name for p in out.iterdir()] == ["all.pdf"]
    assert (out / "all.pdf").read_bytes() == b"%PDF-1.4 earlier run"


@needs_libreoffice
def test_pdfs_are_in_the_manifest_so_unchanged_letters_are_skipped(
    runner: CliRunner, tmp_path: Path
) -> None:
    import csv
    import hashlib

    out = tmp_path / "out"
    args = ["render", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "-f", "pdf", "-o", str(out)]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    with open(out / "manifest.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    hashes = {row[1]: row[3] for row in rows[1:]}
    assert sorted(hashes) == sorted(p.name for p in out.glob("*.pdf"))
    for name, digest in hashes.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest

    again = runner.invoke(cli, [*args, "--skip-unchanged"])
    assert again.exit_code == 0, again.output
    assert "Skipped 5 unchanged letter(s)." in again.stdout


# A stand-in for soffice that behaves like the real one where it matters: it converts what it
# is handed, except that it stops silently after FAKE_STOP_AFTER files in one call (exit 0),
# never converts a file whose name holds "stubborn", and converts one holding "flaky" only the
# second time it sees it. Each call appends "<files> <profile>" to FAKE_LOG.
FAKE_SOFFICE = """\
import os, sys, time
from pathlib import Path
args = sys.argv[1:]
if "--outdir" not in args:  # a listener: its stand-in worker does the converting
    time.sleep(3600)
out = Path(args[args.index("--outdir") + 1])
profile = next(a for a in args if a.startswith("-env:UserInstallation="))
files = [Path(a) for a in args if a.endswith(".docx")]
log = Path(os.environ["FAKE_LOG"])
with open(log, "a") as handle:
    handle.write(f"{len(files)} {profile}\\n")
for number, doc in enumerate(files):
    if number >= int(os.environ.get("FAKE_STOP_AFTER", "1000000")) or "stubborn" in doc.name:
        break
    seen = log.parent / (doc.name + ".seen")
    if "flaky" in doc.name and not seen.exists():
        seen.write_text("")
        (out / (doc.stem + ".pdf")).write_bytes(b"%PDF-1.4 cut short")
        continue
    (out / (doc.stem + ".pdf")).write_bytes(b"%PDF-1.4\\n" + doc.name.encode() + b"\\n%%EOF\\n")
print("convert " + str(files[0]) + " -> somewhere", file=sys.stderr)
"""


def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], Path]:
    """Put the stand-in soffice first on PATH, with no Python that has LibreOffice's UNO (so
    that letters go to soffice in batches); return the environment and the call log."""
    import os
    import sys

    monkeypatch.setattr(pdf_uno, "SYSTEM_PYTHONS", ())

    folder = tmp_path / "fake-bin"
    folder.mkdir()
    program = folder / "soffice"
    program.write_text(f"#!{sys.executable}\n{FAKE_SOFFICE}")
    program.chmod(0o755)
    log = tmp_path / "fake-log" / "calls"
    log.parent.mkdir()
    env = {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "FAKE_LOG": str(log)}
    return env, log


def people(tmp_path: Path, ids: list[str]) -> tuple[Path, Path]:
    """A plain text template and a CSV of recipients with ``ids``."""
    template = tmp_path / "letter.txt.j2"
    template.write_text("Dear {{ recipient.name }},\n\nThank you.\n", encoding="utf-8")
    recipients = tmp_path / "people.csv"
    rows = [f"{i},Person {i}" for i in ids]
    recipients.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return template, recipients


def render_pdf(
    runner: CliRunner, tmp_path: Path, ids: list[str], env: dict[str, str], *options: str
) -> tuple[Any, Path]:
    """Run ``render -f pdf`` of the plain letter to ``ids``; return the result and folder."""
    template, recipients = people(tmp_path, ids)
    out = tmp_path / "out"
    args = ["render", str(template), str(recipients), "-f", "pdf", "-o", str(out), *options]
    return runner.invoke(cli, args, env=env), out


def test_many_letters_go_to_libreoffice_in_bounded_groups_and_all_arrive(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, log = fake_soffice(tmp_path, monkeypatch)
    # Like the real one, the stand-in stops silently after some files in one call.
    env["FAKE_STOP_AFTER"] = "120"
    ids = [f"p{n:03d}" for n in range(250)]
    result, out = render_pdf(runner, tmp_path, ids, env, "-j", "2", "--no-check")
    assert result.exit_code == 0, result.output
    calls = [line.split() for line in log.read_text().splitlines()]
    sizes = [int(size) for size, _ in calls]
    assert sum(sizes) == 250 and max(sizes) <= pdf_batches.GROUP and len(calls) == 3
    assert len({profile for _, profile in calls}) == len(calls)
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(f"{i}.pdf" for i in ids)
    assert (out / "p249.pdf").read_bytes().endswith(b"p249.docx\n%%EOF\n")
    assert not list(out.glob(".lettergen-*"))


def test_a_letter_missing_after_a_call_is_tried_again_in_a_fresh_libreoffice(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, log = fake_soffice(tmp_path, monkeypatch)
    ids = ["ada", "flaky-bob", "cy"]
    result, out = render_pdf(runner, tmp_path, ids, env, "-j", "1")
    assert result.exit_code == 0, result.output
    calls = [line.split() for line in log.read_text().splitlines()]
    # The first call converted ada and cy but left flaky-bob half-written; the retry, in a
    # profile of its own, was handed flaky-bob alone.
    assert [int(size) for size, _ in calls] == [3, 1]
    assert calls[0][1] != calls[1][1]
    assert (out / "flaky-bob.pdf").read_bytes().endswith(b"%%EOF\n")
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(f"{i}.pdf" for i in ids)


def test_letters_libreoffice_never_converts_are_named_and_nothing_is_written(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, log = fake_soffice(tmp_path, monkeypatch)
    ids = ["ada", "stubborn-bob", "cy", "stubborn-dee", "eve"]
    result, out = render_pdf(runner, tmp_path, ids, env, "-j", "1")
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "LibreOffice did not convert 4 letter(s) to PDF, also when tried again in a fresh "
        "LibreOffice: stubborn-bob.pdf, cy.pdf, stubborn-dee.pdf, eve.pdf; no PDF was written. "
        "Check that these letters open in LibreOffice (render them with --format docx), "
        "then run again; nothing was written: the output folder is as it was\n"
    )
    assert "Traceback" not in result.output and "lettergen-" not in result.stderr
    # The stand-in stops at the first stubborn letter of a call: the retry starts there.
    assert [int(line.split()[0]) for line in log.read_text().splitlines()] == [5, 4]
    assert not out.exists() or not list(out.rglob("*.pdf"))
    assert not out.exists() or not list(out.glob(".lettergen-*"))


# A stand-in for the Python that drives LibreOffice over UNO: it says it has ``uno``, and as
# the worker it converts what it is asked to, except that it never answers ("ready" or
# otherwise) with FAKE_NOT_READY set, stalls the first time it sees a letter holding "stall",
# and dies on one holding "crash". Each start appends a line to worker-starts beside FAKE_LOG.
FAKE_WORKER = """\
import json, os, sys, time
from pathlib import Path
if sys.argv[1:2] == ["-c"]:
    sys.exit(0)
folder = Path(os.environ["FAKE_LOG"]).parent
with open(folder / "worker-starts", "a") as handle:
    handle.write("start\\n")
if os.environ.get("FAKE_NOT_READY"):
    sys.exit(1)
print("ready", flush=True)
for line in sys.stdin:
    source, target, *_ = json.loads(line)
    name = Path(source).name
    seen = folder / (name + ".seen")
    if "stall" in name and not seen.exists():
        seen.write_text("")
        time.sleep(3600)
    if "crash" in name:
        sys.exit(1)
    Path(target).write_bytes(b"%PDF-1.4\\n" + name.encode() + b"\\n%%EOF\\n")
    print("ok", flush=True)
"""


def fake_uno(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], Path]:
    """The stand-in soffice and the stand-in UNO worker's Python, with a 2 s stall limit."""
    import sys

    env, log = fake_soffice(tmp_path, monkeypatch)
    python = tmp_path / "fake-bin" / "python-with-uno"
    python.write_text(f"#!{sys.executable}\n{FAKE_WORKER}")
    python.chmod(0o755)
    env["LETTERGEN_UNO_PYTHON"] = str(python)
    monkeypatch.setattr(pdf_uno, "LETTER_SECONDS", 2.0)
    monkeypatch.setattr(pdf_uno, "START_SECONDS", 5.0)
    # One letter a conversion, as the stand-in converts (tests/test_pdf_groups.py: more).
    monkeypatch.setattr(pdf, "LETTERS", 1)
    return env, log.parent / "worker-starts"


def test_a_stalled_libreoffice_is_stopped_and_its_letter_converted_by_a_fresh_one(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, starts = fake_uno(tmp_path, monkeypatch)
    ids = ["ada", "stall-bob", "cy", "dee"]
    result, out = render_pdf(runner, tmp_path, ids, env)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(f"{i}.pdf" for i in ids)
    assert (out / "stall-bob.pdf").read_bytes().endswith(b"-stall-bob.docx\n%%EOF\n")
    # No soffice batch: the converters did it all, one of them started again after the stall.
    assert not (tmp_path / "fake-log" / "calls").exists()
    assert len(starts.read_text().splitlines()) >= 3
    assert not list(out.glob(".lettergen-*"))


def test_a_letter_that_kills_libreoffice_twice_is_named_and_nothing_is_written(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _ = fake_uno(tmp_path, monkeypatch)
    ids = ["ada", "crash-bob", "cy"]
    result, out = render_pdf(runner, tmp_path, ids, env)
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "LibreOffice did not convert 1 letter(s) to PDF, also when tried again in a fresh "
        "LibreOffice (LibreOffice stopped): crash-bob.pdf; no PDF was written. "
        "Check that these letters open in LibreOffice (render them with --format docx), "
        "then run again; nothing was written: the output folder is as it was\n"
    )
    assert "Traceback" not in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_when_the_uno_worker_cannot_start_letters_go_to_soffice_in_batches(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, starts = fake_uno(tmp_path, monkeypatch)
    env["FAKE_NOT_READY"] = "1"
    ids = ["ada", "bob", "cy"]
    result, out = render_pdf(runner, tmp_path, ids, env)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(f"{i}.pdf" for i in ids)
    # The first converter that failed to start was the last: the rest went to soffice.
    assert len(starts.read_text().splitlines()) <= 2
    calls = (tmp_path / "fake-log" / "calls").read_text().splitlines()
    assert sum(int(line.split()[0]) for line in calls) == 3


@needs_libreoffice
def test_with_uno_letters_go_to_long_lived_libreoffices_not_to_soffice_calls(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    soffice = shutil.which("soffice")
    assert soffice is not None
    if pdf_uno.uno_python(soffice) is None:
        pytest.skip("LibreOffice's UNO bindings are needed: apt-get install python3-uno")

    def no_batches(*args: Any, **kwargs: Any) -> list[Path]:
        raise AssertionError("letters went to soffice in batches")

    monkeypatch.setattr(pdf, "convert", no_batches)
    ids = ["ada", "bob", "cy"]
    result, out = render_pdf(runner, tmp_path, ids, {})
    assert result.exit_code == 0, result.output
    assert [" ".join(text(out / f"{i}.pdf").split()) for i in ids] == [
        f"Dear Person {i}, Thank you." for i in ids
    ]
    assert not list(out.glob(".lettergen-*"))


def test_a_pdf_run_failing_midway_takes_back_the_pdfs_already_in_place(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDFs go through the run's output folder: a disk full at the third leaves none."""
    import errno

    from lettergen.output import place

    env, _ = fake_soffice(tmp_path, monkeypatch)
    real = place.safeio.write_new
    calls = []

    def filling_up(name: str, data: bytes, dir_fd: int | None = None) -> str:
        calls.append(name)
        if name.endswith(".pdf") and sum(c.endswith(".pdf") for c in calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(name, data, dir_fd)

    monkeypatch.setattr(place.safeio, "write_new", filling_up)
    result, out = render_pdf(runner, tmp_path, ["ada", "bo", "cy", "di"], env, "-j", "1")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "nothing was written: the output folder is as it was" in result.stderr
    assert sum(c.endswith(".pdf") for c in calls) == 3  # two were in place when the third failed
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig's fc-match asks for fonts")
def test_a_font_the_machine_lacks_is_a_warning_naming_it_and_its_substitute(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import docx

    env, _ = fake_soffice(tmp_path, monkeypatch)
    letterhead = docx.Document()
    letterhead.styles["Normal"].font.name = "Nosuch Grotesk"
    letterhead.save(str(tmp_path / "letterhead.docx"))
    template, recipients = people(tmp_path, ["ada"])
    out = tmp_path / "out"
    args = ["render", str(template), str(recipients), "-f", "pdf", "-o", str(out)]
    result = runner.invoke(cli, [*args, "--letterhead", str(tmp_path / "letterhead.docx")], env=env)
    assert result.exit_code == 0, result.output
    assert (
        "warning: the letters ask for the font 'Nosuch Grotesk', which is not installed: "
        "LibreOffice will print them in '"
    ) in result.stderr
    # The default letterhead asks for Arial, which the machine has (or its metric twin).
    plain = runner.invoke(cli, [*args, "--force"], env=env)
    assert plain.exit_code == 0, plain.output
    assert "font" not in plain.stderr


@needs_libreoffice
@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig's fc-match asks for fonts")
def test_preview_pdf_warns_of_a_missing_font_too(runner: CliRunner, tmp_path: Path) -> None:
    import docx

    letterhead = docx.Document()
    letterhead.styles["Normal"].font.name = "Nosuch Grotesk"
    letterhead.save(str(tmp_path / "letterhead.docx"))
    template = write(
        tmp_path / "letter.txt.j2",
        "---\nletterhead: letterhead.docx\n---\nDear {{ recipient.name }},\n",
    )
    people = write(tmp_path / "people.yaml", "- {id: ada, name: Ada}\n")
    target = tmp_path / "ada.pdf"
    result = runner.invoke(cli, ["preview", str(template), str(people), "--pdf", str(target)])
    assert result.exit_code == 0, result.output
    assert "the letters ask for the font 'Nosuch Grotesk', which is not installed" in result.stderr
    assert "Dear Ada," in text(target)
