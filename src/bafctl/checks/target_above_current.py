"""Target score above the current score: the plan would make the risk worse (V06).

The target is where the mitigation plan brings the risk; it may equal the current
score (nothing more can be done) but cannot be above it. A target above current is
almost always a transcription slip, such as consequence and likelihood swapped.

PASS:
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 3}
      target: {consequence: 4, likelihood: 3}

FAIL:
    assessments:
      initial: {consequence: 4, likelihood: 4}
      current: {consequence: 4, likelihood: 2}
      target: {consequence: 4, likelihood: 3}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level
from bafctl.scoring import format_cxl

ID = "target-above-current"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk whose target score is above its current score."""
    for _reg, lr in ctx.active_risks():
        scores = lr.risk.assessments
        if scores.target.computed_score > scores.current.computed_score:
            yield finding_at(
                lr,
                ("assessments", "target"),
                ID,
                f"target score {format_cxl(scores.target)} is above the current score {format_cxl(scores.current)}",
                "a target is where mitigation brings the risk: check consequence and likelihood are not swapped",
                key=True,
            )
