"""The bundled registers/ (issue 2 acceptance): they check clean and export the paper's scores.

The LPT/NHFT Group BAF of January 2026 (the public board paper): five Group BAF risks and the
draft workforce risk of Appendix A, each with the board's "Open, upper limit of tolerance 16".
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.findings import Level
from bafctl.loader import load_paths
from conftest import REGISTERS, REPO_ROOT

#: Initial, current and target scores as the paper prints them ("Combined").
PAPER_SCORES = {
    "GROUP-BAF-1": (20, 16, 8),
    "GROUP-BAF-2": (20, 8, 8),
    "GROUP-BAF-3": (16, 12, 8),
    "GROUP-BAF-4": (16, 12, 8),
    "GROUP-BAF-5": (12, 12, 12),
    "GROUP-BAF-DRAFT": (25, 20, 15),
}


@pytest.fixture(autouse=True)
def _from_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)


def test_check_registers_exits_0(runner: CliRunner) -> None:
    # As the acceptance runs it: today's date, default settings.
    result = runner.invoke(app, ["check", "registers/"])
    assert result.exit_code == 0, result.stdout
    assert result.stderr == ""
    assert " 0 errors, " in f" {result.stdout.splitlines()[-1]}"


def test_every_file_under_registers_validates() -> None:
    workspace = load_paths([REGISTERS], REPO_ROOT)
    on_disk = sorted(p.relative_to(REPO_ROOT).as_posix() for p in REGISTERS.rglob("*.y*ml"))
    assert sorted(workspace.files) == on_disk
    assert [f for f in workspace.findings if f.level is Level.ERROR] == []
    assert all(parsed.ok for parsed in workspace.files.values())
    loaded = {reg.settings_path for reg in workspace.registers} | {lr.path for _, lr in workspace.risks()}
    assert loaded == set(on_disk)


def test_export_gives_the_papers_scores(runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "registers/", "--format", "json"])
    assert (result.exit_code, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    risks = {risk["id"]: risk for reg in document["registers"] for risk in reg["risks"]}
    scores = {
        risk_id: tuple(risk["scores"][name]["score"] for name in ("initial", "current", "target"))
        for risk_id, risk in risks.items()
    }
    assert scores == PAPER_SCORES
    assert {risk_id: risk["appetite"]["tolerance"] for risk_id, risk in risks.items()} == dict.fromkeys(
        PAPER_SCORES, 16
    )
    assert {risk_id: risk["appetite"]["level"] for risk_id, risk in risks.items()} == dict.fromkeys(
        PAPER_SCORES, "open"
    )
    assert risks["GROUP-BAF-DRAFT"]["status"] == "draft"
    assert {risks[r]["status"] for r in PAPER_SCORES if r != "GROUP-BAF-DRAFT"} == {"approved"}
    for risk in risks.values():
        for assessment in risk["scores"].values():
            assert assessment["score"] == assessment["consequence"] * assessment["likelihood"]
