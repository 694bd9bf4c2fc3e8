"""The README stays true to the CLI: every command is documented, the Quickstart is what CI runs."""

from __future__ import annotations

import re

import pytest
import typer.main

from bafctl.cli import app
from bafctl.errors import ExitCode
from conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_readme_section_and_help(command: str) -> None:
    assert re.search(rf"^### .*`bafctl {command}[` ]", README, re.MULTILINE), f"README lacks a section for {command}"
    assert typer.main.get_command(app).commands[command].help  # type: ignore[attr-defined]


def test_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert len(lines) == 2
    assert "bafctl check registers/" in lines[0]
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert lines[1] in ci


def test_exit_code_table_matches_the_enum() -> None:
    table = README.split("## Exit codes", 1)[1].split("##", 1)[0]
    codes = [int(m) for m in re.findall(r"^\| (\d) \|", table, re.MULTILINE)]
    assert codes == [int(c) for c in ExitCode]


def test_changelog_has_an_unreleased_section() -> None:
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
