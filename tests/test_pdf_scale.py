"""PDF at scale: more letters than one LibreOffice call used to manage, each one read back.

LibreOffice stopped silently after about 250 conversions in one call; 600 letters take a run
past that more than twice. The template is plain text, so the cost is LibreOffice's alone.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from click.testing import CliRunner

from lettergen.cli import cli
from tests.test_pdf import needs_libreoffice, people

LETTERS = 600


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@needs_libreoffice
def test_six_hundred_pdf_letters_each_say_what_their_record_says(
    runner: CliRunner, tmp_path: Path
) -> None:
    ids = [f"p{n:03d}" for n in range(LETTERS)]
    template, recipients = people(tmp_path, ids)
    out = tmp_path / "out"
    args = ["render", str(template), str(recipients), "-f", "pdf", "-o", str(out), "--no-check"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == [f"{i}.pdf" for i in ids]
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(pdf_text, [out / f"{i}.pdf" for i in ids]))
    assert texts == [f"Dear Person {i}, Thank you." for i in ids]
    assert not list(out.glob(".lettergen-*"))
