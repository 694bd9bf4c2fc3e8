"""Current score above the initial (inherent) score (V07).

The initial score is the risk before controls; controls should bring it down. A
current score above it can be real (the risk grew after it was opened: the Christie
tracks quarterly positions that rise), so this is a warning, not an error: the board
will ask why, so say so in `notes`.

PASS:
    assessments:
      initial: {consequence: 4, likelihood: 3}
      current: {consequence: 4, likelihood: 3}
      target: {consequence: 4, likelihood: 2}

FAIL:
    assessments:
      initial: {consequence: 3, likelihood: 3}
      current: {consequence: 4, likelihood: 3}
      target: {consequence: 4, likelihood: 2}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level
from bafctl.scoring import format_cxl

ID = "current-above-initial"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk scoring above its initial score."""
    for _reg, lr in ctx.active_risks():
        scores = lr.risk.assessments
        if scores.current.computed_score > scores.initial.computed_score:
            yield finding_at(
                lr,
                ("assessments", "current"),
                ID,
                f"current score {format_cxl(scores.current)} is above the initial score {format_cxl(scores.initial)}",
                "if the risk has grown since it was opened, say why in `notes`; otherwise check the scores",
                key=True,
            )
