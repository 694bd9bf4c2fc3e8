"""A risk with no controls (V11).

Key controls are a required element of every BAF entry since the 2003 DH guidance
(docs/domain.md 3.2): a strategic risk with nothing in place to manage it is either
unfinished or mis-recorded. This is the one quality rule that is an error by default.

PASS:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}

FAIL:
    causes:
      - description: Vacancies in registered nursing posts
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at, threads_loc
from bafctl.findings import Finding, Level

ID = "no-controls"
DEFAULT_LEVEL = Level.ERROR
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk with no control in any cause or effect."""
    for _reg, lr in ctx.active_risks():
        if any(t.controls for t in lr.risk.threads):
            continue
        yield finding_at(
            lr,
            threads_loc(lr),
            ID,
            "no controls in any cause or effect",
            "list the key controls in place under each cause's `controls`",
            key=True,
        )
