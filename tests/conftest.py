"""Shared fixtures: an isolated environment, the bundled registers, a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parent.parent
REGISTERS = REPO_ROOT / "registers"
GROUP_BAF = REGISTERS / "group-baf"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Scale of the heavier property and crash tests: 1 in CI, 4 or more nightly (README).
SCALE = max(1, int(os.environ.get("BAFCTL_TEST_SCALE", "1")))


#: Settings a developer may give the suite itself (the browser, snapshot updates, artefacts).
_DEVELOPER_SETTINGS = frozenset({"BAFCTL_CHROMIUM", "BAFCTL_TEST_SCALE", "BAFCTL_UPDATE_SNAPSHOTS", "BAFCTL_ARTIFACTS"})


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep developers' git config, colours and terminal width out of every test."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n")
    for name in list(os.environ):
        if (name.startswith(("GIT_", "BAFCTL_")) and name not in _DEVELOPER_SETTINGS) or name.startswith("GITHUB_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))


@pytest.fixture
def runner() -> CliRunner:
    """A Typer CLI runner (stdout and stderr kept apart)."""
    return CliRunner()


@pytest.fixture
def group_baf(tmp_path: Path) -> Iterator[Path]:
    """A private copy of the bundled Group BAF register, safe to edit."""
    target = tmp_path / "registers" / "group-baf"
    shutil.copytree(GROUP_BAF, target)
    yield target
