"""What a run is asked to do: the options of a merge and of a render, as plain values.

The command line and ``lettergen.yaml`` fill these in (see :mod:`lettergen.inputs.campaign`);
a program calling the library builds them itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class MergeOptions:
    """What a run merges, as given on the command line or in ``lettergen.yaml``."""

    template: Path
    recipients: list[Path]
    sender: Path | None = None
    date: dt.date | None = None
    name: str | None = None
    only: tuple[str, ...] = ()
    encoding: str | None = None
    # Worksheet of .xlsx recipients (default: the first one).
    sheet: str | None = None
    # Column header (or top-level key) -> template field: {"Post code": "postcode"}.
    field_map: dict[str, str] = field(default_factory=dict)
    # A Jinja expression choosing records, e.g. "recipient.country == 'FR'".
    where: str | None = None
    limit: int | None = None
    # "bare": a record's fields also by their own names (lettergen.templating.names).
    names: str | None = None
    # The folder of the lettergen.yaml read, whose files a template may name (lettergen.confine).
    campaign_dir: Path | None = None


@dataclass
class RenderOptions:
    """Where and how a run writes its letters."""

    output_dir: Path = Path("letters")
    formats: Sequence[str] = ("txt",)
    force: bool = False
    dry_run: bool = False
    letterhead: Path | None = None
    # One more DOCX holding every letter of the run, each starting on a new page.
    combine: Path | None = None
    # Processes writing letters; None: one per core.
    jobs: int | None = None
    # Leave out letters whose files are as the manifest says and whose inputs are unchanged.
    skip_unchanged: bool = False
    # Show a progress bar on stderr (only on a terminal, only for runs over a second).
    progress: bool = False
    # Proofread every letter (lettergen check) in the first pass; refuse to write on errors.
    check: bool = True
    # The envelope size of -f envelope / envelope-pdf (DL, C5, C4).
    envelope: str = "DL"
    # One document of address labels for the batch on this A4 sheet (L7163 ...), or none.
    labels: str | None = None
