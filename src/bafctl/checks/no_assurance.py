"""A risk with no source of assurance at all (V13).

Sources of assurance, on any of the three lines, are how the board knows its controls
work (docs/domain.md 3.2, 3.4). A BAF entry listing controls but no assurance cannot show
the board anything.

PASS:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 1, source: Daily staffing dashboard}
        assurance_gaps:
          - {text: No independent review of safe staffing, actions: [A1]}
        actions:
          - {id: A1, action: Add safe staffing to the audit plan, owner: CN, due: 2026-06-30}

FAIL:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurance_gaps:
          - {text: No assurance on safe staffing, actions: [A1]}
        actions:
          - {id: A1, action: Add safe staffing to the committee work plan, owner: CN, due: 2026-06-30}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at, threads_loc
from bafctl.findings import Finding, Level

ID = "no-assurance"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk with no assurance in any cause or effect."""
    for _reg, lr in ctx.active_risks():
        if any(t.assurances for t in lr.risk.threads):
            continue
        yield finding_at(
            lr,
            threads_loc(lr),
            ID,
            "no source of assurance in any cause or effect",
            "list the reports that show the controls work under `assurances`, with their line (1, 2 or 3)",
            key=True,
        )
