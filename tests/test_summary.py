"""`bafctl summary` and its core: sections, scores, appetite, movement, heat map, formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.errors import ExitCode
from bafctl.loader import Workspace, load_workspace
from bafctl.render.heatmap import common_prefix, heatmap_svg
from bafctl.render.summary import render_csv, render_html, render_json, render_markdown, render_text
from bafctl.summary import FALLBACK_COLOUR, Movement, build_summary, emphasis_span, ink_for, natural_key, safe_colour
from conftest import FIXTURES, GROUP_BAF, REGISTERS
from gitrepo import GitRepo, group_baf_repo, register_settings, risk_data, synthetic_register, to_yaml

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SEPTEMBER = FIXTURES / "group-baf-2025-09"
ON = dt.date(2026, 1, 29)


def assert_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/<name>; BAFCTL_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / name
    if os.environ.get("BAFCTL_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.is_file(), f"no snapshot {name}: run with BAFCTL_UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_bytes().decode("utf-8")


def workspace_of(risks: list[dict[str, Any]], **settings: Any) -> Workspace:
    """A workspace from synthetic register data, without touching the disk."""
    files = synthetic_register(risks, **settings)
    workspace = load_workspace({f"reg/{name}": text.encode("utf-8") for name, text in files.items()})
    assert not workspace.has_errors, workspace.findings
    return workspace


def summary_json(runner: CliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["summary", *args, "--format", "json"])
    assert (result.exit_code, result.stderr) == (0, "")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# ---------------------------------------------------------------------------
# The acceptance: the bundled Group BAF
# ---------------------------------------------------------------------------


def test_bundled_group_baf_five_sections_and_the_draft_in_breach(runner: CliRunner) -> None:
    data = summary_json(runner, str(REGISTERS), "--as-of", "2026-01-29")
    (register,) = data["registers"]
    sections = register["sections"]
    assert [(s["number"], s["committee"]) for s in sections] == [
        (1, "Finance and Performance Committee"),
        (2, "Finance and Performance Committee"),
        (3, "Quality and Safety Committee"),
        (4, "People and Culture Committee"),
        (5, "Finance and Performance Committee"),
    ]
    approved = [[r["current"]["score"] for r in s["risks"] if r["status"] == "approved"] for s in sections]
    assert approved == [[16], [8], [12], [12], [12]]
    drafts = [(s["number"], r) for s in sections for r in s["risks"] if r["status"] == "draft"]
    assert len(drafts) == 1
    section, draft = drafts[0]
    assert (section, draft["current"]["score"], draft["tolerance"], draft["in_breach"]) == (4, 20, 16, True)
    assert "workforce" in draft["title"]
    assert not any(r["in_breach"] for s in sections for r in s["risks"] if r["status"] == "approved")
    cells = {(c["consequence"], c["likelihood"]): c["current"] for c in register["heatmap"]["cells"] if c["current"]}
    by_id = {r["id"]: (r["current"]["consequence"], r["current"]["likelihood"]) for s in sections for r in s["risks"]}
    assert sorted(cells) == [(4, 2), (4, 3), (4, 4), (5, 4)]
    for risk_id, cell in by_id.items():
        assert risk_id in cells[cell]
    assert cells[(5, 4)] == [draft["id"]]
    assert len(cells[(4, 3)]) == 3


def test_bundled_group_baf_text_marks_the_breach_and_fills_the_heat_map(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summary", str(REGISTERS), "--as-of", "2026-01-29"], env={"COLUMNS": "80"})
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "\x1b" not in result.stdout
    draft_row = next(line for line in lines if line.startswith("GROUP-BAF-DRAFT"))
    # The board's appetite word, then the status in a column of its own.
    assert re.search(r"5x4=20\s+5x3=15\s+16\s+Open\s+BREACH$", draft_row)
    assert sum("BREACH" in line for line in lines) == 1
    headings = [line for line in lines if line.startswith("Section ")]
    assert [h.split(" – ")[0] for h in headings] == [f"Section {n}" for n in range(1, 6)]
    # The heat-map rows: likelihood 4 holds BAF 1 at consequence 4 and the draft at 5.
    grid = [line for line in lines if line.startswith("│")]
    row4 = grid[grid.index(next(g for g in grid if g.startswith("│ 4 "))) + 1]
    cells = [c.strip() for c in row4.strip("│").split("│")]
    assert cells == ["", "", "", "", "1", "DRAFT"]
    row3 = grid[grid.index(next(g for g in grid if g.startswith("│ 3 "))) + 1]
    assert [c.strip() for c in row3.strip("│").split("│")] == ["", "", "", "", "3, 4, 5", ""]
    assert "Risk IDs are shown without their common prefix 'GROUP-BAF-'." in lines


# ---------------------------------------------------------------------------
# Snapshots: text at 80 columns without colour, Markdown and CSV
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("text", "summary-group-baf-2025-09.txt"),
        ("markdown", "summary-group-baf-2025-09.md"),
        ("csv", "summary-group-baf-2025-09.csv"),
    ],
)
def test_snapshot_september_fixture(runner: CliRunner, fmt: str, name: str) -> None:
    result = runner.invoke(
        app, ["summary", str(SEPTEMBER), "--as-of", "2025-09-25", "--format", fmt], env={"COLUMNS": "80"}
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert_snapshot(name, result.stdout)


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("text", "summary-injection.txt"),
        ("markdown", "summary-injection.md"),
        ("csv", "summary-injection.csv"),
    ],
)
def test_snapshot_injection_fixture(runner: CliRunner, fmt: str, name: str) -> None:
    result = runner.invoke(
        app,
        ["summary", str(FIXTURES / "injection"), "--as-of", "2026-01-29", "--target", "--format", fmt],
        env={"COLUMNS": "80"},
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert_snapshot(name, result.stdout)


def test_snapshot_movement_since_the_september_board(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group_baf_repo(tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    result = runner.invoke(
        app, ["summary", "registers", "--since", "board-2025-09", "--as-of", "2026-01-29"], env={"COLUMNS": "80"}
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert_snapshot("summary-since-2025-09.txt", result.stdout)
    data = summary_json(runner, "registers", "--since", "board-2025-09", "--as-of", "2026-01-29")
    assert data["since"].startswith("board-2025-09 (")
    moves = {r["id"]: r["movement"] for s in data["registers"][0]["sections"] for r in s["risks"]}
    assert moves["GROUP-BAF-DRAFT"] == "new"
    assert all(moves[f"GROUP-BAF-{n}"] in ("up", "down", "same") for n in range(1, 6))


# ---------------------------------------------------------------------------
# The core
# ---------------------------------------------------------------------------


def test_sections_group_risks_by_theme_in_natural_id_order() -> None:
    workspace = workspace_of(
        [
            risk_data("BAF10", "If ten then ten", theme="T"),
            risk_data("BAF2", "If two then two", theme="T"),
            risk_data("BAF3", "If three then three", theme="V", lead="CPO"),
        ]
    )
    summary = build_summary(workspace, today=ON)
    (reg,) = summary.registers
    assert [(s.number, s.committee, [r.risk_id for r in s.rows]) for s in reg.sections] == [
        (1, "Finance and Performance Committee", ["BAF2", "BAF10"]),
        (2, "People and Culture Committee", ["BAF3"]),
    ]
    assert reg.sections[0].full_heading == "Section 1 – T Technology [Finance and Performance Committee oversight]"


def test_closed_and_merged_risks_are_left_out_and_named() -> None:
    workspace = workspace_of(
        [
            risk_data("BAF1", "If one then one"),
            risk_data("BAF2", "If two then two", status="closed"),
            risk_data("BAF3", "If three then three", status="merged", extra={"merged_into": "BAF1"}),
        ]
    )
    (reg,) = build_summary(workspace, today=ON).registers
    assert [r.risk_id for r in reg.rows] == ["BAF1"]
    assert reg.not_shown == ("BAF2", "BAF3")
    assert reg.heatmap.cell(4, 3).current == ("BAF1",)


def test_a_risk_whose_theme_is_in_no_section_gets_its_own_group() -> None:
    settings = register_settings()
    settings["themes"].append({"id": "X", "name": "A theme in no section"})
    risk = risk_data("BAF1", "If one then one", theme="X")
    workspace = load_workspace(
        {"reg/register.yaml": to_yaml(settings).encode(), "reg/risks/baf1.yaml": to_yaml(risk).encode()}
    )
    assert not workspace.has_errors, workspace.findings
    (reg,) = build_summary(workspace, today=ON).registers
    assert [(s.number, s.heading, s.committee) for s in reg.sections] == [
        (None, "Not in a section", "People and Culture Committee")
    ]


def test_breach_tolerance_and_band_come_from_scoring() -> None:
    workspace = workspace_of(
        [
            risk_data("BAF1", "If one then one", current=(4, 4), level="cautious"),
            risk_data("BAF2", "If two then two", current=(4, 4), level="open"),
        ],
        tolerance=12,
    )
    rows = {r.risk_id: r for r in build_summary(workspace, today=ON).rows}
    assert (rows["BAF1"].tolerance, rows["BAF1"].in_breach, rows["BAF1"].appetite) == (12, True, "Cautious")
    assert (rows["BAF2"].tolerance, rows["BAF2"].in_breach) == (16, False)
    assert (rows["BAF1"].current.cxl, rows["BAF1"].current.band, rows["BAF1"].current.colour) == (
        "4x4=16",
        "Extreme",
        "#c62828",
    )


def test_movement_against_an_earlier_workspace() -> None:
    before = workspace_of(
        [
            risk_data("UP", "If up then up", current=(3, 3)),
            risk_data("DOWN", "If down then down", current=(4, 4)),
            risk_data("SAME", "If same then same", current=(4, 3)),
        ]
    )
    after = workspace_of(
        [
            risk_data("UP", "If up then up", current=(4, 3)),
            risk_data("DOWN", "If down then down", current=(4, 3)),
            risk_data("SAME", "If same then same", current=(3, 4)),
            risk_data("NEW", "If new then new"),
        ]
    )
    rows = {r.risk_id: r for r in build_summary(after, today=ON, previous=before, since="v1").rows}
    assert {k: (r.movement, None if r.previous is None else r.previous.score) for k, r in rows.items()} == {
        "UP": (Movement.UP, 9),
        "DOWN": (Movement.DOWN, 16),
        "SAME": (Movement.SAME, 12),
        "NEW": (Movement.NEW, None),
    }
    assert [m.symbol for m in Movement] == ["↑", "↓", "→", "new"]
    assert all(r.movement is None for r in build_summary(after, today=ON).rows)


def test_target_positions_on_the_heat_map() -> None:
    workspace = workspace_of([risk_data("BAF1", "If one then one", current=(5, 4), target=(3, 2))])
    heat = build_summary(workspace, today=ON).registers[0].heatmap
    assert (heat.cell(5, 4).current, heat.cell(5, 4).target) == (("BAF1",), ())
    assert (heat.cell(3, 2).current, heat.cell(3, 2).target) == ((), ("BAF1",))
    assert [c.likelihood for c in heat.rows()[0]] == [5] * 5
    assert [c.consequence for c in heat.rows()[0]] == [1, 2, 3, 4, 5]


def test_keyword_emphasis_is_found_case_insensitively() -> None:
    assert emphasis_span("If we lose Digital Transformation then", "digital transformation") == (11, 33)
    assert emphasis_span("If a then b", None) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("#C62828", "#c62828"),
        ("#abc", "#aabbcc"),
        ("FireBrick", "#b22222"),
        (" red ", "#ff0000"),
        ("red;background:url(x)", None),
        ('#c62828" onload="x', None),
        ("rgb(1,2,3)", None),
        ("#12345g", None),
    ],
)
def test_safe_colour_accepts_only_colours(given: str, expected: str | None) -> None:
    assert safe_colour(given) == expected


def test_unusable_band_colour_falls_back_to_grey() -> None:
    settings = register_settings()
    settings["matrix"] = {"bands": [{"name": "All", "min": 1, "max": 25, "colour": "url(https://evil.example)"}]}
    risk = risk_data("BAF1", "If one then one")
    workspace = load_workspace(
        {"reg/register.yaml": to_yaml(settings).encode(), "reg/risks/baf1.yaml": to_yaml(risk).encode()}
    )
    assert not workspace.has_errors, workspace.findings
    summary = build_summary(workspace, today=ON)
    assert summary.rows[0].current.colour == FALLBACK_COLOUR
    assert "evil" not in render_html(summary)


def test_ink_is_readable_on_every_band() -> None:
    assert ink_for("#c62828") == "#ffffff"
    assert ink_for("#f9a825") == "#000000"
    assert ink_for("#000000") == "#ffffff"


def test_natural_key_and_common_prefix() -> None:
    assert sorted(["BAF10", "BAF2", "baf1"], key=natural_key) == ["baf1", "BAF2", "BAF10"]
    assert common_prefix(["GROUP-BAF-1", "GROUP-BAF-DRAFT"]) == "GROUP-BAF-"
    assert common_prefix(["BAF1", "BAF2"]) == ""
    assert common_prefix(["ONLY-1"]) == ""
    assert common_prefix(["SR-1", "SR-"]) == ""


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------


def test_text_fits_80_columns_and_colour_is_only_added_on_request() -> None:
    workspace = workspace_of([risk_data("BAF-WITH-A-LONG-ID-1", "If " + "very " * 40 + "long then it wraps")])
    summary = build_summary(workspace, today=ON)
    plain = render_text(summary, width=80, target=True)
    assert max(cell_len(line) for line in plain.splitlines()) <= 80
    assert "\x1b" not in plain
    coloured = render_text(summary, width=80, color_system="truecolor")
    assert "\x1b[" in coloured
    assert "48;2;239;108;0" in coloured  # the High band (#ef6c00) behind 4x3=12
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert [line.rstrip() for line in stripped.splitlines()] == render_text(summary, width=80).splitlines()


def test_json_is_stable_and_complete() -> None:
    workspace = workspace_of([risk_data("BAF1", "If one then one", extra={"keyword": "one then"})])
    data = json.loads(render_json(build_summary(workspace, today=ON)))
    assert list(data) == sorted(data)
    assert data["version"] == 1
    row = data["registers"][0]["sections"][0]["risks"][0]
    assert row == {
        "appetite": "Cautious",
        "current": {"band": "High", "colour": "#ef6c00", "consequence": 4, "likelihood": 3, "score": 12},
        "flags": [],
        "id": "BAF1",
        "in_breach": False,
        "keyword": "one then",
        "movement": None,
        "previous_score": None,
        "register": "TEST",
        "status": "approved",
        "target": {"band": "High", "colour": "#ef6c00", "consequence": 4, "likelihood": 2, "score": 8},
        "title": "If one then one",
        "tolerance": 12,
    }


def test_markdown_emphasises_the_keyword() -> None:
    workspace = workspace_of(
        [risk_data("BAF1", "If we fail digital transformation, we fall", extra={"keyword": "digital transformation"})]
    )
    text = render_markdown(build_summary(workspace, today=ON))
    assert (
        "| BAF1 | If we fail **digital transformation**, we fall | 4x3=12 | High | 4x2=8 | 12 | Cautious | within |"
        in text
    )


def test_csv_has_one_row_per_risk() -> None:
    workspace = workspace_of([risk_data("BAF1", "If one then one"), risk_data("BAF2", "If two then two", theme="V")])
    rows = list(csv.DictReader(io.StringIO(render_csv(build_summary(workspace, today=ON)))))
    assert [(r["id"], r["section"], r["current_score"], r["in_breach"]) for r in rows] == [
        ("BAF1", "1", "12", "no"),
        ("BAF2", "2", "12", "no"),
    ]


def test_html_summary_is_standalone_with_the_heat_map() -> None:
    workspace = workspace_of([risk_data("BAF1", "If one then one")])
    html = render_html(build_summary(workspace, today=ON), target=True)
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "default-src &#x27;none&#x27;" in html
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "→BAF1" in heatmap_svg(build_summary(workspace, today=ON).registers[0].heatmap, target=True)


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_every_format_runs(runner: CliRunner) -> None:
    for fmt in ("text", "markdown", "csv", "json", "html"):
        result = runner.invoke(app, ["summary", str(GROUP_BAF), "--format", fmt, "--as-of", "2026-01-29"])
        assert (result.exit_code, result.stderr) == (0, ""), fmt
        assert "GROUP-BAF-3" in result.stdout


def test_output_is_deterministic(runner: CliRunner) -> None:
    first = runner.invoke(app, ["summary", str(GROUP_BAF), "--format", "html", "--as-of", "2026-01-29"])
    second = runner.invoke(app, ["summary", str(GROUP_BAF), "--format", "html", "--as-of", "2026-01-29"])
    assert first.stdout == second.stdout


def test_a_register_with_errors_prints_nothing(runner: CliRunner, tmp_path: Path) -> None:
    files = synthetic_register([risk_data("BAF1", "If one then one")])
    for name, text in files.items():
        target = tmp_path / "reg" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            text.replace('"consequence": 4', '"consequence": 7').replace("consequence: 4", "consequence: 7")
        )
    result = runner.invoke(app, ["summary", str(tmp_path / "reg")])
    assert result.exit_code == ExitCode.FINDINGS
    assert result.stdout == ""
    assert result.stderr.endswith(
        "bafctl: error: no summary: fix the errors above (`bafctl check` lists every problem)\n"
    )
    assert "must be less than or equal to 5" in result.stderr


def test_since_an_unknown_revision_is_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write_register("reg", synthetic_register([risk_data("BAF1", "If one then one")]))
    repo.commit("first")
    monkeypatch.chdir(repo.root)
    result = runner.invoke(app, ["summary", "reg", "--since", "no-such-tag"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr.startswith("bafctl: error: unknown revision 'no-such-tag'")
    assert result.stderr.count("\n") == 1


def test_since_outside_git_is_a_usage_error(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in synthetic_register([risk_data("BAF1", "If one then one")]).items():
        target = tmp_path / "reg" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["summary", "reg", "--since", "HEAD"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert "not in a git repository" in result.stderr
