"""action-without-owner-or-date: open actions need an owner and a due date (V15)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "action-without-owner-or-date"
ACTIONS = """\
causes:
  - description: Vacancies
    controls: [Safe staffing policy]
    assurances:
      - {line: 3, source: Internal audit, opinion: reasonable}
    actions:
      - {id: A1, action: Recruit, owner: CN}
      - {id: A2, action: Retain, due: 2026-06-30}
      - {id: A3, action: Rota review}
      - {id: A4, action: Old work, status: closed}
"""


def test_owned_dated_or_finished_actions_pass() -> None:
    assert check(ID) == []


def test_each_open_action_missing_something_is_reported_at_the_action() -> None:
    found = findings(ID, ACTIONS)
    assert [(f.line, f.col) for f in found] == [
        (line_of(ACTIONS, "id: A1"), 9),
        (line_of(ACTIONS, "id: A2"), 9),
        (line_of(ACTIONS, "id: A3"), 9),
    ]
    assert [f.message for f in found] == [
        "action A1 'Recruit' has no due date",
        "action A2 'Retain' has no owner",
        "action A3 'Rota review' has no owner and no due date",
    ]


def test_disabled_by_config() -> None:
    assert check(ID, ACTIONS, levels={ID: None}) == []
