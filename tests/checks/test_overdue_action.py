"""overdue-action: open actions past their due date (V16)."""

from __future__ import annotations

import datetime as dt

from rulekit import check, findings, line_of, risk_text

ID = "overdue-action"


def _actions(*lines: str) -> str:
    return (
        "causes:\n  - description: Vacancies\n    controls: [Safe staffing policy]\n"
        "    assurances:\n      - {line: 3, source: Internal audit, opinion: reasonable}\n    actions:\n"
        + "".join(f"      - {line}\n" for line in lines)
    )


OVERDUE = _actions(
    "id: A1\n        action: Success measures and measuring impact to be determined\n"
    "        owner: MD\n        due: 2025-12-31",
    "{id: A2, action: Refresh the plan, owner: CN, due: 2026-02-28, status: in_progress}",
    "{id: A3, action: Done late, owner: CN, due: 2026-01-31, status: complete, completed: 2026-02-20}",
    "{id: A4, action: Due today, owner: CN, due: 2026-03-01}",
)


def test_future_and_finished_actions_pass() -> None:
    assert check(ID) == []


def test_each_open_action_past_due_is_reported_at_its_due_date() -> None:
    found = findings(ID, OVERDUE)
    a2_line = line_of(OVERDUE, "id: A2")
    a2_col = risk_text(OVERDUE).splitlines()[a2_line - 1].index("2026-02-28") + 1
    assert [(f.line, f.col) for f in found] == [(line_of(OVERDUE, "due: 2025-12-31"), 14), (a2_line, a2_col)]
    assert [f.message for f in found] == [
        "action A1 'Success measures and measuring impact to be determined' was due 2025-12-31 "
        "and is still open (60 days overdue)",
        "action A2 'Refresh the plan' was due 2026-02-28 and is still in progress (1 day overdue)",
    ]


def test_the_as_of_date_decides() -> None:
    assert check(ID, OVERDUE, today=dt.date(2025, 12, 31)) == []


def test_closed_risks_are_not_judged() -> None:
    assert check(ID, OVERDUE + "status: closed\n") == []


def test_disabled_by_config() -> None:
    assert check(ID, OVERDUE, levels={ID: None}) == []
