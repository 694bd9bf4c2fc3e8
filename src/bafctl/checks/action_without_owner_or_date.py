"""An open action with no owner or no due date (V15).

An action nobody owns, or that has no date, is not a plan: docs/domain.md 3.2 lists
"Actions (to close gaps) with owner and due date" as a required element. Real BAFs
often name the owner in the text ("Medical Directors March 26"); record it as a role
ID in `owner` and the date in `due` so bafctl can follow it up. Finished actions are
not judged.

PASS:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}
          - {id: A2, action: Refresh the workforce plan, status: complete, completed: 2026-01-20}

FAIL:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN}
          - {id: A2, action: Refresh the workforce plan, due: 2026-06-30}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, actions, excerpt, finding_at
from bafctl.findings import Finding, Level

ID = "action-without-owner-or-date"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


_HOW_TO_ADD = {"owner": "`owner:` (a role ID from register.yaml)", "due date": "`due:` (YYYY-MM-DD)"}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each open action missing an owner, a due date, or both."""
    for _reg, lr in ctx.active_risks():
        for loc, action in actions(lr.risk):
            if not action.status.is_open:
                continue
            missing = [name for name, value in (("owner", action.owner), ("due date", action.due)) if value is None]
            if missing:
                yield finding_at(
                    lr,
                    loc,
                    ID,
                    f"action {action.id} {excerpt(action.action)!r} has no {' and no '.join(missing)}",
                    # Ask only for what is missing: the other may already be there.
                    "add " + " and ".join(_HOW_TO_ADD[name] for name in missing),
                )
