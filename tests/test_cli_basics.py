"""The CLI's shape: version, help, exit codes for usage errors."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from bafctl import __version__
from bafctl.cli import app
from bafctl.errors import ExitCode


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"bafctl {__version__}\n")


def test_python_dash_m_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "bafctl", "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, f"bafctl {__version__}\n")


def test_unknown_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "--no-such-flag"])
    assert result.exit_code == ExitCode.USAGE
    assert "No such option" in result.stderr
    assert "Traceback" not in result.output


def test_missing_path_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "no/such/folder"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr == "bafctl: error: no/such/folder: no such file or folder\n"


def test_exit_code_table_is_stable() -> None:
    assert {c.name: c.value for c in ExitCode} == {"OK": 0, "FINDINGS": 1, "USAGE": 2, "INTERNAL": 3}
