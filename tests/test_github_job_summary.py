"""GitHub Actions: the job summary lists every finding and breach; files are named from the repository root."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from conftest import GROUP_BAF

AS_OF = "2026-01-29"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository folder (a bare `.git` marker is enough for the root) holding the Group BAF."""
    root = tmp_path / "repo"
    shutil.copytree(GROUP_BAF, root / "registers" / "group-baf")
    (root / ".git").mkdir()
    return root


def test_check_appends_every_finding_to_the_job_summary(
    runner: CliRunner, repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## an earlier step\n", encoding="utf-8")
    monkeypatch.chdir(repository)
    result = runner.invoke(
        app,
        ["check", "registers", "--as-of", AS_OF, "--format", "parsable"],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 0, result.output
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## an earlier step\n## bafctl check\n")  # appended, never overwritten
    listed = [line for line in text.splitlines() if line.startswith("| warning |")]
    printed = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(listed) == len(printed) > 10  # more than GitHub's ten annotations a step


def test_breaches_appends_its_report(
    runner: CliRunner, repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.chdir(repository)
    result = runner.invoke(app, ["breaches", "registers", "--as-of", AS_OF], env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1  # the draft risk is in breach
    assert "GROUP-BAF-DRAFT" in summary.read_text(encoding="utf-8")


def test_an_unwritable_job_summary_is_a_warning_not_a_failure(
    runner: CliRunner, repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository)
    missing = repository / "no-such-folder" / "summary.md"
    result = runner.invoke(app, ["check", "registers", "--as-of", AS_OF], env={"GITHUB_STEP_SUMMARY": str(missing)})
    assert result.exit_code == 0
    assert "bafctl: warning: cannot write the job summary" in result.stderr


@pytest.mark.parametrize("output_format", ["parsable", "github", "sarif", "junit"])
def test_files_are_named_from_the_repository_root(
    runner: CliRunner, repository: Path, output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards: `check .` run in registers/group-baf/ gave `risks/B-date.yaml`, which code scanning cannot place."""
    monkeypatch.chdir(repository / "registers" / "group-baf")
    result = runner.invoke(app, ["check", ".", "--as-of", AS_OF, "--format", output_format])
    assert result.exit_code == 0, result.output
    assert "registers/group-baf/risks/" in result.stdout
    if output_format == "sarif":
        run = json.loads(result.stdout)["runs"][0]
        assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == repository.resolve().as_uri() + "/"
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
        assert all(uri.startswith("registers/group-baf/") for uri in uris)


def test_the_ci_workspace_is_the_root_when_given(
    runner: CliRunner, repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository / "registers")
    result = runner.invoke(
        app,
        ["check", "group-baf", "--as-of", AS_OF, "--format", "parsable"],
        env={"GITHUB_WORKSPACE": str(repository / "registers")},
    )
    assert result.exit_code == 0
    assert all(line.startswith("group-baf/risks/") for line in result.stdout.splitlines() if line.strip())
