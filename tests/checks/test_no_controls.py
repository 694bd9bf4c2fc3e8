"""no-controls: every risk needs at least one control (V11)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "no-controls"
NONE = """\
causes:
  - description: Vacancies in registered nursing posts
    assurances:
      - {line: 3, source: Internal audit, opinion: reasonable}
effects:
  - description: Harm to patients
    controls: []
"""


def test_a_control_in_any_thread_passes() -> None:
    assert check(ID) == []
    assert check(ID, NONE.replace("controls: []", "controls: [Incident reporting]")) == []


def test_no_controls_is_an_error_at_the_causes_key() -> None:
    (finding,) = findings(ID, NONE)
    assert (finding.line, finding.col) == (line_of(NONE, "causes:"), 1)
    assert finding.level.value == "error"


def test_a_risk_with_no_threads_is_reported_at_the_causes_key() -> None:
    assert check(ID, "causes: []\n") == [(line_of("causes: []\n", "causes:"), 1)]


def test_draft_risks_are_judged_but_closed_ones_are_not() -> None:
    assert len(check(ID, NONE + "status: draft\n")) == 1
    assert check(ID, NONE + "status: closed\n") == []


def test_disabled_by_config() -> None:
    assert check(ID, NONE, levels={ID: None}) == []
