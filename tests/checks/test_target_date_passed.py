"""target-date-passed: past the target date and still above target (V10)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "target-date-passed"


def _target(date: str | None, current: str = "{consequence: 4, likelihood: 3}") -> str:
    dated = f", date: {date}" if date else ""
    return (
        "assessments:\n  initial: {consequence: 4, likelihood: 4}\n"
        f"  current: {current}\n  target: {{consequence: 4, likelihood: 2{dated}}}\n"
    )


def test_a_future_target_date_passes() -> None:
    assert check(ID, _target("2026-03-31")) == []


def test_a_past_date_reached_passes() -> None:
    assert check(ID, _target("2026-01-31", current="{consequence: 4, likelihood: 2}")) == []


def test_a_past_date_not_reached_is_reported_at_the_date() -> None:
    fragment = _target("2026-01-31")
    (finding,) = findings(ID, fragment)
    assert finding.line == line_of(fragment, "target:")
    assert finding.col == fragment.splitlines()[3].index("2026-01-31") + 1
    assert "target date 2026-01-31 has passed" in finding.message


def test_a_missing_date_is_reported_only_when_required() -> None:
    assert check(ID, _target(None)) == []
    fragment = _target(None)
    assert check(ID, fragment, options={"required": True}) == [(line_of(fragment, "target:"), 3)]


def test_disabled_by_config() -> None:
    assert check(ID, _target("2026-01-31"), levels={ID: None}) == []
