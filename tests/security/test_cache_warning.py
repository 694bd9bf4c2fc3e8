"""A cache folder that others may write is bypassed with exactly one warning (issue 11 #1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app

REGISTERS = Path(__file__).resolve().parents[2] / "registers"


@pytest.mark.parametrize("command", [["check"], ["summary"], ["breaches"], ["export"]])
def test_a_world_writable_cache_folder_is_bypassed_with_one_warning(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 11 #1: another local user could replace a pack in a shared cache folder."""
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    shared.chmod(0o777)  # the attack under test: a folder any local user may write
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-31")
    runner = CliRunner()
    monkeypatch.setenv("BAFCTL_NO_CACHE", "1")
    uncached = runner.invoke(app, [*command, str(REGISTERS)])
    monkeypatch.delenv("BAFCTL_NO_CACHE")
    monkeypatch.setenv("BAFCTL_CACHE_DIR", str(shared))
    result = runner.invoke(app, [*command, str(REGISTERS)])
    warnings = [line for line in result.stderr.splitlines() if line.startswith("bafctl: warning:")]
    assert warnings == [
        f"bafctl: warning: cache folder {shared} is writable by other users (mode 0777); the cache is bypassed"
    ]
    assert (result.exit_code, result.stdout) == (uncached.exit_code, uncached.stdout)
    assert list(shared.iterdir()) == []  # nothing written into it


def test_a_private_cache_folder_gives_no_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warning is for unsafe folders only: a normal run stays quiet on stderr."""
    monkeypatch.setenv("BAFCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-31")
    monkeypatch.delenv("BAFCTL_NO_CACHE", raising=False)  # `--no-cache` in an earlier test sets it
    result = CliRunner().invoke(app, ["check", str(REGISTERS)])
    assert "warning: cache" not in result.stderr
    assert (tmp_path / "cache").is_dir()
