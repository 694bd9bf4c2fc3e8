"""An open action whose due date has passed (V16).

An action still `open` or `in_progress` after its due date is overdue: the board and
its committees want these first ("Alert" in a 3A report, docs/domain.md 4.3). Mark
finished actions `complete` (with `completed:`), or agree a new date and record it.
Dates are judged as of `--as-of`, `as_of` in `bafctl.toml`, or today.

PASS:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}
          - {id: A2, action: Refresh the plan, owner: CN, due: 2026-01-31, status: complete, completed: 2026-01-20}

FAIL:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}
          - {id: A2, action: Refresh the workforce plan, owner: CN, due: 2026-01-31, status: in_progress}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, actions, excerpt, finding_at
from bafctl.findings import Finding, Level

ID = "overdue-action"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding, at its due date, for each open action due before the as-of date."""
    for _reg, lr in ctx.active_risks():
        for loc, action in actions(lr.risk):
            if action.is_overdue(ctx.today):
                assert action.due is not None
                days = (ctx.today - action.due).days
                state = action.status.value.replace("_", " ")
                yield finding_at(
                    lr,
                    (*loc, "due"),
                    ID,
                    f"action {action.id} {excerpt(action.action)!r} was due {action.due.isoformat()} "
                    f"and is still {state} ({days} day{'s' if days != 1 else ''} overdue)",
                    "mark it complete with `completed:`, or record the new date the committee agreed",
                )
