"""current-above-initial: controls should not leave the risk worse than it began (V07)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "current-above-initial"
GROWN = """\
assessments:
  initial: {consequence: 3, likelihood: 3}
  current: {consequence: 4, likelihood: 3}
  target: {consequence: 4, likelihood: 2}
"""


def test_current_at_or_below_initial_passes() -> None:
    assert check(ID) == []


def test_current_above_initial_is_reported_at_the_current_assessment() -> None:
    (finding,) = findings(ID, GROWN)
    assert (finding.line, finding.col) == (line_of(GROWN, "current:"), 3)
    assert finding.message == "current score 4x3=12 is above the initial score 3x3=9"


def test_disabled_by_config() -> None:
    assert check(ID, GROWN, levels={ID: None}) == []
