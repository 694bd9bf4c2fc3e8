"""breach-without-plan: a risk in breach needs an open, owned, in-date action (V09)."""

from __future__ import annotations

import datetime as dt

from rulekit import check, findings, line_of

ID = "breach-without-plan"
BREACH = """\
assessments:
  initial: {consequence: 5, likelihood: 4}
  current: {consequence: 5, likelihood: 4}
  target: {consequence: 4, likelihood: 2}
"""


def _actions(*lines: str, breach: str = BREACH) -> str:
    return (
        breach
        + "causes:\n  - description: Vacancies\n    controls: [Safe staffing policy]\n"
        + "    assurances:\n      - {line: 3, source: Internal audit, opinion: reasonable}\n"
        + "    actions:\n"
        + "".join(f"      - {line}\n" for line in lines)
    )


def test_a_breach_with_a_live_action_passes() -> None:
    assert check(ID, BREACH) == []


def test_a_risk_within_tolerance_needs_no_plan() -> None:
    assert check(ID, _actions("{id: A1, action: Recruit, due: 2026-01-31}", breach="")) == []


def test_a_breach_whose_only_action_is_overdue_is_reported() -> None:
    fragment = _actions("{id: A1, action: Recruit, owner: CN, due: 2026-01-31}")
    (finding,) = findings(ID, fragment)
    assert finding.line == line_of(fragment, "current:")
    assert "in breach (current 5x4=20 above tolerance 12)" in finding.message
    assert "from 2026-03-01 on" in finding.message


def test_unowned_undated_and_complete_actions_do_not_count() -> None:
    fragment = _actions(
        "{id: A1, action: Recruit, due: 2026-06-30}",
        "{id: A2, action: Retain, owner: CN}",
        "{id: A3, action: Rota, owner: CN, due: 2026-06-30, status: complete, completed: 2026-02-01}",
    )
    assert len(check(ID, fragment)) == 1


def test_an_action_due_on_the_as_of_date_counts() -> None:
    fragment = _actions("{id: A1, action: Recruit, owner: CN, due: 2026-03-01, status: in_progress}")
    assert check(ID, fragment) == []
    assert len(check(ID, fragment, today=dt.date(2026, 3, 2))) == 1


def test_disabled_by_config() -> None:
    assert check(ID, _actions("{id: A1, action: Recruit}"), levels={ID: None}) == []
