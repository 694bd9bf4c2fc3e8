"""A risk in breach of tolerance has no live plan to bring it back (V09).

A risk whose current score is above its tolerance must be escalated with an active
treatment plan (Southern Health: "risks outside tolerance are ... escalated";
docs/domain.md 2.4): at least one open action with an owner and a due date on or after the
as-of date. Actions that are complete, unowned, undated or already overdue do not
count. docs/domain.md rates a breach with no plan an error; the default here is a warning
so a board paper can still be produced, and a trust can raise it in `bafctl.toml`.

PASS:
    assessments:
      initial: {consequence: 5, likelihood: 4}
      current: {consequence: 5, likelihood: 4}
      target: {consequence: 4, likelihood: 2}
    appetite: {level: open}

FAIL:
    assessments:
      initial: {consequence: 5, likelihood: 4}
      current: {consequence: 5, likelihood: 4}
      target: {consequence: 4, likelihood: 2}
    appetite: {level: open}
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy and daily staffing huddle
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-01-31}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, actions, finding_at
from bafctl.findings import Finding, Level
from bafctl.scoring import appetite_status, format_cxl

ID = "breach-without-plan"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each risk in breach with no open, owned, in-date action."""
    for reg, lr in ctx.risks():
        status = appetite_status(lr.risk, reg.settings, ctx.today)
        if not status.in_breach:
            continue
        live = [action for _loc, action in actions(lr.risk) if action.counts_as_plan(ctx.today)]
        if not live:
            yield finding_at(
                lr,
                ("assessments", "current"),
                ID,
                f"in breach (current {format_cxl(lr.risk.assessments.current)} above tolerance {status.tolerance}) "
                f"with no open action that has an owner and a due date from {ctx.today.isoformat()} on",
                "add the action that brings the risk back within tolerance, with its owner and due date",
                key=True,
            )
