"""no-assurance: a risk needs at least one source of assurance (V13)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "no-assurance"
NONE = """\
causes:
  - description: Vacancies in registered nursing posts
    controls: [Safe staffing policy]
    assurance_gaps:
      - {text: Nothing reported yet, actions: [A1]}
    actions:
      - {id: A1, action: Add staffing to the committee plan, owner: CN, due: 2026-06-30}
"""


def test_any_assurance_passes() -> None:
    assert check(ID) == []


def test_no_assurance_is_reported_at_the_causes_key() -> None:
    (finding,) = findings(ID, NONE)
    assert (finding.line, finding.col) == (line_of(NONE, "causes:"), 1)
    assert finding.message == "no source of assurance in any cause or effect"


def test_disabled_by_config() -> None:
    assert check(ID, NONE, levels={ID: None}) == []
