"""target-above-current: the target cannot be worse than now (V06)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "target-above-current"
SWAPPED = """\
assessments:
  initial: {consequence: 4, likelihood: 4}
  current: {consequence: 4, likelihood: 2}
  target: {consequence: 4, likelihood: 3}
"""


def test_target_below_or_equal_to_current_passes() -> None:
    assert check(ID) == []
    assert check(ID, SWAPPED.replace("likelihood: 3}", "likelihood: 2}")) == []


def test_target_above_current_is_reported_at_the_target() -> None:
    (finding,) = findings(ID, SWAPPED)
    assert (finding.line, finding.col) == (line_of(SWAPPED, "target:"), 3)
    assert finding.message == "target score 4x3=12 is above the current score 4x2=8"


def test_closed_risks_are_not_judged() -> None:
    assert check(ID, SWAPPED + "status: closed\n") == []


def test_disabled_by_config() -> None:
    assert check(ID, SWAPPED, levels={ID: None}) == []
