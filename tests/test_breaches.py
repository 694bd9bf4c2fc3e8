"""`bafctl breaches`: the appetite report, worst first, in text, JSON and Markdown."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bafctl.breaches import BreachReport, BreachRow, Named, PlanAction, breach_report
from bafctl.cli import app
from bafctl.errors import ExitCode
from bafctl.loader import load_workspace, read_files
from bafctl.render.breaches import render_json, render_markdown, render_text
from bafctl.scoring import AppetiteFlag
from conftest import FIXTURES

AS_OF = dt.date(2026, 3, 2)


@pytest.fixture
def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "register"
    shutil.copytree(FIXTURES / "rescore" / "register", target)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAFCTL_TODAY", AS_OF.isoformat())
    return target


def edit(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data, old
    path.write_bytes(data.replace(old, new, 1))


def report_of(folder: Path, as_of: dt.date = AS_OF) -> BreachReport:
    workspace = load_workspace(read_files([folder], folder.parent))
    assert not workspace.has_errors
    return breach_report(workspace, as_of)


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def three_kinds(register: Path) -> None:
    """TEST-DIGITAL far in breach, TEST-COMMUNITIES with its target outside appetite,
    TEST-WORKFORCE in breach by 4 (as in the fixture)."""
    crlf = register / "risks" / "realistic_crlf.yaml"
    edit(
        crlf,
        b"    consequence: 4\r\n    likelihood: 3\r\n    score: 12\r\n    band: 'High'",
        b"    consequence: 5\r\n    likelihood: 5\r\n    score: 25\r\n    band: 'Extreme'",
    )
    edit(
        register / "risks" / "flow_style.yaml",
        b"target: {consequence: 3, likelihood: 2, score: 6,",
        b"target: {consequence: 4, likelihood: 4, score: 16,",
    )


# ---------------------------------------------------------------------------
# The core
# ---------------------------------------------------------------------------


def test_the_fixture_has_one_breach_with_a_plan(register: Path) -> None:
    report = report_of(register)
    assert (report.risks_checked, report.in_breach) == (3, 1)
    (row,) = report.rows
    assert (row.risk_id, row.flags, row.current, row.tolerance, row.over_by) == (
        "TEST-WORKFORCE",
        (AppetiteFlag.BREACH,),
        "5x4=20",
        16,
        4,
    )
    assert (row.executive_lead.name, [c.name for c in row.oversight]) == (
        "Group Chief People Officer",
        ["Group People and Culture Committee", "Group Trust Board"],
    )
    assert [(a.id, a.owner.name, a.due) for a in row.plan] == [
        ("WF-1", "Group Chief People Officer", dt.date(2026, 3, 31))
    ]


def test_worst_first(register: Path) -> None:
    three_kinds(register)
    rows = report_of(register).rows
    assert [(r.risk_id, r.flags, r.over_by, r.target_over_by) for r in rows] == [
        ("TEST-DIGITAL", (AppetiteFlag.BREACH,), 9, 0),
        ("TEST-WORKFORCE", (AppetiteFlag.BREACH,), 4, 0),
        ("TEST-COMMUNITIES", (AppetiteFlag.TARGET_OUTSIDE,), 0, 4),
    ]


def test_off_track_comes_last_and_a_due_action_is_not_a_plan(register: Path) -> None:
    # 2026-04-01: TEST-WORKFORCE's target date (2026-03-31) has passed and WF-1 is overdue;
    # TEST-DIGITAL (4x3 against target 4x2 by 2026-09-30) is fine until October.
    report = report_of(register, dt.date(2026, 10, 1))
    assert [(r.risk_id, r.flags, r.has_plan) for r in report.rows] == [
        ("TEST-WORKFORCE", (AppetiteFlag.BREACH, AppetiteFlag.OFF_TRACK), False),
        ("TEST-DIGITAL", (AppetiteFlag.OFF_TRACK,), False),
    ]
    assert report.count(AppetiteFlag.OFF_TRACK) == 2


def test_a_risk_only_off_track_is_not_counted_outside_appetite(runner: CliRunner, register: Path) -> None:
    """Guards: breaches counted an off-track risk as "outside appetite" while it was within."""
    code, stdout, _ = invoke(runner, "breaches", "register", "--as-of", "2026-10-01")
    assert code == 1  # TEST-WORKFORCE is in breach
    assert stdout.startswith(
        "1 of 3 risks outside appetite as of 2026-10-01: 1 in breach, 0 with a target outside appetite, "
        "2 off track; 1 risk off track within appetite\n"
    )
    code, stdout, _ = invoke(runner, "breaches", "register", "--as-of", "2026-10-01", "--format", "json")
    summary = json.loads(stdout)["summary"]
    assert (summary["listed"], summary["outside_appetite"], summary["off_track"]) == (2, 1, 2)


def test_a_plan_needs_an_open_owned_dated_action(register: Path) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    edit(path, b"        status: in_progress\n", b"        status: complete\n        completed: 2026-02-01\n")
    assert not report_of(register).rows[0].has_plan
    edit(path, b"        status: complete\n        completed: 2026-02-01\n", b"        status: open\n")
    assert report_of(register).rows[0].has_plan
    assert report_of(register, dt.date(2026, 3, 31)).rows[0].has_plan  # due today still counts
    edit(path, b"        owner: CPO\n", b"")
    assert not report_of(register).rows[0].has_plan


def test_closed_risks_are_left_out(register: Path) -> None:
    edit(register / "risks" / "realistic_bom.yaml", b"status: draft", b"status: closed")
    report = report_of(register)
    assert (report.rows, report.risks_checked) == ((), 3)


def test_a_tolerance_override_counts(register: Path) -> None:
    edit(
        register / "risks" / "realistic_bom.yaml",
        b"  level: open ",
        b"  tolerance: 20\n  reason: Agreed by the Group Trust Board for winter\n  level: open ",
    )
    assert report_of(register).rows == ()


# ---------------------------------------------------------------------------
# The command and its formats
# ---------------------------------------------------------------------------


def test_text_report_and_exit_1(runner: CliRunner, register: Path) -> None:
    code, stdout, stderr = invoke(runner, "breaches", "register")
    assert (code, stderr) == (ExitCode.FINDINGS, "")
    assert stdout == (
        "1 of 3 risks outside appetite as of 2026-03-02: 1 in breach, 0 with a target outside appetite, 0 off track\n"
        "\n"
        "1. TEST-WORKFORCE (TEST-GROUP, draft): breach\n"
        "   If we do not effectively embed workforce resourcing strategies and plans, there is a risk of "
        "insufficient recruitment, retention and representation\n"
        "   current:        5x4=20 against tolerance 16 (Open): 4 over\n"
        "   target:         5x3=15 (by 2026-03-31)\n"
        "   executive lead: Group Chief People Officer\n"
        "   oversight:      Group People and Culture Committee, Group Trust Board\n"
        "   plan:           yes: WF-1 due 2026-03-31 (Group Chief People Officer)\n"
        "   file:           register/risks/realistic_bom.yaml\n"
    )


def test_exit_zero_reports_only(runner: CliRunner, register: Path) -> None:
    code, stdout, _ = invoke(runner, "breaches", "--exit-zero", "register")
    assert code == 0
    assert stdout.startswith("1 of 3 risks outside appetite")


def test_no_breach_exits_0_even_with_a_target_outside_appetite(runner: CliRunner, register: Path) -> None:
    edit(register / "risks" / "realistic_bom.yaml", b"    consequence: 5   #", b"    consequence: 4   #")
    edit(register / "risks" / "realistic_bom.yaml", b"    score: 20", b"    score: 16")
    edit(
        register / "risks" / "flow_style.yaml",
        b"target: {consequence: 3, likelihood: 2, score: 6,",
        b"target: {consequence: 4, likelihood: 4, score: 16,",
    )
    code, stdout, _ = invoke(runner, "breaches", "register")
    assert code == 0
    assert stdout.splitlines()[0] == (
        "1 of 3 risks outside appetite as of 2026-03-02: 0 in breach, 1 with a target outside appetite, 0 off track"
    )
    assert "1. TEST-COMMUNITIES (TEST-GROUP, approved): target outside appetite\n" in stdout
    assert "   target:         4x4=16 (by 2026-12-31, 4 over tolerance)\n" in stdout
    assert "   current:        3x3=9 against tolerance 12 (Cautious): within\n" in stdout


def test_nothing_outside_appetite(runner: CliRunner, register: Path) -> None:
    edit(register / "risks" / "realistic_bom.yaml", b"    consequence: 5   #", b"    consequence: 4   #")
    edit(register / "risks" / "realistic_bom.yaml", b"    score: 20", b"    score: 16")
    code, stdout, stderr = invoke(runner, "breaches", "register", "--as-of", "2026-01-01", "--format", "markdown")
    assert (code, stdout, stderr) == (
        0,
        "## Risks outside appetite as of 2026-01-01\n\nno risk outside appetite as of 2026-01-01 (3 risks checked)\n",
        "",
    )


def test_json_report(runner: CliRunner, register: Path) -> None:
    code, stdout, _ = invoke(runner, "breaches", "register", "--format", "json")
    assert code == 1
    assert json.loads(stdout) == {
        "version": 1,
        "as_of": "2026-03-02",
        "summary": {
            "risks_checked": 3,
            "listed": 1,
            "outside_appetite": 1,
            "in_breach": 1,
            "target_outside_appetite": 0,
            "off_track": 0,
            "without_plan": 0,
        },
        "risks": [
            {
                "register": "TEST-GROUP",
                "risk_id": "TEST-WORKFORCE",
                "title": "If we do not effectively embed workforce resourcing strategies and plans, there is a risk "
                "of insufficient recruitment, retention and representation",
                "path": "register/risks/realistic_bom.yaml",
                "status": "draft",
                "flags": ["breach"],
                "in_breach": True,
                "current": {"cxl": "5x4=20", "score": 20},
                "target": {"cxl": "5x3=15", "score": 15, "date": "2026-03-31"},
                "tolerance": 16,
                "appetite_level": {"id": "open", "name": "Open"},
                "over_by": 4,
                "target_over_by": 0,
                "executive_lead": {"id": "CPO", "title": "Group Chief People Officer"},
                "oversight": [
                    {"id": "PCC", "name": "Group People and Culture Committee"},
                    {"id": "GTB", "name": "Group Trust Board"},
                ],
                "has_plan": True,
                "plan": [
                    {"id": "WF-1", "owner": {"id": "CPO", "title": "Group Chief People Officer"}, "due": "2026-03-31"}
                ],
            }
        ],
    }


def test_markdown_report(runner: CliRunner, register: Path) -> None:
    three_kinds(register)
    code, stdout, _ = invoke(runner, "breaches", "register", "-f", "markdown")
    assert code == 1
    lines = stdout.splitlines()
    assert lines[:5] == [
        "## Risks outside appetite as of 2026-03-02",
        "",
        "3 of 3 risks outside appetite as of 2026-03-02: 2 in breach, 1 with a target outside appetite, 0 off track",
        "",
        "| Risk | Flags | Current | Target | Tolerance | Over by | Executive lead | Oversight | Plan |",
    ]
    assert lines[5] == "|" + " --- |" * 9
    assert lines[6] == (
        "| TEST-DIGITAL: If we do not deliver the Group digital plan, then care will not move from analogue to "
        "digital | breach | 5x5=25 | 4x2=8 (by 2026-09-30) | 16 (Open) | 9 | Chief Information Officer | "
        "Finance and Performance Committee | none: no open action with an owner and a due date from 2026-03-02 on |"
    )
    assert [line.split(" | ")[0] for line in lines[6:]] == [
        "| TEST-DIGITAL: If we do not deliver the Group digital plan, then care will not move from analogue to digital",
        "| TEST-WORKFORCE: If we do not effectively embed workforce resourcing strategies and plans, there is a risk "
        "of insufficient recruitment, retention and representation",
        "| TEST-COMMUNITIES: If we do not work with partners, then communities will not be healthy",
    ]


def test_a_file_with_errors_makes_the_report_incomplete(runner: CliRunner, register: Path) -> None:
    edit(register / "risks" / "realistic_bom.yaml", b"keyword:", b"keywrod:")
    edit(
        register / "risks" / "realistic_crlf.yaml",
        b"    consequence: 4\r\n    likelihood: 3\r\n    score: 12",
        b"    consequence: 5\r\n    likelihood: 5\r\n    score: 25",
    )
    code, stdout, stderr = invoke(runner, "breaches", "register")
    assert code == 1
    assert stdout.startswith("1 of 2 risks outside appetite")  # the risks that loaded are still reported
    assert "1. TEST-DIGITAL (TEST-GROUP, approved): breach" in stdout
    assert stderr.splitlines()[-1] == (
        "bafctl: warning: 1 file has errors: the report may be incomplete (`bafctl check` lists every problem)"
    )
    assert "unknown key `keywrod`" in stderr
    code, _, _ = invoke(runner, "breaches", "--exit-zero", "register")
    assert code == 0


def test_bad_as_of_is_a_usage_error(runner: CliRunner, register: Path) -> None:
    code, stdout, stderr = invoke(runner, "breaches", "register", "--as-of", "2026-13-01")
    assert (code, stdout) == (ExitCode.USAGE, "")
    assert "'2026-13-01' is not a date: write YYYY-MM-DD" in stderr


# ---------------------------------------------------------------------------
# Register text is never markup (R19, R20)
# ---------------------------------------------------------------------------


def _hostile(register: Path, title: str) -> None:
    encoded = json.dumps(title, ensure_ascii=True).encode()
    edit(
        register / "risks" / "realistic_bom.yaml",
        b'title: "If we do not effectively embed workforce resourcing strategies and plans, there is a risk of '
        b'insufficient recruitment, retention and representation"',
        b"title: " + encoded,
    )
    edit(register / "risks" / "realistic_bom.yaml", b"keyword: workforce resourcing\n", b"")


def _cells(row: str) -> int:
    return len(re.split(r"(?<!\\)\|", row)) - 2


def test_register_text_is_never_markup(runner: CliRunner, register: Path) -> None:
    # The loader refuses control and bidi characters (R4); what it lets through must
    # still reach every format as plain text.
    title = "Risk [/bold] owner | [red]ALL CLEAR[/red] *bold* <b>x</b> #1 [link=https://x.invalid]y[/link] \\"
    _hostile(register, title)
    code, stdout, stderr = invoke(runner, "breaches", "register")
    assert (code, stderr) == (1, "")
    assert f"   {title}\n" in stdout
    code, stdout, stderr = invoke(runner, "breaches", "register", "-f", "markdown")
    (row,) = [line for line in stdout.splitlines() if line.startswith("| TEST-")]
    assert _cells(row) == 9
    assert row.startswith(
        "| TEST-WORKFORCE: Risk \\[/bold\\] owner \\| \\[red\\]ALL CLEAR\\[/red\\] \\*bold\\* "
        "\\<b\\>x\\</b\\> \\#1 \\[link=https://x.invalid\\]y\\[/link\\] \\\\ | breach |"
    )
    code, stdout, _ = invoke(runner, "breaches", "register", "-f", "json")
    assert json.loads(stdout)["risks"][0]["title"] == title


@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=80))
@settings(max_examples=200, deadline=None)
def test_markdown_cells_never_add_a_column(title: str) -> None:
    row = BreachRow(
        register_id="R|G",
        risk_id="X",
        title=title,
        path="p.yaml",
        status="draft",
        flags=(AppetiteFlag.BREACH,),
        current="5x4=20",
        current_score=20,
        target="5x3=15",
        target_score=15,
        target_date=None,
        tolerance=16,
        appetite_level=Named("open", title),
        over_by=4,
        target_over_by=0,
        executive_lead=Named("CPO", title),
        oversight=(Named("PCC", title), Named("GTB", "|")),
        plan=(PlanAction("A|1", Named("CPO", title), AS_OF),),
    )
    output = render_markdown(BreachReport(AS_OF, (row,), 1))
    table = [line for line in output.splitlines() if line.startswith("|")]
    assert [_cells(line) for line in table] == [9, 9, 9]
    text = render_text(BreachReport(AS_OF, (row,), 1))
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    json.loads(render_json(BreachReport(AS_OF, (row,), 1)))
