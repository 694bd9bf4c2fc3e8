"""Target score above tolerance: the plan cannot bring the risk within appetite (V08).

RJAH defines tolerance as the maximum acceptable *target* score (docs/domain.md 2.4), so a
target above it means the mitigation plan itself falls short of the board's appetite.
Closed and merged risks are not judged.

PASS:
    assessments:
      initial: {consequence: 4, likelihood: 5}
      current: {consequence: 4, likelihood: 4}
      target: {consequence: 4, likelihood: 2}
    appetite: {level: open}

FAIL:
    assessments:
      initial: {consequence: 5, likelihood: 4}
      current: {consequence: 5, likelihood: 4}
      target: {consequence: 5, likelihood: 4}
    appetite: {level: open}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level
from bafctl.scoring import AppetiteFlag, appetite_status, format_cxl

ID = "target-outside-appetite"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each risk whose target score is above tolerance."""
    for reg, lr in ctx.risks():
        status = appetite_status(lr.risk, reg.settings, ctx.today)
        if AppetiteFlag.TARGET_OUTSIDE in status.flags:
            yield finding_at(
                lr,
                ("assessments", "target"),
                ID,
                f"target score {format_cxl(lr.risk.assessments.target)} is above tolerance "
                f"{status.tolerance} ({lr.risk.appetite.level})",
                "lower the target, or record the board's reason with an `appetite.tolerance` override",
                key=True,
            )
