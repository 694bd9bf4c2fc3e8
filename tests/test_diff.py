"""The pure comparison of two workspaces (bafctl.diff) and its renderers, without git."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bafctl.cache import ValidationCache
from bafctl.diff import RiskChange, WorkspaceDiff, diff_workspaces, load_problems, word_diff
from bafctl.gitio import RevisionInfo
from bafctl.loader import Workspace, load_paths, load_workspace
from bafctl.render.diff import render_json, render_markdown, render_text
from conftest import FIXTURES, GROUP_BAF, SCALE
from gitrepo import action, risk_data, synthetic_register

TODAY = dt.date(2026, 1, 29)
SEPT = dt.date(2025, 9, 25)
OLD = RevisionInfo("board-2025-09", "a" * 40, "aaaaaaa", dt.datetime(2025, 9, 25, tzinfo=dt.UTC), "Sept", "Officer")
NEW = RevisionInfo("board-2026-01", "b" * 40, "bbbbbbb", dt.datetime(2026, 1, 19, tzinfo=dt.UTC), "Jan", "Officer")


def workspace(risks: Sequence[Mapping[str, Any]], **settings_kw: Any) -> Workspace:
    files = synthetic_register(risks, **settings_kw)
    ws = load_workspace({f"reg/{name}": text.encode() for name, text in files.items()})
    assert ws.findings == [], ws.findings
    return ws


def compare(old: Workspace, new: Workspace) -> WorkspaceDiff:
    return diff_workspaces(old, new, today=TODAY, old_date=SEPT)


def only(diff: WorkspaceDiff, risk_id: str) -> RiskChange:
    matches = [r for r in diff.risks if r.risk_id == risk_id]
    assert len(matches) == 1, diff.risks
    return matches[0]


DIGITAL = "If we do not continue digital transformation, we will not be digitally mature."
RESEARCH_OLD = "If we are unable to build our research and innovation capability, our influence will decline."
RESEARCH_NEW = (
    "If we are unable to build our research, innovation and professional learning capability, "
    "our influence will decline."
)


# ---------------------------------------------------------------------------
# Word diff
# ---------------------------------------------------------------------------


def test_word_diff_marks_the_reworded_phrase_as_one_change() -> None:
    spans = word_diff(RESEARCH_OLD, RESEARCH_NEW)
    assert [(s.op, s.text) for s in spans if s.op != "="] == [
        ("-", "research and innovation"),
        ("+", "research, innovation and professional learning"),
    ]


def test_word_diff_ignores_spacing_only_changes() -> None:
    assert all(s.op == "=" for s in word_diff("a  b", "a b"))


_words = st.lists(st.sampled_from(["risk", "board", "and", "the", "safe", "care", "x", "  ", "\n"]), max_size=12)


@settings(max_examples=300 * SCALE, deadline=None)
@given(_words, _words)
def test_word_diff_rebuilds_both_texts(old_words: list[str], new_words: list[str]) -> None:
    old, new = " ".join(old_words), " ".join(new_words)
    spans = word_diff(old, new)
    rebuilt_old = "".join(s.text for s in spans if s.op != "+")
    rebuilt_new = "".join(s.text for s in spans if s.op != "-")
    assert rebuilt_old.split() == old.split()
    assert rebuilt_new.split() == new.split()
    if old.split() == new.split():
        assert all(s.op == "=" for s in spans)


# ---------------------------------------------------------------------------
# Risk changes
# ---------------------------------------------------------------------------


def test_identical_workspaces_have_no_changes() -> None:
    risks = [risk_data("BAF1", DIGITAL), risk_data("BAF3", RESEARCH_OLD, lead="CPO")]
    diff = compare(workspace(risks), workspace(risks))
    assert (diff.is_empty, diff.unchanged, diff.counts["changed"]) == (True, ("BAF1", "BAF3"), 0)


def test_added_removed_and_title_change() -> None:
    old = workspace([risk_data("BAF1", DIGITAL), risk_data("BAF3", RESEARCH_OLD)])
    new = workspace([risk_data("BAF3", RESEARCH_NEW), risk_data("BAF6", "If we lack staff, agency spend rises.")])
    diff = compare(old, new)
    assert [(r.risk_id, r.change) for r in diff.risks] == [("BAF1", "removed"), ("BAF3", "changed"), ("BAF6", "added")]
    title = only(diff, "BAF3").field("title")
    assert title is not None
    assert (title.old, title.new) == (RESEARCH_OLD, RESEARCH_NEW)
    assert diff.counts == {"added": 1, "removed": 1, "changed": 1, "unchanged": 0, "not_compared": 0}


def test_rescore_shows_arrow_band_and_tolerance_crossing() -> None:
    # Cautious tolerance 12: 4x3=12 is within, 4x4=16 is above (docs/domain.md 2.4).
    old = workspace([risk_data("BAF1", DIGITAL, current=(4, 3))])
    new = workspace([risk_data("BAF1", DIGITAL, current=(4, 4))])
    change = only(compare(old, new), "BAF1")
    score = change.score("current")
    assert score is not None
    assert (score.old.text, score.new.text, score.arrow, score.old_band, score.new_band, score.crossing) == (
        "4x3=12",
        "4x4=16",
        "↑",
        "High",
        "Extreme",
        "above",
    )
    assert change.tolerance_crossing == "above"
    back = only(compare(new, old), "BAF1").score("current")
    assert back is not None
    assert (back.arrow, back.crossing) == ("↓", "within")


def test_same_score_different_cxl_is_a_change_without_direction() -> None:
    old = workspace([risk_data("BAF1", DIGITAL, current=(4, 3))])
    new = workspace([risk_data("BAF1", DIGITAL, current=(3, 4))])
    score = only(compare(old, new), "BAF1").score("current")
    assert score is not None
    assert (score.direction, score.arrow, score.crossing) == ("same", "→", None)


def test_tolerance_moved_by_the_appetite_table_crosses_without_a_rescore() -> None:
    old = workspace([risk_data("BAF1", DIGITAL, current=(4, 3))], tolerance=12)
    new = workspace([risk_data("BAF1", DIGITAL, current=(4, 3))], tolerance=10)
    diff = compare(old, new)
    change = only(diff, "BAF1")
    assert change.score_changes == ()
    assert change.tolerance_crossing == "above"
    tolerance = change.field("tolerance")
    assert tolerance is not None
    assert (tolerance.old, tolerance.new) == (12, 10)
    assert [(f.field, f.old, f.new) for r in diff.registers for f in r.field_changes] == [
        ("appetite_levels.cautious.tolerance", 12, 10)
    ]


def test_band_table_change_is_reported_at_register_and_risk_level() -> None:
    nhs = [("Low", 1, 3), ("Moderate", 4, 6), ("High", 8, 12), ("Extreme", 15, 25)]
    stricter = [("Low", 1, 3), ("Moderate", 4, 6), ("High", 8, 10), ("Extreme", 12, 25)]
    old = workspace([risk_data("BAF1", DIGITAL, current=(4, 3))], bands=nhs)
    new = workspace([risk_data("BAF1", DIGITAL, current=(4, 3))], bands=stricter)
    diff = compare(old, new)
    bands = [f for r in diff.registers for f in r.field_changes if f.field == "matrix.bands"]
    assert [(f.old, f.new) for f in bands] == [
        ("Low 1-3, Moderate 4-6, High 8-12, Extreme 15-25", "Low 1-3, Moderate 4-6, High 8-10, Extreme 12-25")
    ]
    band = only(diff, "BAF1").field("band.current")
    assert band is not None
    assert (band.old, band.new) == ("High", "Extreme")


def test_closed_merged_and_appetite_level() -> None:
    old = workspace(
        [risk_data("BAF1", DIGITAL), risk_data("BAF2", "If a, then b."), risk_data("BAF6", "If c, then d.")]
    )
    new = workspace(
        [
            risk_data("BAF1", DIGITAL, status="closed", level="open"),
            risk_data("BAF2", "If a, then b.", status="merged", extra={"merged_into": "BAF6"}),
            risk_data("BAF6", "If c, then d."),
        ]
    )
    diff = compare(old, new)
    closed, merged = only(diff, "BAF1"), only(diff, "BAF2")
    assert (closed.change, closed.status_event) == ("changed", "closed")
    assert (merged.status_event, merged.merged_into) == ("merged", "BAF6")
    assert [(f.field, f.old, f.new) for f in closed.field_changes if f.field.startswith(("appetite", "tol"))] == [
        ("appetite.level", "cautious", "open"),
        ("tolerance", 12, 16),
    ]


def test_controls_gaps_and_assurance_added_or_removed() -> None:
    assurance_old = [{"line": 3, "source": "Internal audit of e-rostering", "opinion": "moderate"}]
    assurance_new = [{"line": 3, "source": "Internal audit of e-rostering", "opinion": "significant"}]
    old = workspace([risk_data("BAF1", DIGITAL, controls=["Strategy", "Dashboard"], control_gaps=["Capacity"])])
    new_data = risk_data("BAF1", DIGITAL, controls=["Strategy", "EPR programme"], control_gaps=[])
    old_data = risk_data("BAF1", DIGITAL, controls=["Strategy", "Dashboard"], control_gaps=["Capacity"])
    old_data["causes"][0]["assurances"] = assurance_old
    new_data["causes"][0]["assurances"] = assurance_new
    new_data["causes"][0]["assurance_gaps"] = ["No independent review of the EPR"]
    old, new = workspace([old_data]), workspace([new_data])
    items = {(i.kind, i.op, i.text, i.detail) for i in only(compare(old, new), "BAF1").item_changes}
    assert items == {
        ("control", "added", "EPR programme", None),
        ("control", "removed", "Dashboard", None),
        ("control_gap", "removed", "Capacity", None),
        ("assurance", "added", "Internal audit of e-rostering", "3rd line, significant"),
        ("assurance", "removed", "Internal audit of e-rostering", "3rd line, moderate"),
        ("assurance_gap", "added", "No independent review of the EPR", None),
    }


def test_actions_completed_redated_reassigned_added_and_overdue() -> None:
    before = [
        action("A1", "Options to improve clinical leadership", due=dt.date(2025, 12, 31)),
        action("A2", "Refresh the digital strategy", due=dt.date(2026, 3, 31)),
        action("A3", "Recruit a CCIO", due=dt.date(2025, 12, 1)),
        action("A4", "Already late in September", due=dt.date(2025, 8, 1)),
        action("A5", "Dropped action"),
    ]
    after = [
        action("A1", "Options to improve clinical leadership", status="complete", completed=dt.date(2025, 11, 20)),
        action("A2", "Refresh the digital strategy", due=dt.date(2026, 6, 30), owner="CPO"),
        action("A3", "Recruit a CCIO", due=dt.date(2025, 12, 1)),
        action("A4", "Already late in September", due=dt.date(2025, 8, 1)),
        action("A6", "New action", due=dt.date(2026, 2, 28)),
    ]
    diff = compare(
        workspace([risk_data("BAF1", DIGITAL, actions=before)]), workspace([risk_data("BAF1", DIGITAL, actions=after)])
    )
    got = [(a.action_id, a.kind, a.owner_title, a.old, a.new) for a in only(diff, "BAF1").action_changes]
    assert got == [
        ("A1", "completed", "Chief Finance Officer", "open", "complete"),
        ("A2", "redated", "Group Chief People Officer", dt.date(2026, 3, 31), dt.date(2026, 6, 30)),
        ("A2", "reassigned", "Group Chief People Officer", "CFO", "CPO"),
        # Due 1 December: not overdue at the September board, overdue on 29 January.
        ("A3", "overdue", "Chief Finance Officer", None, None),
        ("A6", "added", "Chief Finance Officer", None, None),
        ("A5", "removed", "Chief Finance Officer", None, None),
    ]
    assert [(r.risk_id, a.action_id, a.completed) for r, a in diff.closures] == [("BAF1", "A1", dt.date(2025, 11, 20))]


def test_an_unchanged_file_still_reports_an_action_falling_overdue() -> None:
    # The file is byte-identical at both revisions: only the dates moved on.
    risks = [
        risk_data("BAF1", DIGITAL, actions=[action("A3", "Recruit a CCIO", due=dt.date(2025, 12, 1))]),
        risk_data("BAF2", DIGITAL, actions=[action("A4", "Already late in September", due=dt.date(2025, 8, 1))]),
        risk_data("BAF3", DIGITAL, actions=[action("A5", "Due after this board", due=dt.date(2026, 3, 1))]),
    ]
    diff = compare(workspace(risks), workspace(risks))
    assert [(r.risk_id, [(a.action_id, a.kind) for a in r.action_changes]) for r in diff.risks] == [
        ("BAF1", [("A3", "overdue")])
    ]
    assert diff.unchanged == ("BAF2", "BAF3")


def test_unchanged_files_are_compared_without_restoring_their_models(tmp_path: Path) -> None:
    files = synthetic_register([risk_data("BAF1", DIGITAL), risk_data("BAF3", RESEARCH_OLD)])
    old_files = {f"reg/{name}": text.encode() for name, text in files.items()}
    new_files = dict(old_files)
    new_files["reg/risks/baf3.yaml"] = new_files["reg/risks/baf3.yaml"].replace(
        RESEARCH_OLD.encode(), RESEARCH_NEW.encode()
    )
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache")
    load_workspace(old_files, cache=cache)
    load_workspace(new_files, cache=cache)
    old, new = load_workspace(old_files, cache=cache), load_workspace(new_files, cache=cache)
    diff = compare(old, new)
    assert [(r.risk_id, r.change) for r in diff.risks] == [("BAF3", "changed")]
    assert diff.unchanged == ("BAF1",)
    restored = {lr.risk_id for ws in (old, new) for _, lr in ws.risks() if lr.model_in_memory}
    assert restored == {"BAF3"}


def test_a_moved_file_is_the_same_risk() -> None:
    files = synthetic_register([risk_data("BAF1", DIGITAL)])
    old = load_workspace({f"reg/{k}": v.encode() for k, v in files.items()})
    moved = {
        ("reg/register.yaml" if k == "register.yaml" else "reg/archive/digital.yaml"): v.encode()
        for k, v in files.items()
    }
    diff = compare(old, load_workspace(moved))
    change = only(diff, "BAF1")
    assert change.change == "changed"
    assert [(f.field, f.old, f.new) for f in change.field_changes] == [
        ("path", "reg/risks/baf1.yaml", "reg/archive/digital.yaml")
    ]


def test_a_file_that_stops_loading_is_not_compared_rather_than_removed() -> None:
    good = synthetic_register([risk_data("BAF1", DIGITAL), risk_data("BAF3", RESEARCH_OLD)])
    old = load_workspace({f"reg/{k}": v.encode() for k, v in good.items()})
    broken = dict(good)
    broken["risks/baf3.yaml"] = good["risks/baf3.yaml"].replace("consequence: 4", "consequence: four", 1)
    new = load_workspace({f"reg/{k}": v.encode() for k, v in broken.items()})
    diff = compare(old, new)
    assert diff.risks == ()
    assert [(n.risk_id, n.side, n.path) for n in diff.not_compared] == [("BAF3", "new", "reg/risks/baf3.yaml")]
    problems = load_problems(new)
    lines = broken["risks/baf3.yaml"].splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.endswith("consequence: four"))
    col = lines[line - 1].index("four") + 1
    assert [(p.path, p.line, p.col) for p in problems] == [("reg/risks/baf3.yaml", line, col)]
    assert "consequence" in problems[0].message


# ---------------------------------------------------------------------------
# The Group BAF: September 2025 against January 2026 (the 003 paper)
# ---------------------------------------------------------------------------


def group_baf_diff() -> WorkspaceDiff:
    old = load_paths([FIXTURES / "group-baf-2025-09"])
    new = load_paths([GROUP_BAF])
    assert not old.has_errors and not new.has_errors
    return diff_workspaces(old, new, today=TODAY, old_date=SEPT)


def test_group_baf_reports_the_003_paper_changes() -> None:
    diff = group_baf_diff()
    title = only(diff, "GROUP-BAF-3").field("title")
    assert title is not None and title.words is not None
    assert [(w.op, w.text) for w in title.words if w.op != "="] == [
        ("-", "research and innovation"),
        ("+", "research, innovation and professional learning"),
    ]
    workforce = only(diff, "GROUP-BAF-DRAFT")
    assert workforce.change == "added"
    assert workforce.new is not None and workforce.new.scores["current"].text == "5x4=20"
    # 13 actions: 10 closed in November 2025 and three in December (003, "Action Closures").
    months = [a.completed.strftime("%Y-%m") for _, a in diff.closures if a.completed]
    assert (months.count("2025-11"), months.count("2025-12"), len(diff.closures)) == (10, 3, 13)
    leads = {(r.risk_id, a.owner_title) for r, a in diff.closures}
    assert ("GROUP-BAF-3", "Medical Directors") in leads
    assert ("GROUP-BAF-4", "Group Chief People Officer") in leads


def test_group_baf_markdown_is_a_board_paper_section() -> None:
    text = render_markdown(group_baf_diff(), OLD, NEW)
    assert text.startswith(
        "## BAF changes: board-2025-09 (aaaaaaa, 2025-09-25) to board-2026-01 (bbbbbbb, 2026-01-19)\n"
    )
    assert "~~research and innovation~~ **research, innovation and professional learning**" in text
    closures = text.split("### Action closures\n", 1)[1]
    november, december = closures.split("#### December 2025")
    assert "#### November 2025" in november
    assert november.count("\n| GROUP-BAF-") == 10
    assert december.count("\n| GROUP-BAF-") == 3
    assert "| Freedom to Speak Up Roadshows during October 2025 | Group Chief People Officer |" in november
    _assert_tables_regular(text)


def test_group_baf_json_shape() -> None:
    data = json.loads(render_json(group_baf_diff(), OLD, NEW))
    assert data["summary"] == {"added": 1, "removed": 0, "changed": 5, "unchanged": 0, "not_compared": 0}
    by_id = {r["risk_id"]: r for r in data["risks"]}
    assert by_id["GROUP-BAF-DRAFT"]["change"] == "added"
    title = next(f for f in by_id["GROUP-BAF-3"]["field_changes"] if f["field"] == "title")
    assert "research and innovation capability" in title["from"]
    assert "research, innovation and professional learning capability" in title["to"]
    assert {"risk_id", "change", "score_changes", "field_changes", "action_changes"} <= set(by_id["GROUP-BAF-1"])
    assert len(data["action_closures"]) == 13


# ---------------------------------------------------------------------------
# Rendering: escaping and shape
# ---------------------------------------------------------------------------


def _assert_tables_regular(markdown: str) -> None:
    """Every table row has the header's cell count (docs/reliability.md R19)."""
    columns: int | None = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line)) - 1
        if columns is None:
            columns = cells
        assert cells == columns, line


HOSTILE = "If [red]ALL CLEAR[/red] | col \x1b[2J then \u202e evil <script> # not a heading"


def test_hostile_text_is_escaped_in_every_format() -> None:
    old = workspace([risk_data("BAF1", DIGITAL, actions=[action("A1", "Act | now")])])
    new = workspace(
        [
            risk_data(
                "BAF1",
                DIGITAL.replace("digital", "~~digital~~ | x"),
                actions=[action("A1", "Act | now", status="complete", completed=dt.date(2025, 11, 1))],
            ),
            risk_data("BAF2", "If a | b, then c."),
        ]
    )
    diff = compare(old, new)
    markdown = render_markdown(diff, OLD, NEW)
    _assert_tables_regular(markdown)
    assert "\\~\\~digital\\~\\~" in markdown
    text = render_text(diff, OLD, NEW)
    assert "\x1b" not in text and "\u202e" not in text


def test_control_characters_from_commit_subjects_never_reach_the_terminal() -> None:
    old = workspace([risk_data("BAF1", DIGITAL)])
    new = workspace([risk_data("BAF1", DIGITAL, current=(4, 4))])
    sneaky = RevisionInfo("HEAD", "c" * 40, "ccccccc", NEW.date, "Rescore \x1b]8;;http://x\x07", "Mallory \u202e")
    text = render_text(compare(old, new), OLD, sneaky, {"BAF1": [sneaky]})
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "why: ccccccc 2026-01-19 Mallory" in text


def test_text_report_names_every_change() -> None:
    old = workspace([risk_data("BAF1", DIGITAL, current=(4, 3)), risk_data("BAF3", RESEARCH_OLD)])
    new = workspace([risk_data("BAF1", DIGITAL, current=(4, 4)), risk_data("BAF3", RESEARCH_NEW)])
    text = render_text(compare(old, new), OLD, NEW)
    assert text.splitlines()[:2] == [
        "Changes from board-2025-09 (aaaaaaa, 2025-09-25) to board-2026-01 (bbbbbbb, 2026-01-19)",
        "Risks: 0 added, 0 removed, 2 changed, 0 unchanged",
    ]
    assert "  current 4x3=12 → 4x4=16 ↑, band High → Extreme, now above tolerance 12\n" in text
    assert "[-research and innovation-]{+research, innovation and professional learning+}" in text


MOVED_TO_DIFF_TYPES = (
    "ASSESSMENTS",
    "ActionChange",
    "Cxl",
    "FieldChange",
    "ItemChange",
    "NotCompared",
    "RegisterChange",
    "RiskChange",
    "RiskSnapshot",
    "ScoreChange",
    "WordSpan",
    "WorkspaceDiff",
)


def test_the_value_types_are_the_same_objects_from_either_module() -> None:
    """issue 12: the types moved to bafctl.diff_types; bafctl.diff still hands out the same ones."""
    import bafctl.diff
    import bafctl.diff_types

    assert [n for n in MOVED_TO_DIFF_TYPES if getattr(bafctl.diff, n) is not getattr(bafctl.diff_types, n)] == []
