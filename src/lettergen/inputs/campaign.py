"""``lettergen.yaml``: a campaign folder's defaults for every command-line option.

What the user types wins over the campaign file, which wins over lettergen's defaults:
:func:`merge_options` and :func:`render_options` say so in one place for every command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lettergen.errors import CampaignError, UsageError
from lettergen.inputs.recipients import is_data_file
from lettergen.inputs.textfiles import load_yaml_value, read_text
from lettergen.options import MergeOptions, RenderOptions

CAMPAIGN_FILE = "lettergen.yaml"

# Keys whose values are paths, resolved against the campaign file's folder.
_PATH_KEYS = {"template", "sender", "output_dir", "letterhead", "combine"}
_LIST_KEYS = {"recipients", "format", "only"}
_KNOWN = (
    _PATH_KEYS
    | _LIST_KEYS
    | {
        "name",
        "date",
        "encoding",
        "fields",
        "names",
        "sheet",
        "where",
        "limit",
        "jobs",
        "envelope",
        "labels",
    }
)


@dataclass
class Campaign:
    """Defaults read from a campaign file (empty when there is none)."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the campaign's value for ``key`` (paths already resolved)."""
        return self.values.get(key, default)


def load_campaign(path: Path | None = None) -> Campaign:
    """Read ``path`` (default: ``lettergen.yaml`` in the current folder, if it exists)."""
    if path is None:
        path = Path(CAMPAIGN_FILE)
        if not path.is_file():
            return Campaign()
    data = load_yaml_value(read_text(path, CampaignError), path, CampaignError)
    if data is None:
        return Campaign(path)
    if not isinstance(data, dict):
        raise CampaignError(
            "a campaign file is a mapping of options (template: ..., recipients: ...)",
            path=path,
            line=1,
        )
    values: dict[str, Any] = {}
    base = path.parent
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key == "output":
            key = "output_dir"
        if key not in _KNOWN:
            raise CampaignError(
                f"unknown option '{raw_key}' (known: {', '.join(sorted(_KNOWN))})", path=path
            )
        if key in _LIST_KEYS and not isinstance(value, list):
            value = [value]
        if key in _PATH_KEYS and value is not None:
            value = base / str(value)
        elif key == "recipients":
            value = [base / str(item) for item in value]
        elif key == "date" and not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                raise CampaignError(
                    f"date {value!r} is not YYYY-MM-DD", path=path, field="date"
                ) from None
        elif key in ("fields", "where", "sheet", "limit"):
            value = _selection_value(key, value, path)
        values[key] = value
    return Campaign(path, values)


def _selection_value(key: str, value: Any, path: Path) -> Any:
    """Check the value of ``fields:`` (a mapping), ``where:``/``sheet:`` (text), ``limit:``."""
    if value is None:
        return None
    if key == "fields":
        if not isinstance(value, dict) or not all(
            isinstance(v, str) and v.strip() for v in value.values()
        ):
            raise CampaignError(
                "'fields' maps spreadsheet headers to template fields "
                "('Post code: postcode', one per line)",
                path=path,
                field="fields",
            )
        return {str(k).strip(): v.strip() for k, v in value.items()}
    if key == "limit":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CampaignError(
                f"limit {value!r} is not a whole number of 1 or more", path=path, field="limit"
            )
        return value
    if not isinstance(value, str | int):
        raise CampaignError(f"'{key}' must be text", path=path, field=key)
    return str(value)


def merge_options(given: Mapping[str, Any], campaign: Campaign) -> MergeOptions:
    """Return what a run merges: the command line's values (``given``; None or empty when not
    typed) over the campaign's. Raises UsageError when neither names a template or recipients."""
    typed, listed = arguments(given.get("template"), given.get("recipients") or (), campaign)
    template = typed or campaign.get("template")
    if template is None:
        raise UsageError(
            "no template given: name TEMPLATE, or run in a folder whose lettergen.yaml "
            "says 'template:'"
        )
    recipients = list(listed or campaign.get("recipients") or [])
    if not recipients:
        raise UsageError(
            "no recipients given: name one or more RECIPIENTS files, or set 'recipients:' "
            "in lettergen.yaml"
        )
    date = given.get("date")
    return MergeOptions(
        template=Path(template),
        recipients=[Path(p) for p in recipients],
        sender=given.get("sender") or campaign.get("sender"),
        date=date.date() if isinstance(date, dt.datetime) else date or campaign.get("date"),
        name=given.get("name") or campaign.get("name"),
        only=tuple(given.get("only") or campaign.get("only") or ()),
        encoding=given.get("encoding") or campaign.get("encoding"),
        sheet=given.get("sheet") or campaign.get("sheet"),
        field_map={**(campaign.get("fields") or {}), **(given.get("field_map") or {})},
        where=given.get("where") or campaign.get("where"),
        limit=given.get("limit") or campaign.get("limit"),
        names=campaign.get("names"),
        campaign_dir=campaign.path.parent if campaign.path is not None else None,
    )


def arguments(
    template: Path | None, recipients: Sequence[Path], campaign: Campaign | None
) -> tuple[Path | None, list[Path]]:
    """Return the TEMPLATE and RECIPIENTS a command line names, told apart by what they are.

    A recipients file (``.yaml``, ``.csv``, ...) is never a template: in a campaign whose
    ``lettergen.yaml`` names the template, files given alone on the command line are its
    recipients (``lettergen render recipients/new.yaml``); anywhere else, a recipients file in
    TEMPLATE's place is a :class:`UsageError` saying which argument is which. ``campaign`` is
    None for a command that reads no campaign file.
    """
    recipients = [Path(p) for p in recipients]
    if template is None or not is_data_file(Path(template)):
        return template, recipients
    template = Path(template)
    others = [p for p in recipients if not is_data_file(p)]
    if not others and campaign is not None and campaign.get("template") is not None:
        return None, [template, *recipients]
    fix = "name the template first and the recipients after it"
    if others:
        rest = [p for p in recipients if p != others[0]]
        fix += f" ({' '.join(map(str, [others[0], template, *rest]))})"
    elif campaign is None:
        fix += " (TEMPLATE RECIPIENTS...)"
    else:
        fix += (
            " (TEMPLATE RECIPIENTS...), or set 'template:' in lettergen.yaml and name only "
            "the recipients"
        )
    raise UsageError(
        f"'{template}' is a recipients file, but the first argument is the TEMPLATE: {fix}"
    )


def render_options(given: Mapping[str, Any], campaign: Campaign) -> RenderOptions:
    """Return where and how a run writes: the command line's values over the campaign's."""
    formats = given.get("formats") or campaign.get("format") or ["txt"]
    return RenderOptions(
        output_dir=given.get("output_dir") or campaign.get("output_dir") or Path("letters"),
        formats=[str(f) for f in formats],
        force=bool(given.get("force")),
        dry_run=bool(given.get("dry_run")),
        skip_unchanged=bool(given.get("skip_unchanged")),
        progress=bool(given.get("progress")),
        letterhead=given.get("letterhead") or campaign.get("letterhead"),
        combine=given.get("combine") or campaign.get("combine"),
        jobs=given.get("jobs") or campaign.get("jobs"),
        check=given.get("check", True),
        envelope=given.get("envelope") or campaign.get("envelope") or "DL",
        labels=given.get("labels") or campaign.get("labels"),
    )
