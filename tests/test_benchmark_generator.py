"""The benchmark's generated registers are valid and realistic; the benchmark script runs."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from bafctl.checks import run_checks
from bafctl.cli import app
from bafctl.findings import Level
from bafctl.loader import load_workspace

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    # benchmarks/ is not a package: load its modules by path, as run.py does.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


generate = _load("generate")
run = _load("run")


def _workspace(kind: str, count: int) -> Any:
    files = generate.register_files(count, kind)
    return load_workspace({f"reg/{path}": text.encode() for path, text in files.items()})


@pytest.mark.parametrize("kind", ["baf", "ops"])
def test_generated_register_loads_without_errors(kind: str) -> None:
    workspace = _workspace(kind, 12)
    assert [f for f in workspace.findings if f.level is Level.ERROR] == []
    assert workspace.findings == []
    (register,) = workspace.registers
    assert len(register.risks) == 12
    rule_findings = run_checks(workspace, today=generate.AS_OF)
    assert [f for f in rule_findings if f.level is Level.ERROR] == []


def test_scores_are_varied_and_some_risks_are_out_of_appetite() -> None:
    workspace = _workspace("baf", 80)
    currents = {lr.risk.assessments.current.computed_score for _, lr in workspace.risks()}
    assert len(currents) >= 6
    rules = {f.rule for f in run_checks(workspace, today=generate.AS_OF)}
    assert "appetite-breach" in rules


@pytest.mark.parametrize(("kind", "low", "high"), [("baf", 6000, 9000), ("ops", 1200, 2200)])
def test_entries_have_realistic_sizes(kind: str, low: int, high: int) -> None:
    files = generate.register_files(60, kind)
    sizes = [len(text.encode()) for path, text in files.items() if path.startswith("risks/")]
    assert low <= sum(sizes) / len(sizes) <= high


def test_baf_entries_have_the_shape_of_a_baf_page() -> None:
    risk = _workspace("baf", 3).registers[0].risks[0].risk
    assert 3 <= len(risk.threads) <= 5
    assert risk.effects
    lines = {a.line for t in risk.threads for a in t.assurances}
    assert lines == {1, 2, 3}
    assert all(t.controls and t.control_gaps and t.actions and t.progress for t in risk.threads)
    assert all(a.owner and a.due for a in risk.actions)


def test_generation_is_deterministic() -> None:
    assert generate.register_files(5, "baf") == generate.register_files(5, "baf")
    assert generate.register_files(5, "baf", seed=1) != generate.register_files(5, "baf")


def test_cli_check_exits_zero_on_a_written_register(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = generate.write_register(tmp_path / "ops-register", 6, "ops")
    monkeypatch.setenv("BAFCTL_TODAY", generate.AS_OF.isoformat())
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.stdout


def test_rescored_changes_only_the_current_assessment_and_date() -> None:
    risk = generate.make_risk(3, "baf", 10)
    new = generate.rescored(risk, random.Random(1), generate.AS_OF)
    assert new["assessments"]["current"] != risk["assessments"]["current"]
    assert new["assessments"]["initial"] == risk["assessments"]["initial"]
    assert {k for k in risk if risk[k] != new[k]} == {"assessments", "last_updated"}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def test_register_repo_has_two_revisions(tmp_path: Path) -> None:
    repo = generate.write_register_repo(tmp_path / "repo", 20, "baf", changed=3)
    assert _git(repo, "rev-list", "--count", "HEAD").strip() == "2"
    changed = _git(repo, "diff", "--name-status", "HEAD~1", "HEAD").split("\n")
    statuses = sorted(line.split("\t")[0] for line in changed if line)
    assert statuses == ["A", "M", "M", "M"]
    assert _git(repo, "status", "--porcelain") == ""


def test_history_repo_rescores_a_few_risks_a_commit(tmp_path: Path) -> None:
    repo = generate.write_history_repo(tmp_path / "history", count=8, commits=12)
    assert _git(repo, "rev-list", "--count", "HEAD").strip() == "12"
    log = _git(repo, "log", "--format=@%s", "--name-only", "HEAD~10..HEAD")
    commits: list[list[str]] = []
    for line in log.splitlines():
        if line.startswith("@"):
            commits.append([line[1:]])
        elif line:
            commits[-1].append(line)
    assert len(commits) == 10
    for subject, *names in commits:
        assert subject == "Rescore " + ", ".join(Path(n).stem for n in names)
        assert 2 <= len(names) <= 4
    files = {f"h/{p}": (repo / p).read_bytes() for p in _git(repo, "ls-files").split()}
    assert load_workspace(files).findings == []


def test_targets_judge_pass_fail_and_growth_on_wall_and_cpu_time() -> None:
    def result(name: str, wall: float, cpu: float, kind: str | None = None, size: int | None = None) -> Any:
        return run.Result(name, [name], size, kind, times=[wall], cpu=[cpu], rss_kb=[600 * 1024], exit_codes=[0])

    results = [
        result("python -c pass", 0.02, 0.01),
        result("help", 0.2, 0.12),
        result("check cold", 0.5, 0.4, "baf", 500),
        result("check cold", 4.0, 3.0, "baf", 5000),
        result("check warm", 1.5, 0.9, "baf", 5000),
        result("check-jsonschema", 40.0, 30.0, "baf", 5000),
        result("history, 30 commits of 20 risks", 0.3, 0.2),
    ]
    rows = {target: rest for target, *rest in run.targets(results, [500, 5000])}
    assert rows["check of 5,000 BAF risks, cold: ≤ 5 s"] == ["4.00 s (cpu 3.00 s)", "pass", "pass"]
    assert rows["check of 5,000 BAF risks, warm: ≤ 1 s"] == ["1.50 s (cpu 900 ms)", "**fail**", "pass"]
    assert rows["check cold ≤ ⅓ of check-jsonschema (5,000)"] == ["0.10× (cpu 0.10×)", "pass", "pass"]
    assert rows["`bafctl --help`: ≤ 150 ms over bare Python"] == [
        "200 ms (cpu 120 ms); over bare Python: 180 ms (cpu 110 ms)",
        "**fail**",
        "pass",
    ]
    assert rows["growth, check cold baf 500 → 5,000 (10× risks): ≤ 11×"] == ["8.00× (cpu 7.50×)", "pass", "pass"]
    # Only the 1,000-commit history counts for the history target.
    assert rows["history over 1,000 commits of 200 risks: ≤ 1 s"][1:] == ["not measured", "not measured"]
    assert rows["peak memory, any bafctl command on 5,000 risks: ≤ 500 MB"] == ["600 MB", "**fail**", "**fail**"]


def test_bafctl_probe_sees_commands_and_options() -> None:
    probe = run.Bafctl(Path(sys.executable).parent / "bafctl", {**run.os.environ})
    assert probe.has("check")
    assert not probe.has("no-such-command")
    assert probe.has_option("check", "--format")
    assert not probe.has_option("check", "--no-such-option")


def test_quick_run_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "--quick",
            "--no-peers",
            "--sizes",
            "4",
            "--kinds",
            "baf",
            "--only",
            "python,check,rescore,no-such-command",
            "--work",
            str(tmp_path / "work"),
            "--json",
            str(out),
            "--snapshot",
            "HEAD",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "## Targets (issue 7)" in done.stdout
    assert "| `check cold` | " in done.stdout
    payload = json.loads(out.read_text())
    names = {(r["name"], r["status"]) for r in payload["results"]}
    assert ("check cold", "ok") in names
    assert ("check warm", "ok") in names
    assert ("rescore", "ok") in names
    assert all(r["median"] > 0 for r in payload["results"] if r["status"] == "ok")
    assert payload["machine"]["nproc"].isdigit()
    assert payload["machine"]["bafctl source"].startswith("commit ")
