"""Current score above the board's tolerance for the risk (docs/domain.md 2.4, V09).

A risk whose current score (consequence x likelihood) is above the upper limit of
tolerance of its appetite level is out of appetite: the board must see it, with the
plan that brings it back (see `breach-without-plan`). `bafctl breaches` lists the same
risks with their details. Closed and merged risks are not judged.

PASS:
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 4}
      target: {consequence: 4, likelihood: 2}
    appetite: {level: open}

FAIL:
    assessments:
      initial: {consequence: 5, likelihood: 4}
      current: {consequence: 5, likelihood: 4}
      target: {consequence: 4, likelihood: 2}
    appetite: {level: open}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level
from bafctl.scoring import appetite_status, format_cxl

ID = "appetite-breach"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each risk whose current score is above tolerance."""
    for reg, lr in ctx.risks():
        status = appetite_status(lr.risk, reg.settings, ctx.today)
        if status.in_breach:
            yield finding_at(
                lr,
                ("assessments", "current"),
                ID,
                f"current score {format_cxl(lr.risk.assessments.current)} is above tolerance "
                f"{status.tolerance} ({lr.risk.appetite.level}) by {status.over_by}",
                "the board must see it: `bafctl breaches` lists it with its plan",
                key=True,
            )
