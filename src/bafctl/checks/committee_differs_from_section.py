"""A risk overseen by committees other than its section's (docs/domain.md V05).

Each BAF risk names its responsible committee, and a section of the BAF may be
reported under a committee too. When the risk's own committees do not include the
section's, the summary shows the risk under a committee that does not oversee it,
and a committee's view of its risks (its AAA report to the board) misses it or
gains one it never reviewed. Either the risk's `oversight` or the section is wrong.

PASS:
    oversight: [QC]

PASS:
    oversight: [QC, AC]

FAIL:
    oversight: [AC]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level

ID = "committee-differs-from-section"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk whose oversight leaves out its section's committee."""
    for reg, lr in ctx.active_risks():
        risk = lr.risk
        section = reg.settings.section_for_theme(risk.strategic_link)
        if section is None or section.committee in risk.oversight:
            continue
        committee = section.committee
        named = reg.settings.committee(committee)
        yield finding_at(
            lr,
            ("oversight",),
            ID,
            f"overseen by {', '.join(risk.oversight)}, but its section {section.number} is reported under "
            f"{named.name if named is not None else committee} ({committee})",
            f"add {committee} to `oversight`, or move the risk to the section of the committee that oversees it",
        )
