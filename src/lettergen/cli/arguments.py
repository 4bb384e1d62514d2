"""The command line's shared arguments: the inputs ``render``, ``preview``, ``check`` and
``suggest`` read, and how the command line is laid over the campaign file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from lettergen.inputs.campaign import Campaign
    from lettergen.options import MergeOptions

F = TypeVar("F", bound=Callable[..., Any])


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an encoding Python does not know, before any file is read (exit 2: misuse)."""
    import codecs

    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(f"unknown encoding '{value}'") from None
    return value


encoding_option = click.option(
    "--encoding",
    metavar="NAME",
    callback=_check_encoding,
    help="Encoding of the input files. Default: UTF-8 (with or without BOM); "
    "a CSV file may also be UTF-16 (with BOM) or, when it is not UTF-8, Windows-1252.",
)


def _parse_map(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> dict[str, str]:
    """Turn repeated ``--map 'HEADER=FIELD'`` options into a mapping."""
    mapping: dict[str, str] = {}
    for item in value:
        # The last '=': a header may contain one ("A=B"), a field name never does.
        header, sep, target = item.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise click.BadParameter(f"{item!r} is not HEADER=FIELD, e.g. 'Post code=postcode'")
        mapping[header.strip()] = target.strip()
    return mapping


def merge_options(func: F) -> F:
    """The inputs shared by ``render``, ``preview`` and ``check``."""
    decorators = [
        click.argument("template", required=False, type=click.Path(path_type=Path)),
        click.argument("recipients", nargs=-1, type=click.Path(path_type=Path)),
        click.option(
            "--sender",
            type=click.Path(path_type=Path),
            metavar="FILE",
            help="Signatory profile (YAML). Default: 'sender:' in the template.",
        ),
        click.option(
            "--date",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            metavar="YYYY-MM-DD",
            help="Date of the letters. Default: 'date:' in the template, or today.",
        ),
        click.option(
            "--only", multiple=True, metavar="ID", help="Only the record with this id (repeatable)."
        ),
        click.option(
            "--name",
            metavar="PATTERN",
            help="Jinja pattern for file names, e.g. '{{ recipient.country }}-"
            "{{ recipient.id }}'. Default: the record id.",
        ),
        encoding_option,
        click.option(
            "--sheet", metavar="NAME", help="Worksheet of .xlsx recipients. Default: the first."
        ),
        click.option(
            "--map",
            "field_map",
            multiple=True,
            callback=_parse_map,
            metavar="'HEADER=FIELD'",
            help="Read the column HEADER as the template field FIELD, e.g. "
            "'Post code=postcode' or 'Rue=address.street' (repeatable). "
            "Adds to 'fields:' in lettergen.yaml.",
        ),
        click.option(
            "--where",
            metavar="EXPRESSION",
            help="Only the records for which this Jinja expression is true, e.g. "
            "\"recipient.country == 'FR'\".",
        ),
        click.option(
            "--limit",
            type=click.IntRange(min=1),
            metavar="N",
            help="At most N letters: the first N records chosen.",
        ),
        click.option(
            "--campaign",
            type=click.Path(path_type=Path, dir_okay=False),
            metavar="FILE",
            help="Campaign file with defaults. Default: ./lettergen.yaml if present.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_merge_options(kwargs: dict[str, Any]) -> tuple[MergeOptions, Campaign]:
    """Return a command's MergeOptions and its campaign (the command line over the campaign)."""
    from lettergen.inputs.campaign import load_campaign, merge_options

    campaign = load_campaign(kwargs.get("campaign"))
    return merge_options(kwargs, campaign), campaign
