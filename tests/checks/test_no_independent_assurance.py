"""no-independent-assurance: line 3 assurance, or a recorded gap in assurance (V14)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "no-independent-assurance"
LINES_1_2 = """\
causes:
  - description: Vacancies in registered nursing posts
    controls: [Safe staffing policy]
    assurances:
      - {line: 2, source: Quality Committee report}
      - {line: 1, source: Daily dashboard}
effects:
  - description: Harm to patients
    controls: [Incident reporting]
"""


def test_line_3_assurance_in_any_thread_passes() -> None:
    assert check(ID) == []
    assert check(ID, LINES_1_2 + "    assurances:\n      - {line: 3, source: CQC inspection, external: true}\n") == []


def test_a_recorded_assurance_gap_passes() -> None:
    assert check(ID, LINES_1_2 + "    assurance_gaps:\n      - No independent review yet\n") == []


def test_missing_independent_assurance_is_reported_at_the_causes_key() -> None:
    (finding,) = findings(ID, LINES_1_2)
    assert (finding.line, finding.col) == (line_of(LINES_1_2, "causes:"), 1)
    assert finding.message == (
        "no independent (line 3) assurance and no gap in assurance recorded (assurance from: lines 1, 2)"
    )


def test_no_assurance_at_all_is_named() -> None:
    (finding,) = findings(ID, "causes:\n  - description: Vacancies\n    controls: [Policy]\n")
    assert finding.message.endswith("(assurance from: none)")


def test_disabled_by_config() -> None:
    assert check(ID, LINES_1_2, levels={ID: None}) == []
