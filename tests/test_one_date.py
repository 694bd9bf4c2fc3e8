"""One date for every command: `--as-of`, else `as_of` in bafctl.toml, else today (BAFCTL_TODAY)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from conftest import GROUP_BAF
from gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The Group BAF committed in a repository whose bafctl.toml judges it as of 2026-01-29."""
    repository = GitRepo(tmp_path / "repo")
    shutil.copytree(GROUP_BAF, repository.root / "registers" / "group-baf")
    (repository.root / "bafctl.toml").write_text("as_of = 2026-01-29\n", encoding="utf-8")
    repository.commit("the register", date=dt.datetime(2026, 1, 20, 10, 0))
    monkeypatch.chdir(repository.root)
    monkeypatch.setenv("BAFCTL_TODAY", "2026-12-06")  # "today", long after the board
    return repository


def test_every_command_judges_the_configured_date(runner: CliRunner, repo: GitRepo) -> None:
    """Guards: CI's `check` passed while `breaches` judged the same repository as of today."""
    summary = runner.invoke(app, ["summary", "registers", "--format", "json"])
    assert summary.exit_code == 0, summary.output
    assert json.loads(summary.stdout)["as_of"] == "2026-01-29"
    exported = runner.invoke(app, ["export", "registers"])
    assert json.loads(exported.stdout)["as_of"] == "2026-01-29"
    breaches = runner.invoke(app, ["breaches", "registers", "--format", "json"])
    assert json.loads(breaches.stdout)["as_of"] == "2026-01-29"
    for command in (["check", "registers"], ["breaches", "registers"], ["summary", "registers"]):
        configured = runner.invoke(app, command)
        explicit = runner.invoke(app, [*command, "--as-of", "2026-01-29"])
        assert (configured.exit_code, configured.stdout) == (explicit.exit_code, explicit.stdout), command


def test_the_command_line_wins_over_the_file(runner: CliRunner, repo: GitRepo) -> None:
    breaches = runner.invoke(app, ["breaches", "registers", "--format", "json", "--as-of", "2026-03-01"])
    assert json.loads(breaches.stdout)["as_of"] == "2026-03-01"
    exported = runner.invoke(app, ["export", "registers", "--as-of", "2026-03-01"])
    assert json.loads(exported.stdout)["as_of"] == "2026-03-01"


def test_diff_judges_overdue_actions_on_the_configured_date(runner: CliRunner, repo: GitRepo) -> None:
    as_configured = runner.invoke(app, ["diff", "--format", "json"])
    assert as_configured.exit_code == 0, as_configured.output
    assert json.loads(as_configured.stdout)["as_of"] == "2026-01-29"
    given = runner.invoke(app, ["diff", "--format", "json", "--as-of", "2026-12-06"])
    assert json.loads(given.stdout)["as_of"] == "2026-12-06"
