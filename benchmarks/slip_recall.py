"""Recall per kind of slip and false alarms of `lettergen check` on the slip corpus (issue 12).

    python benchmarks/slip_recall.py        # the table, then each miss and false alarm

Each clean campaign of tests/slip_corpus.py is checked as written (any finding of the corpus's
kinds is a false alarm), then each planted slip alone (found: a finding with the slip's code,
record, field and words).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.slip_corpus import BY_NAME, CAMPAIGNS, SLIPS, findings_of, names, write_campaign


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        alarms = []
        for campaign in CAMPAIGNS:
            for finding in findings_of(write_campaign(root / campaign.name, campaign)):
                alarms.append((campaign.name, finding))
        planted: Counter[str] = Counter()
        found: Counter[str] = Counter()
        misses = []
        for number, slip in enumerate(SLIPS):
            planted[slip.kind] += 1
            options = write_campaign(root / f"slip-{number}", BY_NAME[slip.campaign], slip)
            seen = findings_of(options)
            if any(names(finding, slip) for finding in seen):
                found[slip.kind] += 1
            else:
                misses.append((slip, seen))
    print(f"{'kind of slip':40} planted  found  recall")
    for kind in planted:
        print(f"{kind:40} {planted[kind]:7}  {found[kind]:5}  {found[kind] / planted[kind]:6.0%}")
    total, hit = sum(planted.values()), sum(found.values())
    print(f"{'all':40} {total:7}  {hit:5}  {hit / total:6.0%}")
    records = sum(len(c.records) for c in CAMPAIGNS)
    print(f"false alarms: {len(alarms)} in {len(CAMPAIGNS)} clean campaigns ({records} letters)")
    for name, finding in alarms:
        print(f"  false alarm in {name}: {finding.record}: {finding.code}: {finding.message}")
    for slip, seen in misses:
        seen_messages = [f.message for f in seen]
        print(f"  missed {slip.kind} in {slip.campaign}/{slip.record}: saw {seen_messages}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
