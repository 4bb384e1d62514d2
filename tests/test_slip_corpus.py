"""The slip corpus (tests/slip_corpus.py): every planted slip is found, no clean campaign alarms.

Each clean campaign is a list as a real office keeps it (issue 12, point 4's traps in every
letter); each slip is one edit of one of them, found when ``check`` names its kind (code and
words), its record and its field.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from .slip_corpus import (
    BY_NAME,
    CAMPAIGNS,
    SLIPS,
    Campaign,
    Slip,
    findings_of,
    names,
    write_campaign,
)


@pytest.mark.parametrize("campaign", CAMPAIGNS, ids=lambda c: c.name)
def test_a_clean_campaign_gives_no_finding_of_these_kinds(
    tmp_path: Path, campaign: Campaign
) -> None:
    found = findings_of(write_campaign(tmp_path, campaign))
    assert [(f.record, f.code, f.message) for f in found] == []


@pytest.mark.parametrize("slip", SLIPS, ids=lambda s: f"{s.kind}:{s.campaign}:{s.record}")
def test_a_planted_slip_is_found_naming_its_record_and_field(tmp_path: Path, slip: Slip) -> None:
    found = findings_of(write_campaign(tmp_path, BY_NAME[slip.campaign], slip))
    assert any(names(finding, slip) for finding in found), [f.message for f in found]
    # The finding points at the record's line in its file.
    finding = next(f for f in found if names(f, slip))
    assert finding.path == tmp_path / "recipients.yaml"
    assert finding.line is not None


def test_the_corpus_is_as_large_as_the_issue_asks() -> None:
    assert len(CAMPAIGNS) >= 15
    assert {c.language for c in CAMPAIGNS} >= {"en", "fr", "de", "es", "it", "nl", "pl", "pt"}
    assert all(3 <= len(c.records) <= 6 for c in CAMPAIGNS)
    assert min(Counter(slip.kind for slip in SLIPS).values()) >= 2
