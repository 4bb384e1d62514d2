"""What protocol proposes for the records that lack a salutation, form of address or closing.

`lettergen suggest` prints, record by record, the forms the knowledge base would use, so that an
office can review them before they go into the recipients file; `--write` puts them into a copy of
the list (YAML) for that review. Nothing is changed in the user's own file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from lettergen.inputs.recipients import Record
from lettergen.merge.render import Merge
from lettergen.protocol.knowledge import FORM_KEYS
from lettergen.protocol.proposals import Proposal, propose, record_title


@dataclass(frozen=True)
class Suggestion:
    """What protocol proposes for one record: the forms it lacks, each with protocol's text."""

    record: Record
    language: str
    proposal: Proposal | None
    # The forms the record lacks (none: it has them all), and protocol's text for each it knows.
    lacking: tuple[str, ...]
    fields: dict[str, str]

    def lines(self) -> list[str]:
        """How `lettergen suggest` prints it: one line per proposed field, or why there is none
        (nothing for a record that lacks nothing)."""
        if not self.lacking:
            return []
        where = f"{self.record.location}: record '{self.record.id}'"
        if self.proposal is None:
            title = record_title(self.record.fields)
            about = f"its title '{title}'" if title else "it has no title"
            return [f"{where}: nothing to propose: {about} names no office lettergen knows"]
        return [f"{where}: {key}: {text}" for key, text in self.fields.items()]


def suggestions(merge: Merge) -> Iterator[Suggestion]:
    """For each record, in order, what the knowledge base proposes for the forms it lacks."""
    for record in merge.records():
        lacking = tuple(key for key in FORM_KEYS if not _has(record, key))
        proposal = None
        fields: dict[str, str] = {}
        language = ""
        if lacking:
            template, _ = merge.template_for(record)
            language = str(template.meta.get("locale") or "en")
            proposal = propose(record.fields, language)
        if proposal is not None:
            for key in lacking:
                text = proposal.get(key)
                if text is not None:
                    fields[key] = text
        yield Suggestion(record, language, proposal, lacking, fields)


def reviewed_copy(found: Iterable[Suggestion]) -> tuple[str, int]:
    """Every record of ``found`` as YAML, with the proposed fields filled in, and how many
    fields were filled."""
    records = []
    filled = 0
    for suggestion in found:
        filled += len(suggestion.fields)
        records.append(_plain({**suggestion.record.fields, **suggestion.fields}))
    text = (
        "# Recipients with the forms of address lettergen proposes filled in, for review.\n"
        + yaml.safe_dump({"recipients": records}, allow_unicode=True, sort_keys=False)
    )
    return text, filled


def _plain(value: Any) -> Any:
    """``value`` with only the types YAML writes (a spreadsheet cell's text is a str subclass)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _has(record: Record, key: str) -> bool:
    value = record.fields.get(key)
    return isinstance(value, str) and bool(value.strip())
