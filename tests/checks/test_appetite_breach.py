"""appetite-breach: current score above tolerance (V09)."""

from __future__ import annotations

from rulekit import check, findings, line_of

from bafctl.findings import Level

ID = "appetite-breach"
BREACH = """\
assessments:
  initial: {consequence: 5, likelihood: 4}
  current: {consequence: 5, likelihood: 4}
  target: {consequence: 4, likelihood: 2}
"""


def test_within_tolerance_passes() -> None:
    assert check(ID) == []


def test_at_tolerance_passes() -> None:
    assert check(ID, BREACH.replace("5, likelihood: 4}\n  target", "4, likelihood: 3}\n  target")) == []


def test_above_tolerance_is_reported_at_the_current_assessment() -> None:
    (finding,) = findings(ID, BREACH)
    assert (finding.line, finding.col) == (line_of(BREACH, "current:"), 3)
    assert finding.message == "current score 5x4=20 is above tolerance 12 (cautious) by 8"
    assert finding.level is Level.WARNING


def test_a_tolerance_override_is_used() -> None:
    override = BREACH + "appetite: {level: cautious, tolerance: 20, reason: Board accepted pending the new unit}\n"
    assert check(ID, override) == []


def test_closed_risks_are_not_judged() -> None:
    assert check(ID, BREACH + "status: closed\n") == []


def test_disabled_by_config() -> None:
    assert check(ID, BREACH, levels={ID: None}) == []


def test_level_from_config() -> None:
    assert [f.level for f in findings(ID, BREACH, levels={ID: Level.ERROR})] == [Level.ERROR]
