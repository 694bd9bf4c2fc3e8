"""No independent (third-line) assurance, and no gap in assurance recorded (V14).

Under the IIA Three Lines Model (docs/domain.md 3.3) only the third line, internal audit
and external reviewers, gives independent assurance that controls work. A risk with
none should say so by recording a gap in assurance (which then needs an action, see
`gap-without-action`); silence on the point is what an auditor comments on.

PASS:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 2, source: Quality Committee staffing report}
        assurance_gaps:
          - {text: No internal audit of safe staffing yet, actions: [A1]}
        actions:
          - {id: A1, action: Add safe staffing to the audit plan, owner: CN, due: 2026-06-30}

FAIL:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 1, source: Daily staffing dashboard}
          - {line: 2, source: Quality Committee staffing report}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at, threads_loc
from bafctl.findings import Finding, Level

ID = "no-independent-assurance"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk with no line-3 assurance and no assurance gap."""
    for _reg, lr in ctx.active_risks():
        threads = lr.risk.threads
        if any(a.line == 3 for t in threads for a in t.assurances):
            continue
        if any(t.assurance_gaps for t in threads):
            continue
        lines = sorted({a.line for t in threads for a in t.assurances})
        found = "lines " + ", ".join(str(n) for n in lines) if lines else "none"
        yield finding_at(
            lr,
            threads_loc(lr),
            ID,
            f"no independent (line 3) assurance and no gap in assurance recorded (assurance from: {found})",
            "add the internal audit or external review that covers it, or record the gap under `assurance_gaps`",
            key=True,
        )
