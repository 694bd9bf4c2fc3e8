"""`bafctl history` end to end, in real temporary repositories."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.errors import ExitCode
from gitrepo import GitRepo, group_baf_repo

RISK3 = "registers/group-baf/risks/GROUP-BAF-3.yaml"


def set_current(repo: GitRepo, consequence: int, likelihood: int) -> None:
    path = repo.root / RISK3
    new, count = re.subn(
        r"(  current:.*\n    consequence: )\d(\n    likelihood: )\d",
        rf"\g<1>{consequence}\g<2>{likelihood}",
        path.read_text(),
        count=1,
    )
    assert count == 1
    path.write_text(new)


@pytest.fixture
def rescored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The Group BAF, then GROUP-BAF-3 rescored twice and edited once without a rescore."""
    repo = group_baf_repo(tmp_path / "baf")
    set_current(repo, 4, 4)
    repo.commit("GROUP-BAF-3 up after the research funding loss", author="Medical Director")
    path = repo.root / RISK3
    path.write_text(path.read_text().replace("PSIRP", "PSIRP (patient safety incident response plan)"))
    repo.commit("Spell out PSIRP")
    set_current(repo, 4, 2)
    repo.commit("GROUP-BAF-3 down: university status approved")
    monkeypatch.chdir(repo.root)
    return repo


def test_text_lists_each_rescore_with_a_sparkline(runner: CliRunner, rescored: GitRepo) -> None:
    result = runner.invoke(app, ["history", "GROUP-BAF-3"])
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("History of GROUP-BAF-3: If we are unable to build a sustainable approach")
    assert "research, innovation and professional learning capability" in lines[0]
    assert re.split(r"\s{2,}", lines[1]) == [
        "date",
        "commit",
        "author",
        "initial",
        "current",
        "target",
        "tolerance",
        "event",
    ]
    rows = [re.split(r"\s{2,}", line) for line in lines[2:-1]]
    assert [(r[0], r[3], r[4], r[5], r[-1]) for r in rows] == [
        ("2025-09-25", "4x4=16", "4x3=12", "4x2=8", "added"),
        (rows[1][0], "4x4=16", "4x4=16 ↑", "4x2=8", "rescored"),
        (rows[2][0], "4x4=16", "4x2=8 ↓", "4x2=8", "rescored"),
    ]
    assert rows[1][2] == "Medical Director"
    assert lines[-1] == "Current score: ▄▅▃  (12 → 16 → 8)"


def test_since_a_board_tag(runner: CliRunner, rescored: GitRepo) -> None:
    result = runner.invoke(app, ["history", "GROUP-BAF-3", "--since", "board-2026-01"])
    assert result.exit_code == 0
    assert re.search(r"^Since board-2026-01 \([0-9a-f]{7,}\): current 4x3=12 \(High\)$", result.stdout, re.M)
    assert result.stdout.count("rescored") == 2
    nothing = runner.invoke(app, ["history", "GROUP-BAF-1", "--since", "board-2026-01"])
    assert nothing.exit_code == 0
    assert "No change since then." in nothing.stdout


def test_csv_and_json(runner: CliRunner, rescored: GitRepo) -> None:
    result = runner.invoke(app, ["history", "GROUP-BAF-3", "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["event"], r["current"], r["current_score"]) for r in rows] == [
        ("added", "4x3", "12"),
        ("rescored", "4x4", "16"),
        ("rescored", "4x2", "8"),
    ]
    assert rows[1]["subject"] == "GROUP-BAF-3 up after the research funding loss"
    data = json.loads(runner.invoke(app, ["history", "GROUP-BAF-3", "-f", "json"]).stdout)
    assert data["trend"] == [12, 16, 8]
    assert [e["event"] for e in data["entries"]] == ["added", "rescored", "rescored"]
    assert data["entries"][1]["state"]["current"] == {"consequence": 4, "likelihood": 4, "score": 16}
    assert data["entries"][1]["previous"]["current"]["score"] == 12


def test_the_workforce_risk_appears_in_january(runner: CliRunner, rescored: GitRepo) -> None:
    result = runner.invoke(app, ["history", "GROUP-BAF-DRAFT", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["date"], r["event"], r["current"], r["tolerance"]) for r in rows] == [
        ("2026-01-19", "added", "5x4", "16")
    ]


def test_unknown_risk_and_bad_arguments(runner: CliRunner, rescored: GitRepo) -> None:
    unknown = runner.invoke(app, ["history", "GROUP-BAF-99"])
    assert (unknown.exit_code, unknown.stdout) == (ExitCode.USAGE, "")
    assert unknown.stderr.startswith("bafctl: error: no risk 'GROUP-BAF-99' in the history of this repository")
    bad_id = runner.invoke(app, ["history", "BAF 3"])
    assert bad_id.exit_code == ExitCode.USAGE
    assert "is not a risk ID" in bad_id.stderr
    unsafe = runner.invoke(app, ["history", "GROUP-BAF-3", "--since=--output=x"])
    assert unsafe.exit_code == ExitCode.USAGE
    assert "may not start with '-'" in unsafe.stderr
    assert not (rescored.root / "x").exists()


def test_shallow_clone(runner: CliRunner, rescored: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clone = rescored.clone_shallow(tmp_path / "ci")
    monkeypatch.chdir(clone)
    result = runner.invoke(app, ["history", "GROUP-BAF-3"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr == (
        "bafctl: error: history needs the full history: shallow clone: "
        "set fetch-depth: 0 (GitHub Actions) or run `git fetch --unshallow`\n"
    )


def test_paths_after_dash_dash(runner: CliRunner, rescored: GitRepo) -> None:
    result = runner.invoke(app, ["history", "GROUP-BAF-3", "--format", "csv", "--", "registers/group-baf"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 4
    elsewhere = runner.invoke(app, ["history", "GROUP-BAF-3", "--", "docs"])
    assert elsewhere.exit_code == ExitCode.USAGE
