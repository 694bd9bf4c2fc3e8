"""target-outside-appetite: the target itself above tolerance (V08)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "target-outside-appetite"
HIGH_TARGET = """\
assessments:
  initial: {consequence: 5, likelihood: 4}
  current: {consequence: 5, likelihood: 4}
  target: {consequence: 4, likelihood: 4}
"""


def test_a_target_within_tolerance_passes() -> None:
    assert check(ID) == []


def test_a_target_above_tolerance_is_reported_at_the_target() -> None:
    (finding,) = findings(ID, HIGH_TARGET)
    assert (finding.line, finding.col) == (line_of(HIGH_TARGET, "target:"), 3)
    assert finding.message == "target score 4x4=16 is above tolerance 12 (cautious)"


def test_an_open_appetite_tolerates_it() -> None:
    assert check(ID, HIGH_TARGET + "appetite: {level: open}\n") == []


def test_disabled_by_config() -> None:
    assert check(ID, HIGH_TARGET, levels={ID: None}) == []
