"""`bafctl diff` end to end, in real temporary repositories."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.errors import ExitCode
from gitrepo import GitRepo, group_baf_repo, risk_data, synthetic_register

RISK3 = "registers/group-baf/risks/GROUP-BAF-3.yaml"


@pytest.fixture
def group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = group_baf_repo(tmp_path / "baf")
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-29")
    return repo


def rescore_baf3(repo: GitRepo, likelihood: int) -> None:
    path = repo.root / RISK3
    text = path.read_text()
    new, count = re.subn(r"(  current:.*\n    consequence: 4\n    likelihood: )3", rf"\g<1>{likelihood}", text, count=1)
    assert count == 1
    path.write_text(new)


def test_group_baf_september_to_january(runner: CliRunner, group: GitRepo) -> None:
    result = runner.invoke(app, ["diff", "board-2025-09", "board-2026-01"])
    assert (result.exit_code, result.stderr) == (0, "")
    out = result.stdout
    assert out.startswith("Changes from board-2025-09 (")
    assert "Risks: 1 added, 0 removed, 5 changed, 0 unchanged\n" in out
    assert (
        "title: If we are unable to build a sustainable approach to the continual development our "
        "[-research and innovation-]{+research, innovation and professional learning+} capability" in out
    )
    assert "\nGROUP-BAF-DRAFT added: If we do not effectively embed workforce resourcing strategies" in out
    assert "  current 5x4=20 (Extreme), above tolerance 16; lead Group Chief People Officer\n" in out
    assert out.count(" completed 2025-11-") == 10
    assert out.count(" completed 2025-12-") == 3
    assert (
        "action GROUP-BAF-4.A9 completed 2025-11-30 (lead: Group Chief People Officer): "
        "Freedom to Speak Up Roadshows during October 2025" in out
    )


def test_markdown_is_a_board_paper_section(runner: CliRunner, group: GitRepo) -> None:
    result = runner.invoke(app, ["diff", "board-2025-09", "board-2026-01", "--format", "markdown"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("## BAF changes: board-2025-09 (")
    assert "| Risk | Title | Change | Current score |" in out
    assert "| GROUP-BAF-DRAFT | If we do not effectively embed workforce" in out
    assert "### Changes by risk" in out and "### Action closures" in out
    assert "~~research and innovation~~ **research, innovation and professional learning**" in out
    closures = out.split("### Action closures", 1)[1]
    assert closures.index("#### November 2025") < closures.index("#### December 2025")
    assert "| Risk | Action | Exec Lead |" in closures


def test_json_lists_risk_changes(runner: CliRunner, group: GitRepo) -> None:
    result = runner.invoke(app, ["diff", "board-2025-09", "board-2026-01", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["from"]["revision"], data["to"]["revision"], data["as_of"]) == (
        "board-2025-09",
        "board-2026-01",
        "2026-01-29",
    )
    changes = {r["risk_id"]: r for r in data["risks"]}
    assert changes["GROUP-BAF-DRAFT"]["change"] == "added"
    assert [f["field"] for f in changes["GROUP-BAF-3"]["field_changes"]][:2] == ["title", "keyword"]
    assert len(data["action_closures"]) == 13


def test_a_rescore_shows_the_arrow_and_the_tolerance_crossing(runner: CliRunner, group: GitRepo) -> None:
    rescore_baf3(group, 5)
    group.commit("Rescore GROUP-BAF-3 after the research review")
    result = runner.invoke(app, ["diff", "HEAD~1", "HEAD", "--why"])
    assert result.exit_code == 0, result.stderr
    assert "Risks: 0 added, 0 removed, 1 changed, 5 unchanged\n" in result.stdout
    assert "  current 4x3=12 → 4x5=20 ↑, band High → Extreme, now above tolerance 16\n" in result.stdout
    assert re.search(r"  why: [0-9a-f]{7,} \d{4}-\d\d-\d\d Risk Officer: Rescore GROUP-BAF-3", result.stdout)
    data = json.loads(runner.invoke(app, ["diff", "HEAD~1", "HEAD", "--format=json"]).stdout)
    (change,) = data["risks"]
    assert change["score_changes"] == [
        {
            "assessment": "current",
            "from": {"consequence": 4, "likelihood": 3, "score": 12, "band": "High"},
            "to": {"consequence": 4, "likelihood": 5, "score": 20, "band": "Extreme"},
            "direction": "up",
            "tolerance": 16,
            "crossed_tolerance": "above",
        }
    ]


def test_default_is_head_against_the_working_tree(runner: CliRunner, group: GitRepo) -> None:
    clean = runner.invoke(app, ["diff"])
    assert (clean.exit_code, clean.stderr) == (0, "")
    assert "to working tree (clean)" in clean.stdout and "No changes to the registers." in clean.stdout
    rescore_baf3(group, 2)
    dirty = runner.invoke(app, ["diff"])
    assert dirty.exit_code == 0
    assert "to working tree (uncommitted changes)" in dirty.stdout
    assert "  current 4x3=12 → 4x2=8 ↓\n" in dirty.stdout
    one = runner.invoke(app, ["diff", "board-2025-09"])
    assert "current 4x3=12 → 4x2=8 ↓" in one.stdout and "GROUP-BAF-DRAFT added" in one.stdout


def test_paths_after_dash_dash(runner: CliRunner, group: GitRepo) -> None:
    result = runner.invoke(app, ["diff", "board-2025-09", "board-2026-01", "--", "registers/group-baf"])
    assert result.exit_code == 0
    assert "Risks: 1 added, 0 removed, 5 changed" in result.stdout
    elsewhere = runner.invoke(app, ["diff", "board-2025-09", "--", "no/such/register"])
    assert elsewhere.exit_code == ExitCode.USAGE
    assert elsewhere.stderr.startswith("bafctl: error: no register in no/such/register at board-2025-09")


def test_shallow_clone_exits_2_with_the_fetch_depth_hint(
    runner: CliRunner, group: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = group.clone_shallow(tmp_path / "ci-checkout")
    monkeypatch.chdir(clone)
    result = runner.invoke(app, ["diff", "HEAD~1", "HEAD"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr == (
        "bafctl: error: revision 'HEAD~1' is not in this clone's history: shallow clone: "
        "set fetch-depth: 0 (GitHub Actions) or run `git fetch --unshallow`\n"
    )
    assert "Traceback" not in result.output


REVISIONS = ["--output={victim}", "-p", "HEAD;id", "$(id)", "--upload-pack=touch x", "ext::sh -c id", "HEAD:../x"]


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = GitRepo(tmp_path / "small")
    repo.write_register("reg", synthetic_register([risk_data("BAF1", "If a, then b.")]))
    repo.commit("one")
    repo.commit("two")
    monkeypatch.chdir(repo.root)
    return repo


@pytest.mark.parametrize("template", REVISIONS)
@pytest.mark.parametrize("position", ["first", "second"])
def test_unsafe_revisions_exit_2_and_touch_nothing(
    runner: CliRunner, small: GitRepo, tmp_path: Path, template: str, position: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("the board's only copy\n")
    before = hashlib.sha256(victim.read_bytes()).hexdigest()
    revision = template.format(victim=victim)
    args = ["diff", revision] if position == "first" else ["diff", "HEAD", revision]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert ("No such option" in result.stderr) or result.stderr.startswith("bafctl: error: ")
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == before
    assert not (small.root / "x").exists()


def test_outside_a_repository(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["diff"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith(f"bafctl: error: {tmp_path.resolve()}: not in a git repository")


def test_too_many_revisions(runner: CliRunner, group: GitRepo) -> None:
    result = runner.invoke(app, ["diff", "HEAD", "HEAD", "HEAD"])
    assert (result.exit_code, result.stderr) == (
        ExitCode.USAGE,
        "bafctl: error: diff takes at most two revisions (put paths after `--`)\n",
    )


def test_a_historic_invalid_file_is_a_warning_not_a_crash(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "repo")
    files = synthetic_register([risk_data("BAF1", "If a, then b."), risk_data("BAF2", "If c, then d.")])
    broken = files["risks/baf2.yaml"].replace("likelihood: 3", "likelihood: 30", 1)
    repo.write_register("reg", {**files, "risks/baf2.yaml": broken})
    repo.commit("a typo in BAF2")
    repo.write_register("reg", files)
    repo.write("reg/risks/baf1.yaml", files["risks/baf1.yaml"].replace("likelihood: 3", "likelihood: 4", 1))
    repo.commit("fix BAF2, rescore BAF1")
    monkeypatch.chdir(repo.root)
    result = runner.invoke(app, ["diff", "HEAD~1", "HEAD"])
    assert result.exit_code == 0
    line = broken.splitlines().index("    likelihood: 30") + 1
    assert re.fullmatch(
        rf"bafctl: warning: at HEAD~1 \([0-9a-f]{{7,}}\): reg/risks/baf2\.yaml:{line}:17: risk BAF2: "
        r"assessments\.current\.likelihood: must be less than or equal to 5, got 30 \(schema\)\n",
        result.stderr,
    ), result.stderr
    assert "BAF1 changed" in result.stdout
    assert "BAF2 not compared: reg/risks/baf2.yaml does not load at " in result.stdout
    assert "BAF2 added" not in result.stdout


def test_a_renamed_file_is_the_same_risk_and_a_deleted_one_is_removed(runner: CliRunner, group: GitRepo) -> None:
    group.move(RISK3, "registers/group-baf/archive/research.yaml")
    group.remove("registers/group-baf/risks/GROUP-BAF-5.yaml")
    group.commit("Archive the research risk's file; retire the sustainability risk")
    result = runner.invoke(app, ["diff", "board-2026-01", "HEAD", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    changes = {r["risk_id"]: r for r in data["risks"]}
    assert set(changes) == {"GROUP-BAF-3", "GROUP-BAF-5"}
    assert changes["GROUP-BAF-3"]["change"] == "changed"
    assert changes["GROUP-BAF-3"]["field_changes"] == [
        {"field": "path", "from": RISK3, "to": "registers/group-baf/archive/research.yaml"}
    ]
    assert changes["GROUP-BAF-5"]["change"] == "removed"
    assert changes["GROUP-BAF-5"]["before"]["scores"]["current"]["score"] == 12
    text = runner.invoke(app, ["diff", "board-2026-01", "HEAD"]).stdout
    assert "GROUP-BAF-5 removed (no longer in the register): If we do not continue to strive for sustainability" in text
