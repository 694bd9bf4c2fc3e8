"""Which registers a command reads when given no path, or a path inside a register."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from conftest import FIXTURES, GROUP_BAF


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository with the Group BAF under registers/ and an older copy under tests/."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(GROUP_BAF, tmp_path / "registers" / "group-baf")
    shutil.copytree(FIXTURES / "group-baf-2025-09", tmp_path / "tests" / "fixtures" / "group-baf-2025-09")
    return tmp_path


def test_no_path_reads_the_registers_folder_not_fixtures(
    repository: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository)
    result = runner.invoke(app, ["check", "--as-of", "2026-01-29", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"files": 7' in result.stdout
    assert "tests/fixtures" not in result.stdout


def test_no_path_inside_a_register_reads_that_register(
    repository: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository / "registers" / "group-baf" / "risks")
    result = runner.invoke(app, ["check", "--as-of", "2026-01-29"])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("0 errors, 22 warnings, 0 info in 7 files\n")
    assert "register-missing" not in result.stdout


def test_without_a_registers_folder_every_register_is_read(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    shutil.copytree(GROUP_BAF, tmp_path / "baf" / "group")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "--as-of", "2026-01-29"])
    assert result.exit_code == 0, result.output
    assert "baf/group/risks/GROUP-BAF-1.yaml" in result.stdout
