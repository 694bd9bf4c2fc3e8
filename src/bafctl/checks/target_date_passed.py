"""The target date has passed and the risk is still above its target (V10).

A target score comes with the date it should be reached by (the Christie's "Target
date for completion"). Once that date has passed with the current score still above
the target, either the plan slipped or the target needs resetting; the board should
agree which. Closed and merged risks are not judged.

Options:
    required: also report an active risk with no target date (default false).

PASS:
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 3}
      target: {consequence: 4, likelihood: 2, date: 2026-03-31}

FAIL:
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 3}
      target: {consequence: 4, likelihood: 2, date: 2026-01-31}

FAIL with {required: true}:
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 3}
      target: {consequence: 4, likelihood: 2}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level
from bafctl.scoring import AppetiteFlag, appetite_status, format_cxl

ID = "target-date-passed"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {"required": False}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk past its target date and still above target."""
    for reg, lr in ctx.active_risks():
        target = lr.risk.assessments.target
        if target.date is None:
            if ctx.option("required"):
                yield finding_at(
                    lr,
                    ("assessments", "target"),
                    ID,
                    "the target has no date",
                    "add `date:` to the target: when the plan should bring the risk there",
                    key=True,
                )
            continue
        if AppetiteFlag.OFF_TRACK in appetite_status(lr.risk, reg.settings, ctx.today).flags:
            yield finding_at(
                lr,
                ("assessments", "target", "date"),
                ID,
                f"target date {target.date.isoformat()} has passed with the current score "
                f"{format_cxl(lr.risk.assessments.current)} still above the target {format_cxl(target)}",
                "agree a new target date, or reset the target, and record why in `notes`",
            )
