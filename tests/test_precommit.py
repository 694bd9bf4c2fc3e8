"""The pre-commit hook, run by the real `pre-commit` tool in a temporary repository (issue 6)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.yamlio import parse_yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")

pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is in the test extras: pip install -e '.[test]'")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "BAFCTL_TODAY": "2026-01-29"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture
def repo(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A register repository from `bafctl init`, in git, with the hook installed."""
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-29")
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    for args in (["git", "init", "-q"], ["git", "add", "-A"], [str(PRE_COMMIT), "install"]):
        done = _run(args, tmp_path)
        assert done.returncode == 0, done.stderr
    return tmp_path


def test_the_hooks_file_declares_bafctl_check() -> None:
    parsed = parse_yaml((REPO_ROOT / ".pre-commit-hooks.yaml").read_bytes())
    assert parsed.ok
    (hook,) = parsed.value
    assert hook["id"] == "bafctl-check"
    assert hook["entry"] == "bafctl check"
    assert hook["files"] == r"\.ya?ml$"
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True
    assert hook["language"] == "python"


def test_init_config_matches_the_published_hook(repo: Path) -> None:
    published = parse_yaml((REPO_ROOT / ".pre-commit-hooks.yaml").read_bytes()).value[0]
    (local,) = parse_yaml((repo / ".pre-commit-config.yaml").read_bytes()).value["repos"][0]["hooks"]
    for key in ("id", "entry", "files", "pass_filenames", "require_serial"):
        assert local[key] == published[key]


def test_pre_commit_runs_bafctl_on_the_new_repository(repo: Path) -> None:
    done = _run([str(PRE_COMMIT), "run", "--all-files"], repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bafctl check" in done.stdout and "Passed" in done.stdout


def test_a_commit_that_breaks_a_register_is_stopped_at_its_line(repo: Path) -> None:
    assert _run(["git", "commit", "-q", "-m", "Start the BAF"], repo).returncode == 0
    risk = repo / "registers/baf/risks/BAF01.yaml"
    text = risk.read_text(encoding="utf-8")
    risk.write_text(
        text.replace("current: {consequence: 4, likelihood: 3}", "current: {consequence: 4, likelihood: 7}")
    )
    _run(["git", "add", "-A"], repo)
    done = _run(["git", "commit", "-m", "Rescore BAF01"], repo)
    output = done.stdout + done.stderr  # git shows the hook's output on stderr
    assert done.returncode == 1
    line = next(n for n, row in enumerate(risk.read_text().splitlines(), start=1) if "likelihood: 7" in row)
    assert f"registers/baf/risks/BAF01.yaml:{line}:" in output
    assert "error: risk BAF01: assessments.current.likelihood" in output
    assert "bafctl check....." in output and "Failed" in output
    head = _run(["git", "log", "--oneline"], repo).stdout.splitlines()
    assert len(head) == 1  # the commit did not happen


def test_changing_only_files_outside_registers_passes(repo: Path) -> None:
    assert _run(["git", "commit", "-q", "-m", "Start the BAF"], repo).returncode == 0
    workflow = repo / ".github/workflows/bafctl.yml"
    workflow.write_text(workflow.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    _run(["git", "add", "-A"], repo)
    done = _run(["git", "commit", "-m", "Tweak CI"], repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bafctl check....." in done.stderr and "Passed" in done.stderr


def test_check_given_files_checks_their_registers_and_skips_the_rest(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-29")
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", ".pre-commit-config.yaml", "registers/baf/risks/BAF01.yaml"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "0 errors, 0 warnings, 0 info in 2 files\n",
        "bafctl: skipped .pre-commit-config.yaml: not inside a register\n",
    )
    only_outside = runner.invoke(app, ["check", ".github/workflows/bafctl.yml"])
    assert (only_outside.exit_code, only_outside.stdout) == (0, "0 errors, 0 warnings, 0 info in 0 files\n")
    folder = runner.invoke(app, ["check", "schemas"])  # a folder with no register is still an error
    assert folder.exit_code == 2
    assert folder.stderr.startswith("bafctl: error: schemas: not inside a register")
