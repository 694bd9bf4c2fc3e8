"""Properties of the score rules over every consequence x likelihood the matrix allows."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from rulekit import risk_text

from bafctl.checks import run_checks
from bafctl.checks._base import EXAMPLE_AS_OF, EXAMPLE_REGISTER, EXAMPLE_REGISTER_PATH, EXAMPLE_RISK_PATH
from bafctl.loader import load_workspace
from conftest import SCALE

rating = st.integers(min_value=1, max_value=5)
cxl = st.tuples(rating, rating)
day = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))


@settings(max_examples=60 * SCALE, deadline=None)
@given(initial=cxl, current=cxl, target=cxl, updated=day, due=day)
def test_score_and_date_rules_match_their_definitions(
    initial: tuple[int, int], current: tuple[int, int], target: tuple[int, int], updated: dt.date, due: dt.date
) -> None:
    def assessment(pair: tuple[int, int]) -> str:
        return f"{{consequence: {pair[0]}, likelihood: {pair[1]}}}"

    fragment = (
        f"last_updated: {min(updated, EXAMPLE_AS_OF).isoformat()}\n"
        f"assessments:\n  initial: {assessment(initial)}\n  current: {assessment(current)}\n"
        f"  target: {assessment(target)}\n"
        "causes:\n  - description: Vacancies\n    controls: [Policy]\n"
        "    assurances:\n      - {line: 3, source: Internal audit, opinion: reasonable}\n"
        f"    actions:\n      - {{id: A1, action: Recruit, owner: CN, due: {due.isoformat()}}}\n"
    )
    text = risk_text(fragment)
    workspace = load_workspace({EXAMPLE_REGISTER_PATH: EXAMPLE_REGISTER.encode(), EXAMPLE_RISK_PATH: text.encode()})
    assert workspace.findings == []
    found = run_checks(workspace, today=EXAMPLE_AS_OF)
    rules = {f.rule for f in found}
    score = {name: pair[0] * pair[1] for name, pair in (("i", initial), ("c", current), ("t", target))}
    assert ("target-above-current" in rules) == (score["t"] > score["c"])
    assert ("current-above-initial" in rules) == (score["c"] > score["i"])
    assert ("appetite-breach" in rules) == (score["c"] > 12)  # cautious: tolerance 12
    assert ("target-outside-appetite" in rules) == (score["t"] > 12)
    assert ("overdue-action" in rules) == (due < EXAMPLE_AS_OF)
    assert ("breach-without-plan" in rules) == (score["c"] > 12 and due < EXAMPLE_AS_OF)
    lines = len(text.splitlines())
    assert all(1 <= f.line <= lines and f.col >= 1 for f in found)
    assert found == sorted(found)
