"""A gap in control or assurance with no action to close it (V12, V13).

Every gap in control and every gap in assurance needs an action ("Mitigation for Gaps
in Controls (Actions)", docs/domain.md 3.2). A gap written as a mapping names its actions
(`actions: [A1]`); it is reported when it names none. A gap written as plain text is
closed by the actions of its cause or effect; it is reported when that cause or effect
has no open action.

PASS:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        control_gaps:
          - High vacancies in mental health wards
          - {text: No e-rostering in community teams, actions: [A1]}
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
        actions:
          - {id: A1, action: Roll out e-rostering to community teams, owner: CN, due: 2026-06-30}

FAIL:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        control_gaps:
          - High vacancies in mental health wards
        assurances:
          - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
      - description: Reliance on agency staff
        controls:
          - Agency cap
        assurance_gaps:
          - {text: No audit of agency spend, actions: []}
        actions:
          - {id: A1, action: Reduce agency use, owner: CN, due: 2026-06-30}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, excerpt, finding_at, threads
from bafctl.findings import Finding, Level
from bafctl.models import Gap

ID = "gap-without-action"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}

_KINDS = (("control_gaps", "gap in control"), ("assurance_gaps", "gap in assurance"))


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each gap with no action to close it."""
    for _reg, lr in ctx.active_risks():
        for loc, name, thread in threads(lr.risk):
            has_open_action = any(action.status.is_open for action in thread.actions)
            for kind, noun in _KINDS:
                for index, gap in enumerate(getattr(thread, kind)):
                    if isinstance(gap, Gap):
                        if not gap.actions:
                            yield finding_at(
                                lr,
                                (*loc, kind, index, "actions"),
                                ID,
                                f"{noun} {excerpt(gap.text)!r} ({name}) is linked to no action",
                                "list the IDs of the actions that close it under its `actions`",
                            )
                    elif not has_open_action:
                        yield finding_at(
                            lr,
                            (*loc, kind, index),
                            ID,
                            f"{noun} {excerpt(gap)!r} has no action: {name} has no open action",
                            "add the action that closes the gap, with its owner and due date",
                        )
