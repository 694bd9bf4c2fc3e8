"""stale-review: risks reviewed within 3 months, or 1 month when serious (V17)."""

from __future__ import annotations

import datetime as dt

import pytest
from rulekit import check, findings, line_of

from bafctl.checks._base import months_before

ID = "stale-review"
SERIOUS = """\
assessments:
  initial: {consequence: 4, likelihood: 4}
  current: {consequence: 5, likelihood: 3}
  target: {consequence: 4, likelihood: 2}
appetite: {level: open}
"""


@pytest.mark.parametrize(("updated", "stale"), [("2025-12-01", False), ("2025-11-30", True), ("2026-03-01", False)])
def test_three_months_by_default(updated: str, stale: bool) -> None:
    fragment = f"last_updated: {updated}\n"
    assert check(ID, fragment) == ([(line_of(fragment, "last_updated"), 15)] if stale else [])


def test_the_message_names_the_period_and_the_as_of_date() -> None:
    (finding,) = findings(ID, "last_updated: 2025-10-01\n")
    assert finding.message == "last updated 2025-10-01, more than 3 months before 2026-03-01"


def test_one_month_when_current_is_15_or_more() -> None:
    assert check(ID, SERIOUS + "last_updated: 2026-02-01\n") == []
    (finding,) = findings(ID, SERIOUS + "last_updated: 2026-01-31\n")
    assert finding.message == "last updated 2026-01-31, more than 1 month before 2026-03-01 (score 15)"


def test_one_month_when_in_breach() -> None:
    breach = SERIOUS.replace("level: open", "level: cautious")
    (finding,) = findings(ID, breach + "last_updated: 2026-01-31\n")
    assert finding.message.endswith("(score 15, in breach)")


def test_periods_and_threshold_are_options() -> None:
    fragment = "last_updated: 2025-10-01\n"
    assert check(ID, fragment, options={"months": 6}) == []
    assert len(check(ID, SERIOUS + "last_updated: 2026-01-15\n", options={"high_risk_months": 2})) == 0
    assert len(check(ID, SERIOUS + "last_updated: 2026-01-15\n", options={"high_risk_score": 16})) == 0
    assert len(check(ID, SERIOUS + "last_updated: 2026-01-15\n")) == 1


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2024, 5, 31), 3) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2026, 1, 15), 1) == dt.date(2025, 12, 15)
    assert months_before(dt.date(2026, 3, 1), 15) == dt.date(2024, 12, 1)


def test_disabled_by_config() -> None:
    assert check(ID, "last_updated: 2025-01-01\n", levels={ID: None}) == []
