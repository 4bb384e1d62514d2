"""The LibreOffice previews keep warm between commands (writers/pdf_shared, pdf_uno_server)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.writers import pdf_shared, pdf_uno
from tests.conftest import SAMPLE_TEMPLATE
from tests.test_pdf import make_docx, needs_libreoffice


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private runtime folder, short enough for a Unix socket's path; whatever converter
    a test started there is stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="lg-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    pdf_shared.stop(folder / "lettergen")
    shutil.rmtree(folder, ignore_errors=True)


def uno_or_skip() -> tuple[str, str]:
    soffice = shutil.which("soffice")
    assert soffice is not None
    python = pdf_uno.uno_python(soffice)
    if python is None:
        pytest.skip("LibreOffice's UNO bindings are needed: apt-get install python3-uno")
    return soffice, python


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A process that ended but is not yet reaped by its parent counts as ended.
    state = Path(f"/proc/{pid}/stat")
    return not state.exists() or state.read_text().split(")")[-1].split()[0] != "Z"


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@needs_libreoffice
def test_the_second_preview_uses_the_libreoffice_the_first_started(
    runner: CliRunner, runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uno_or_skip()
    monkeypatch.setenv("LETTERGEN_PDF_KEEP", "60")
    base = ["preview", str(SAMPLE_TEMPLATE), "--recipient"]
    first = runner.invoke(cli, [*base, "laurent-fabius", "--pdf", str(tmp_path / "a.pdf")])
    assert first.exit_code == 0, first.output
    pid = int((runtime / "lettergen" / "pid").read_text())
    assert running(pid)
    second = runner.invoke(cli, [*base, "manuel-valls", "--pdf", str(tmp_path / "b.pdf")])
    assert second.exit_code == 0, second.output
    assert int((runtime / "lettergen" / "pid").read_text()) == pid
    assert "Fabius" in pdf_text(tmp_path / "a.pdf")
    assert "Valls" in pdf_text(tmp_path / "b.pdf")
    assert "Fabius" not in pdf_text(tmp_path / "b.pdf")
    pdf_shared.stop(runtime / "lettergen")
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(pid)
    assert not (runtime / "lettergen" / "socket").exists()


@needs_libreoffice
def test_the_kept_libreoffice_stops_by_itself_when_no_letter_comes(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    soffice, python = uno_or_skip()
    monkeypatch.setenv("LETTERGEN_PDF_KEEP", "1")
    docx = make_docx(tmp_path / "letter.docx", ["Dear Ada,"])
    assert pdf_shared.convert_shared(soffice, python, docx, tmp_path / "letter.pdf")
    assert pdf_text(tmp_path / "letter.pdf") == "Dear Ada,"
    place = runtime / "lettergen"
    pid = int((place / "pid").read_text())
    deadline = time.monotonic() + 30
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running(pid)
    assert not (place / "pid").exists() and not (place / "socket").exists()
    assert not (place / "profile").exists()


def test_a_folder_others_may_enter_is_not_used(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTERGEN_PDF_KEEP", "60")
    (runtime / "lettergen").mkdir(mode=0o755)
    (runtime / "lettergen").chmod(0o755)
    docx = make_docx(tmp_path / "letter.docx", ["Dear Ada,"])
    started = pdf_shared.convert_shared("soffice", "python3", docx, tmp_path / "letter.pdf")
    assert started is False
    assert list((runtime / "lettergen").iterdir()) == []


def test_no_libreoffice_is_kept_when_the_environment_says_0(runtime: Path, tmp_path: Path) -> None:
    # tests/conftest.py sets LETTERGEN_PDF_KEEP=0 for every test.
    docx = make_docx(tmp_path / "letter.docx", ["Dear Ada,"])
    assert not pdf_shared.convert_shared("soffice", "python3", docx, tmp_path / "letter.pdf")
    assert not (runtime / "lettergen").exists()


@needs_libreoffice
def test_a_font_installed_since_it_started_gets_a_fresh_libreoffice(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept LibreOffice would not see the new font, and print otherwise than render."""
    soffice, python = uno_or_skip()
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    monkeypatch.setattr(pdf_shared, "FONT_FOLDERS", (str(fonts),))
    monkeypatch.setenv("LETTERGEN_PDF_KEEP", "60")
    docx = make_docx(tmp_path / "letter.docx", ["Dear Ada,"])
    place = runtime / "lettergen"
    assert pdf_shared.convert_shared(soffice, python, docx, tmp_path / "one.pdf")
    first = int((place / "pid").read_text())
    assert pdf_shared.convert_shared(soffice, python, docx, tmp_path / "two.pdf")
    assert int((place / "pid").read_text()) == first
    time.sleep(0.01)
    (fonts / "newly-installed").mkdir()
    assert pdf_shared.convert_shared(soffice, python, docx, tmp_path / "three.pdf")
    assert int((place / "pid").read_text()) != first
    assert not running(first)
    assert pdf_text(tmp_path / "three.pdf") == "Dear Ada,"
