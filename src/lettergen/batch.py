"""One render run, as a library call: check every letter, then write them all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import output
from .merge import Letter, Merge, MergeOptions, Warn, _ignore
from .writers import make_writers


@dataclass
class RenderOptions:
    """Where and how a run writes its letters."""

    output_dir: Path = Path("letters")
    formats: Sequence[str] = ("txt",)
    force: bool = False
    dry_run: bool = False
    letterhead: Path | None = None


def render(
    merge_options: MergeOptions,
    options: RenderOptions,
    *,
    warn: Warn = _ignore,
    on_file: Callable[[Letter, Path], None] | None = None,
) -> output.Summary:
    """Render one letter per record in every format and write them to the output folder.

    Nothing is written unless every letter renders and no letter would overwrite a file
    (without ``force``). With ``dry_run`` nothing is written at all; ``on_file`` hears of each
    file the run writes or would write.
    """
    merge = Merge(merge_options, warn)
    writers = make_writers(options.formats, letterhead=options.letterhead)
    count = output.plan(
        merge.letters(),
        writers,
        options.output_dir,
        force=options.force,
        on_file=on_file if options.dry_run else None,
    )
    summary = output.Summary(
        letters=count,
        out_dir=options.output_dir,
        dry_run=options.dry_run,
        formats=[w.format for w in writers],
    )
    if options.dry_run:
        summary.files = count * len(writers)
        return summary
    # Warnings were given in the first pass; the second one is silent.
    merge.warn = _ignore
    summary.files = output.write(merge.letters(), writers, options.output_dir)
    return summary
