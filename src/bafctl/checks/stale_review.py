"""A risk not reviewed for longer than its review period (V17).

BAF risks are reviewed at least quarterly (the Christie's quarterly positions), and
monthly when they are serious (EEAST's monthly executive BAF reviews): by default a
risk is stale when `last_updated` is more than 3 months before the as-of date, or more
than 1 month when its current score is 15 or more or it is in breach of tolerance.

Options:
    months: the review period in months for other risks (default 3).
    high_risk_months: the review period in months for serious risks (default 1).
    high_risk_score: a current score at or above this is serious (default 15).

PASS:
    last_updated: 2025-12-15

FAIL:
    last_updated: 2025-11-15

PASS with {months: 6}:
    last_updated: 2025-11-15

FAIL:
    last_updated: 2026-01-15
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 4}
      target: {consequence: 4, likelihood: 2}
    appetite: {level: open}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at, months_before
from bafctl.findings import Finding, Level
from bafctl.scoring import appetite_status

ID = "stale-review"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {"months": 3, "high_risk_months": 1, "high_risk_score": 15}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk last updated before its review period began."""
    for reg, lr in ctx.active_risks():
        risk = lr.risk
        current = risk.assessments.current.computed_score
        in_breach = appetite_status(risk, reg.settings, ctx.today).in_breach
        serious = current >= ctx.option("high_risk_score") or in_breach
        months = int(ctx.option("high_risk_months") if serious else ctx.option("months"))
        cutoff = months_before(ctx.today, months)
        if risk.last_updated < cutoff:
            why = f" (score {current}{', in breach' if in_breach else ''})" if serious else ""
            yield finding_at(
                lr,
                ("last_updated",),
                ID,
                f"last updated {risk.last_updated.isoformat()}, more than {months} month"
                f"{'s' if months != 1 else ''} before {ctx.today.isoformat()}{why}",
                "review the risk with its executive lead and set `last_updated` to the review date",
            )
