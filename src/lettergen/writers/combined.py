"""``--combine``: one more document holding every letter of the run, each on new pages."""

from __future__ import annotations

from pathlib import Path

from lettergen.errors import OutputError, UsageError


def check_combine_target(target: Path, *, force: bool, kind: str = "document") -> None:
    """Refuse ``--combine target`` before anything is written: a name that is no ``.docx``,
    or a combined ``kind`` (document, PDF) that exists while ``force`` is not given."""
    if kind == "document" and target.suffix.lower() != ".docx":
        raise UsageError(f"--combine: '{target}' must be a .docx file name")
    if target.exists() and not force:
        raise OutputError(
            f"the combined {kind} already exists; use --force to overwrite it", path=target
        )
