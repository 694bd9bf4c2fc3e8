"""negative-assurance: limited opinions and open gaps contradict an `assured` rating (V18, V19)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "negative-assurance"


def _thread(assurances: list[str], gaps: str = "") -> str:
    return (
        "causes:\n  - description: Vacancies\n    controls: [Safe staffing policy]\n    assurances:\n"
        + "".join(f"      - {a}\n" for a in assurances)
        + gaps
        + "    actions:\n      - {id: A1, action: Recruit, owner: CN, due: 2026-06-30}\n"
    )


ASSURED = "{line: 2, source: Committee report, rating: assured}"
LIMITED = "{line: 3, source: Internal audit of rostering, opinion: limited, date: 2025-11-30}"
GAP = "    control_gaps:\n      - {text: Rostering not on every ward, actions: [A1]}\n"


def test_positive_assurance_rated_assured_passes() -> None:
    assert check(ID, _thread([ASSURED, "{line: 3, source: Audit, opinion: substantial}"])) == []


def test_assured_beside_a_negative_third_line_opinion_is_reported_at_the_rating() -> None:
    fragment = _thread([ASSURED, LIMITED], GAP)
    (finding,) = findings(ID, fragment)
    assert finding.line == line_of(fragment, "rating: assured")
    assert finding.col == fragment.splitlines()[4].index("assured}") + 1
    assert finding.message == (
        "rated assured, but cause 1 has negative third-line assurance: 'Internal audit of rostering' (limited)"
    )


def test_assured_beside_open_gaps_is_reported() -> None:
    (finding,) = findings(ID, _thread([ASSURED, "{line: 3, source: Audit, opinion: reasonable}"], GAP))
    assert finding.message == "rated assured, but cause 1 records 1 open gap in control or assurance"


def test_a_latest_negative_opinion_with_no_gap_and_no_breach_is_reported_at_the_opinion() -> None:
    fragment = _thread(["{line: 3, source: Audit 2024, opinion: substantial, date: 2024-11-30}", LIMITED])
    (finding,) = findings(ID, fragment)
    assert finding.line == line_of(fragment, "opinion: limited")
    assert "latest third-line assurance 'Internal audit of rostering' (limited) is negative" in finding.message


def test_a_later_positive_opinion_supersedes_a_limited_one() -> None:
    later = "{line: 3, source: Follow-up audit, opinion: significant, date: 2026-02-01}"
    assert check(ID, _thread([LIMITED, later])) == []


def test_a_recorded_gap_or_a_breach_answers_a_negative_opinion() -> None:
    assert check(ID, _thread([LIMITED], GAP)) == []
    breach = "assessments:\n  initial: {consequence: 5, likelihood: 4}\n  current: {consequence: 5, likelihood: 4}\n"
    breach += "  target: {consequence: 4, likelihood: 2}\n"
    assert check(ID, breach + _thread([LIMITED])) == []


def test_a_stated_negative_polarity_counts_as_negative() -> None:
    assert len(check(ID, _thread(["{line: 3, source: CQC inspection, polarity: negative}"]))) == 1


def test_disabled_by_config() -> None:
    assert check(ID, _thread([ASSURED, LIMITED]), levels={ID: None}) == []
