"""One render run, as a library call: check every letter, then write them all."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from lettergen.checks import Checker, ChecksFailed
from lettergen.errors import OutputError, Warn, ignore_warning
from lettergen.merge.letter import Letter
from lettergen.merge.render import Merge
from lettergen.options import MergeOptions, RenderOptions
from lettergen.output import plan as output
from lettergen.output import put
from lettergen.output.manifest import LetterInputs, Manifest, Selection, remove_stale_temporaries
from lettergen.output.place import Identity, OutputFolder, identify, run_in
from lettergen.output.processes import first_pass as parallel
from lettergen.output.progress import Progress
from lettergen.output.spool import Spool, SpooledFormat, SpooledLetter
from lettergen.writers import Writer, combined_document, pdf, writers_for
from lettergen.writers.combined import CombinedDocument
from lettergen.writers.labels import BatchLabels


def _proofread(checker: Checker | None, warn: Warn) -> None:
    """Report the checks' warnings; raise :class:`ChecksFailed` when they found errors."""
    if checker is None:
        return
    report = checker.finish()
    for finding in report.warnings:
        warn(str(finding))
    if report.errors:
        raise ChecksFailed(report)


def render(
    merge_options: MergeOptions,
    options: RenderOptions,
    *,
    warn: Warn = ignore_warning,
    on_file: Callable[[Letter, Path], None] | None = None,
) -> output.Summary:
    """Render one letter per record in every format and write them to the output folder.

    Nothing is written unless every letter renders and no letter would overwrite a file
    (without ``force``). With ``dry_run`` nothing is written at all; ``on_file`` hears of each
    file the run writes or would write.
    """
    merge = Merge(merge_options, warn)
    merge.require_records()  # no record, no run: before anything is made
    writers = writers_for(
        merge, options.formats, letterhead=options.letterhead, warn=warn, envelope=options.envelope
    )
    # The output folder as the run starts: the second pass writes into this one, or none.
    found = identify(options.output_dir)
    inputs = LetterInputs(merge)
    selection = Selection(options.output_dir, writers, inputs) if options.skip_unchanged else None
    # Checked before anything is written; the document is made only when it is to be written.
    open_combined = (
        combined_document(
            writers, merge, options.combine, force=options.force, letterhead=options.letterhead
        )
        if options.combine is not None
        else None
    )
    if options.combine is not None and any(isinstance(w, pdf.PdfWriter) for w in writers):
        pdf.check_combined(options.combine.with_suffix(".pdf"), force=options.force)
    labels = (
        BatchLabels.prepare(
            options.labels,
            options.output_dir,
            force=options.force,
            pdf=any(isinstance(w, pdf.PdfWriter) for w in writers),
        )
        if options.labels
        else None
    )

    # The checks ride on the first pass: no extra pass over the records.
    checker = Checker(merge) if options.check else None
    rendered = checker.letters(raising=True) if checker else merge.letters()
    # Several processes only for a plain run (--skip-unchanged picks letters as it goes), and
    # for text letters only with the checks on: a text letter costs less to render and write
    # than to hand over, but checking it costs more.
    text_only = all(w.format == "txt" for w in writers)
    processes = parallel.jobs_for(options.jobs, merge)
    jobs = 1 if selection is not None or (text_only and checker is None) else processes
    combined = None
    spool = None
    if not options.dry_run:
        spool = Spool(options.output_dir)
        if open_combined is not None:
            combined = open_combined()
    body = combined.body if combined is not None else None
    first: Iterable[Letter | SpooledLetter] = rendered
    if jobs > 1:
        # Workers render, check and build the letters; what their checks find is merged here,
        # in the order of the records.
        first = parallel.first_pass(merge, writers, jobs, spool=spool, body=body, checker=checker)
        body = None  # the workers made each letter's body
    if selection:  # then jobs is 1: the letters are rendered here
        first = selection.pending(rendered)
    try:
        reserved = _batch_files(options, writers, labels)
        count = _first_pass(
            first, writers, options, merge, checker, warn, on_file, selection, spool, body, reserved
        )
        summary = output.Summary(
            letters=count,
            out_dir=options.output_dir,
            dry_run=options.dry_run,
            formats=[w.format for w in writers],
            skipped=selection.skipped if selection else 0,
        )
        if spool is None:
            summary.combined += labels.targets if labels else ()
            if options.combine is not None:
                summary.combined.append(options.combine)
                if any(isinstance(w, pdf.PdfWriter) for w in writers):
                    summary.combined.append(options.combine.with_suffix(".pdf"))
            summary.files = count * len(writers) + len(summary.combined)
            return summary
        # The files are put in place by several processes where there are cores for them
        # (text letters too: there, writing is a large part of the work).
        summary.files = _second_pass(
            spool,
            writers,
            options,
            inputs,
            combined,
            selection,
            processes,
            found,
            extra=labels.build(merge) if labels else (),
        )
    except BaseException:
        if combined is not None:
            combined.abort()
        raise
    finally:
        if spool is not None:
            spool.close()
    return summary


def _first_pass(
    letters: Iterable[Letter | SpooledLetter],
    writers: list[Writer],
    options: RenderOptions,
    merge: Merge,
    checker: Checker | None,
    warn: Warn,
    on_file: Callable[[Letter, Path], None] | None,
    selection: Selection | None,
    spool: Spool | None,
    body: Callable[[Letter, int], str] | None,
    reserved: dict[str, str],
) -> int:
    """Render, check and build every letter into ``spool``; return how many letters (none may
    take the name of one of the ``reserved`` files)."""
    # The checks count the records before the first letter; without them, the count is known
    # only after this pass, and meanwhile a terminal sees a counter.
    total = checker.prepare() if checker is not None and selection is None else None
    checking = Progress(total, enabled=options.progress)
    merge.warn = checking.interrupting(warn)
    try:
        count = output.plan(
            checking.wrap(letters),
            writers,
            options.output_dir,
            force=options.force,
            on_file=on_file if options.dry_run else None,
            may_replace=selection.is_ours if selection else None,
            spool=spool,
            body=body,
            reserved=reserved,
        )
    except OutputError:
        checking.close()
        _proofread(checker, warn)  # what the checks found comes before "already exists"
        raise
    finally:
        checking.close()
        merge.warn = warn
    _proofread(checker, warn)
    return count


def _batch_files(
    options: RenderOptions, writers: list[Writer], labels: BatchLabels | None
) -> dict[str, str]:
    """The names of the run's files in the output folder that are no letter, and what each is."""
    files: dict[str, str] = {}
    for target in labels.targets if labels else ():
        files[target.name] = "the run's labels document"
    if options.combine is not None:
        targets = [options.combine]
        if any(isinstance(w, pdf.PdfWriter) for w in writers):
            targets.append(options.combine.with_suffix(".pdf"))
        for target in targets:
            if target.parent.resolve() == options.output_dir.resolve():
                files[target.name] = "the run's combined document"
    return files


def _second_pass(
    spool: Spool,
    writers: list[Writer],
    options: RenderOptions,
    inputs: LetterInputs,
    combined: CombinedDocument | None,
    selection: Selection | None,
    processes: int = 1,
    found: Identity | None = None,
    extra: Sequence[tuple[str, bytes]] = (),
) -> int:
    """Write the spooled letters into the output folder (with ``processes`` processes),
    which must be the folder ``found`` when the run started, and the ``extra`` files of the
    whole batch (labels); return how many files."""
    if selection:
        # A resumed run: clear what a run killed outright (kill -9) may have left behind.
        remove_stale_temporaries(options.output_dir)
    pdfs: list[pdf.PdfWriter] = []
    folder = OutputFolder(options.output_dir, started=True, found=found).open()
    try:
        with (
            run_in(folder),
            Manifest(folder, inputs) as manifest,
            Progress(spool.count, enabled=options.progress) as progress,
        ):
            if processes > 1 and not any(isinstance(w, pdf.PdfWriter) for w in writers):
                files = put.write_spooled(
                    spool,
                    writers,
                    folder,
                    processes,
                    manifest=manifest,
                    progress=progress,
                    combined=combined,
                )
            else:
                formats = [SpooledFormat(w, i, spool) for i, w in enumerate(writers)]
                stream = _feed(spool.letters(), combined)
                # PDFs are converted together at the end, by one LibreOffice per core.
                stream, formats, pdfs = _staging(stream, writers, formats, options, manifest)
                files = output.write(
                    progress.wrap(stream),
                    formats,
                    folder,
                    on_write=manifest.queue,
                    before_put=manifest.flush,
                )
                combined_pdf = options.combine.with_suffix(".pdf") if options.combine else None
                for writer in pdfs:
                    writer.combine = combined_pdf
                    files += writer.finish(put=functools.partial(_put_pdf, folder, manifest))
            for name, data in extra:
                folder.put(name, data)
                files += 1
            if combined is not None:
                combined.close()
                files += 1
    except BaseException:
        for writer in pdfs:
            writer.close()
        raise
    return files


def _feed(
    letters: Iterable[SpooledLetter], combined: CombinedDocument | None
) -> Iterator[SpooledLetter]:
    """Yield ``letters``, adding each one's spooled body to ``combined`` on the way."""
    for letter in letters:
        if combined is not None:
            assert letter.body is not None
            combined.add(letter.body)
        yield letter


def _put_pdf(folder: OutputFolder, manifest: Manifest, target: Path, data: bytes) -> None:
    """Put one PDF letter in place through the run's folder, its manifest row first, so that a
    run failing later takes it back like any other letter."""
    manifest.flush()
    folder.put(target.name, data)


def _staging(
    letters: Iterator[SpooledLetter],
    writers: list[Writer],
    formats: list[SpooledFormat],
    options: RenderOptions,
    manifest: Manifest,
) -> tuple[Iterator[SpooledLetter], list[SpooledFormat], list[pdf.PdfWriter]]:
    """Take the PDF writers out of a run's second pass; stage their DOCX files as it goes.

    Returns the letters (each staged for every PDF writer on its way through), the formats
    left to write file by file, and the PDF writers, whose :meth:`PdfWriter.finish` converts
    the staged letters, telling the manifest of each PDF.
    """
    pdfs = [
        (w, spooled)
        for w, spooled in zip(writers, formats, strict=True)
        if isinstance(w, pdf.PdfWriter)
    ]
    if not pdfs:
        return letters, formats, []
    for writer, _ in pdfs:
        # Converters start with the first letter staged: as many as the run has jobs.
        writer.jobs = options.jobs
    rest = [f for w, f in zip(writers, formats, strict=True) if not isinstance(w, pdf.PdfWriter)]

    def staged() -> Iterator[SpooledLetter]:
        for letter in letters:
            # Only what the manifest needs: a run of 100,000 PDFs keeps no letter's files.
            kept = dataclasses.replace(letter, files=[], body=None, files_sha256=None)
            for writer, source in pdfs:
                target = options.output_dir / f"{letter.name}{writer.suffix}"
                on_write = functools.partial(_pdf_written, manifest, kept, writer.format)
                writer.stage_bytes(source.file_of(letter), target, on_write, letter.recipient)
            yield letter

    return staged(), rest, [writer for writer, _ in pdfs]


def _pdf_written(
    manifest: Manifest, letter: SpooledLetter, fmt: str, target: Path, data: bytes
) -> None:
    manifest.add(letter, fmt, target, hashlib.sha256(data).hexdigest())
