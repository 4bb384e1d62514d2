"""The ``lettergen`` command line: parse options, call the library, report, exit.

Heavy libraries (python-docx, Babel, openpyxl) are imported by the commands that need them,
never here, so that ``lettergen --help`` starts fast.
"""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from lettergen.cli.arguments import build_merge_options, encoding_option, merge_options
from lettergen.errors import LettergenError, OutputError, UsageError

if TYPE_CHECKING:
    from lettergen.output.plan import Summary

F = TypeVar("F", bound=Callable[..., Any])


class ReportedError(click.ClickException):
    """A LettergenError about content (exit 1), shown as its own ``path:line: ...`` message."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class ReportedMisuse(ReportedError):
    """A LettergenError about the command line (exit 2)."""

    exit_code = 2


def reported(error: LettergenError) -> ReportedError:
    """Return the Click exception that shows ``error`` and exits with its status."""
    kind = ReportedMisuse if error.exit_code == 2 else ReportedError
    return kind(str(error))


def reports_errors(func: F) -> F:
    """Turn the library's errors into one message on stderr and the error's exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LettergenError as error:
            raise reported(error) from None

    return wrapper  # type: ignore[return-value]


def warn(message: str) -> None:
    """Print a warning on stderr."""
    click.echo(message, err=True)


def ignore(message: str) -> None:
    """Drop a warning (``--quiet``)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lettergen")
def cli() -> None:
    """Personalised letters to many officials from one template and a recipient list.

    \b
    Example:
        lettergen render templates/appeal.txt.j2 recipients/french-government.yaml
    """


@cli.command()
@merge_options
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Folder for the letters. Default: letters/",
)
@click.option(
    "-f",
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["txt", "docx", "pdf", "envelope", "envelope-pdf"], case_sensitive=False),
    help="Output format (repeatable); envelope(-pdf): each letter's envelope. Default: txt.",
)
@click.option("--envelope", metavar="SIZE", help="Size of -f envelope: DL (default), C5, C4.")
@click.option(
    "--labels",
    metavar="SHEET",
    help="Also one document of the batch's address labels on A4 sheets L7163, L7160, L7162 "
    "or L7173 (and its PDF with a PDF format).",
)
@click.option(
    "--letterhead",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Word document whose page setup, styles, header and footer DOCX letters take. "
    "Default: 'letterhead:' in the template, or a plain A4 page.",
)
@click.option(
    "--combine",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.docx",
    help="Also write one DOCX with every letter of the run, each on new pages (for printing).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes: letters are rendered, checked and built by N (text letters with "
    "--no-check by one), and written by N. Default: the number of cores.",
)
@click.option("--force", is_flag=True, help="Overwrite letters that already exist.")
@click.option("--dry-run", is_flag=True, help="Check everything and list the files; write none.")
@click.option(
    "--skip-unchanged",
    is_flag=True,
    help="Write only letters whose inputs changed or whose file is missing or changed "
    "(per the output folder's manifest.csv); resumes an interrupted run.",
)
@click.option(
    "--no-check", is_flag=True, help="Write even when 'lettergen check' finds errors (warned)."
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@reports_errors
def render(**kwargs: Any) -> None:
    """Write one letter per recipient.

    Every letter is rendered and checked before the first is written: a run that fails writes
    nothing, and existing letters are kept unless --force is given. TEMPLATE is a text template,
    or a Word document (.docx) with the same Jinja tags typed in its text.

    \b
    Example:
        lettergen render templates/appeal.txt.j2 recipients/french-government.yaml -o letters
        lettergen render templates/appeal.docx recipients/french-government.yaml -f docx
        lettergen render --only laurent-fabius --force
        lettergen render -f txt -f docx --combine letters/all.docx
        lettergen render          # with a lettergen.yaml in the current folder
    """
    from lettergen import render
    from lettergen.inputs.campaign import render_options

    merge_options, campaign = build_merge_options(kwargs)
    quiet = kwargs["quiet"]
    given = {**kwargs, "progress": not quiet, "check": not kwargs["no_check"]}
    if kwargs["no_check"]:
        warn("warning: --no-check: letters are written without proofreading")

    def listed(letter: Any, path: Path) -> None:
        click.echo(f"would write {path}  ({letter.record.id})")

    options = render_options(given, campaign)
    summary = render(merge_options, options, warn=ignore if quiet else warn, on_file=listed)
    if not quiet:
        for line in _summary_lines(summary):
            click.echo(line)


def _summary_lines(summary: Summary) -> list[str]:
    """Return what ``render`` says when it is done: what it wrote, or would write."""
    kinds = ", ".join(summary.formats)
    lines = [f"Skipped {summary.skipped} unchanged letter(s)."] if summary.skipped else []
    if not summary.dry_run:
        files = f"({kinds}, {summary.files} file(s))"
        return [*lines, f"Wrote {summary.letters} letter(s) {files} to {summary.out_dir}/"]
    lines += [f"would write {path}  (every letter)" for path in summary.combined]
    return [
        *lines,
        f"Dry run: {summary.letters} letter(s) checked; {summary.files} file(s) "
        f"({kinds}) would be written to {summary.out_dir}/",
    ]


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@reports_errors
def init(folder: Path) -> None:
    """Create a new campaign folder: a starter template, recipients, signatory, lettergen.yaml.

    FOLDER must be new or empty. The campaign renders as it is; edit its files to make it yours.

    \b
    Example:
        lettergen init water-campaign
        cd water-campaign && lettergen render
    """
    from lettergen.inputs.scaffold import init_campaign

    for path in init_campaign(folder):
        click.echo(f"created {path}")
    click.echo(f"Next: cd {folder} && lettergen render   (then edit the template and recipients)")


@cli.command()
@merge_options
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option(
    "--pdf",
    is_flag=True,
    help="Also convert the letters to PDF (in a temporary folder) and check their pages: "
    "more than 'pages:' (default: the first letter's) is an error.",
)
@reports_errors
def check(**kwargs: Any) -> None:
    """Proofread every letter in memory, write nothing, report every problem at once.

    Finds fields records lack or hold empty, duplicate ids and people, clashing file names,
    leftover placeholders, forms of address that are not the recipient's ("Mr Prime Minister"
    to a foreign minister) and letters naming another recipient. Exit 1 on errors.

    \b
    Example:
        lettergen check templates/appeal.txt.j2 recipients/french-government.yaml
        lettergen check --strict          # with a lettergen.yaml in the current folder
    """
    from lettergen import check as check_letters

    options, _ = build_merge_options(kwargs)
    report = check_letters(options, warn)
    if kwargs["pdf"] and not report.errors:
        from lettergen import Merge
        from lettergen.writers.pdf_check import check_pages

        report.findings.extend(check_pages(Merge(options, warn), warn=warn))
    for line in report.lines():
        click.echo(line)
    click.echo(report.summary())
    if report.failed(strict=kwargs["strict"]):
        sys.exit(1)


@cli.command()
@merge_options
@click.option(
    "--write",
    "copy",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the recipients, with the proposed forms filled in, to this new YAML file.",
)
@reports_errors
def suggest(copy: Path | None, **kwargs: Any) -> None:
    """Propose the salutation, form of address, closing and address style protocol writes,
    for each record that lacks them (from its title, gender or honorific, and language).

    Nothing in your own files changes; --write puts the proposals into a copy for review.

    \b
    Example:
        lettergen suggest templates/appeal.txt.j2 recipients/new-ministers.csv
        lettergen suggest --write recipients/reviewed.yaml
    """
    from lettergen.checks.suggest import reviewed_copy, suggestions
    from lettergen.merge.render import Merge

    if copy is not None and copy.exists():
        raise UsageError(f"{copy}: exists already; name a new file for the reviewed copy")
    options, _ = build_merge_options(kwargs)
    merge = Merge(options, warn)
    merge.require_records()
    # One pass over the records: the copy holds every record, the listing those that lack forms.
    found = list(suggestions(merge))
    count = 0
    for suggestion in found:
        count += bool(suggestion.lacking)
        for line in suggestion.lines():
            click.echo(line)
    if copy is not None:
        text, filled = reviewed_copy(found)
        try:
            with open(copy, "x", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise OutputError(f"{copy}: cannot write the reviewed copy: {exc.strerror}") from None
        click.echo(f"wrote {copy}: {filled} proposed field(s) filled in; review before use")
    elif count == 0:
        click.echo("every record has its salutation, form of address, closing and address style")


@cli.command()
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("recipients", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@encoding_option
@reports_errors
def fields(template: Path, recipients: tuple[Path, ...], encoding: str | None) -> None:
    """List the fields a template uses and, given recipients, which records lack which.

    \b
    Example:
        lettergen fields templates/appeal.txt.j2
        lettergen fields templates/appeal.txt.j2 recipients/french-government.yaml
    """
    from lettergen.checks import field_table
    from lettergen.inputs.campaign import arguments

    arguments(template, recipients, None)  # a recipients file as TEMPLATE is an error
    table, total = field_table(template, recipients, encoding)
    for info in table:
        click.echo(info.describe(total))
    if total is not None:
        lacking = sum(1 for info in table if info.lacking_count)
        click.echo(f"{len(table)} field(s); {lacking} lacked by some of {total} record(s)")


@cli.command()
@merge_options
@click.option("--recipient", "recipient_id", metavar="ID", help="The letter for this record id.")
@click.option(
    "--index", type=click.IntRange(min=1), metavar="N", help="The letter for the N-th record."
)
@click.option("--all", "every", is_flag=True, help="Every letter, in a pager.")
@click.option(
    "--pdf",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also write the letter as a PDF (DOCX through LibreOffice), as it will print.",
)
@click.option(
    "--png",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Also render the letter's pages as PNG images into DIR.",
)
@click.option(
    "--color",
    "colour",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Highlight the merged values: on a terminal without NO_COLOR set (auto), or not.",
)
@reports_errors
def preview(**kwargs: Any) -> None:
    """Show a letter exactly as render writes it, with the merged values highlighted.

    Values from the record and the signatory are coloured on a terminal (plain text when
    piped or when NO_COLOR is set); empty values are marked. The first letter by default.

    \b
    Example:
        lettergen preview --recipient laurent-fabius
        lettergen preview --index 2 --pdf fabius.pdf
        lettergen preview --all
    """
    from lettergen import Merge
    from lettergen.preview import previews, wants_colour, write_pdf, write_png

    options, _ = build_merge_options(kwargs)
    merge = Merge(options, warn)
    merge.require_records()
    every = kwargs["every"]
    if every and (kwargs["pdf"] or kwargs["png"]):
        raise click.UsageError("--pdf and --png show one letter; leave out --all")
    colour = wants_colour(kwargs["colour"], sys.stdout)
    shown = previews(merge, recipient=kwargs["recipient_id"], index=kwargs["index"], every=every)
    if every:
        pages = (f"{item.header()}\n{item.shown(colour)}\n" for item in shown)
        if sys.stdout.isatty():
            click.echo_via_pager(pages, color=colour)
        else:  # piped: no pager (and click's would close the stream it is given)
            for page in pages:
                click.echo(page, color=colour)
        return
    item = next(shown)
    click.echo(item.shown(colour), nl=False, color=colour)
    for warning in item.warnings():
        warn(warning)
    if kwargs["pdf"]:
        warn(f"wrote {write_pdf(merge, item, kwargs['pdf'])}")
    for image in write_png(merge, item, kwargs["png"]) if kwargs["png"] else []:
        warn(f"wrote {image}")


def _terminate(signum: int, frame: Any) -> NoReturn:
    # SIGTERM unwinds like Ctrl-C, so temporary files are removed on the way out.
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the ``lettergen`` console script."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli(prog_name="lettergen")
    except KeyboardInterrupt:
        click.echo("Interrupted; letters already written are complete, none is partial.", err=True)
        sys.exit(130)
