"""gap-without-action: every gap in control or assurance needs an action (V12, V13)."""

from __future__ import annotations

from rulekit import check, findings, line_of

ID = "gap-without-action"


def _thread(gaps: str, actions: str = "") -> str:
    return (
        "causes:\n  - description: Vacancies\n    controls: [Safe staffing policy]\n"
        "    assurances:\n      - {line: 3, source: Internal audit, opinion: reasonable}\n" + gaps + actions
    )


OPEN_ACTION = "    actions:\n      - {id: A1, action: Recruit, owner: CN, due: 2026-06-30}\n"
DONE_ACTION = (
    "    actions:\n"
    "      - {id: A1, action: Recruit, owner: CN, due: 2026-01-30, status: complete, completed: 2026-01-29}\n"
)
TEXT_GAPS = "    control_gaps:\n      - High vacancies\n    assurance_gaps:\n      - No audit of rostering\n"


def test_text_gaps_in_a_thread_with_an_open_action_pass() -> None:
    assert check(ID, _thread(TEXT_GAPS, OPEN_ACTION)) == []


def test_each_text_gap_in_a_thread_without_an_open_action_is_reported_at_the_gap() -> None:
    fragment = _thread(TEXT_GAPS, DONE_ACTION)
    found = findings(ID, fragment)
    assert [(f.line, f.col) for f in found] == [
        (line_of(fragment, "High vacancies"), 9),
        (line_of(fragment, "No audit of rostering"), 9),
    ]
    assert found[0].message == "gap in control 'High vacancies' has no action: cause 1 has no open action"
    assert found[1].message.startswith("gap in assurance 'No audit of rostering'")


def test_a_gap_mapping_needs_its_own_action_even_beside_open_actions() -> None:
    gaps = "    control_gaps:\n      - {text: No e-rostering, actions: []}\n      - {text: Agency use, actions: [A1]}\n"
    fragment = _thread(gaps, OPEN_ACTION)
    (finding,) = findings(ID, fragment)
    assert finding.line == line_of(fragment, "No e-rostering")
    assert finding.message == "gap in control 'No e-rostering' (cause 1) is linked to no action"


def test_long_gap_text_is_shortened_in_the_message() -> None:
    gaps = "    control_gaps:\n      - " + "word " * 30 + "end\n"
    (finding,) = findings(ID, _thread(gaps))
    assert "word word" in finding.message and "..." in finding.message and "end" not in finding.message


def test_disabled_by_config() -> None:
    assert check(ID, _thread(TEXT_GAPS), levels={ID: None}) == []
