"""Shared fixtures: the CLI runner and the bundled sample campaign."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_TEMPLATE = ROOT / "templates" / "appeal.txt.j2"
SAMPLE_SENDER = ROOT / "templates" / "mady-delvaux-stehres.yaml"
SAMPLE_RECIPIENTS = ROOT / "recipients" / "french-government.yaml"
SEED_LETTER = Path(__file__).resolve().parent / "data" / "seed-letter.txt"


@pytest.fixture(autouse=True)
def no_shared_libreoffice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Previews keep no LibreOffice between commands, so that no test leaves one running
    (tests/test_pdf_shared.py tries the one that is kept)."""
    monkeypatch.setenv("LETTERGEN_PDF_KEEP", "0")


@pytest.fixture
def runner() -> CliRunner:
    """A CliRunner that keeps stdout and stderr apart."""
    return CliRunner()


@pytest.fixture
def sample() -> dict[str, Path]:
    """Paths of the sample campaign's template, signatory and recipients."""
    return {
        "template": SAMPLE_TEMPLATE,
        "sender": SAMPLE_SENDER,
        "recipients": SAMPLE_RECIPIENTS,
    }


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` to ``path`` (creating folders) and return the path."""
    import textwrap

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file below ``folder`` with its bytes, to prove a run changed nothing."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
