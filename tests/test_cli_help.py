"""Help a person can read, `-V`, and shell completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl import __version__
from bafctl.cli import app

#: The first line of each command's help: as it is typed, no Python types, no doubled brackets.
USAGE = {
    "check": "Usage: bafctl check [OPTIONS] [PATH]...",
    "export": "Usage: bafctl export [OPTIONS] [PATH]...",
    "schema": "Usage: bafctl schema [OPTIONS] KIND",
    "summary": "Usage: bafctl summary [OPTIONS] [PATH]...",
    "report": "Usage: bafctl report [OPTIONS] [PATH]...",
    "rescore": "Usage: bafctl rescore [OPTIONS] [RISK-ID] [PATH]...",
    "breaches": "Usage: bafctl breaches [OPTIONS] [PATH]...",
    "diff": "Usage: bafctl diff [OPTIONS] [REV_A [REV_B]] [-- PATH...]",
    "history": "Usage: bafctl history [OPTIONS] RISK-ID [-- PATH...]",
    "init": "Usage: bafctl init [OPTIONS] [DIR]",
}


def _help(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], prog_name="bafctl")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_root_usage_line(runner: CliRunner) -> None:
    assert _help(runner).splitlines()[0] == "Usage: bafctl [OPTIONS] COMMAND [ARGS]..."


def test_every_command_is_listed() -> None:
    from bafctl.cli import COMMAND_MODULES

    assert sorted(USAGE) == sorted(m.rsplit(".", 1)[1] for m in COMMAND_MODULES)


@pytest.mark.parametrize("command", sorted(USAGE))
def test_usage_line(runner: CliRunner, command: str) -> None:
    assert _help(runner, command).splitlines()[0] == USAGE[command]


@pytest.mark.parametrize("command", sorted(USAGE))
def test_arguments_have_help_and_no_python_types(runner: CliRunner, command: str) -> None:
    text = _help(runner, command)
    assert "list[" not in text
    assert "<path>" not in text
    assert "<str>" not in text.split("Options:")[0]
    arguments = text.split("Arguments:")[1].split("Options:")[0]
    rows = [line for line in arguments.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert rows, text
    for row in rows:  # each argument's name, then its help on the same line
        assert len(row.split("  ", 2)[-1].strip()) > 10, row


def test_help_lists_short_version_and_completion(runner: CliRunner) -> None:
    text = _help(runner)
    assert "-V, --version" in text
    assert "--install-completion" in text
    assert "--show-completion" in text


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_short_version(runner: CliRunner, flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert (result.exit_code, result.stdout) == (0, f"bafctl {__version__}\n")


def _complete(words: str, cword: int) -> list[str]:
    # The protocol of the script `--show-completion bash` prints (typer's `complete_bash`).
    env = {"_BAFCTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = CliRunner().invoke(app, [], env=env, prog_name="bafctl")
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_bash_completes_command_names() -> None:
    assert _complete("bafctl ch", 1) == ["check"]
    assert {"check", "breaches", "diff", "history", "summary"} <= set(_complete("bafctl ", 1))


def test_bash_completes_options_and_choices() -> None:
    assert "--fail-on" in _complete("bafctl check --f", 2)
    assert _complete("bafctl check --fail-on w", 3) == ["warning"]


def test_bash_completion_in_a_real_process() -> None:
    script = shutil.which("bafctl", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the bafctl console script is not installed beside this Python")
    env = {"_BAFCTL_COMPLETE": "complete_bash", "COMP_WORDS": "bafctl hi", "COMP_CWORD": "1"}
    done = subprocess.run(
        [script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.split()) == (0, ["history"]), done.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_script_is_valid_bash(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--show-completion", "bash"], prog_name="bafctl")
    assert result.exit_code == 0, result.output
    script = result.stdout
    assert "_BAFCTL_COMPLETE=complete_bash" in script
    assert "complete -o default -F _bafctl_completion bafctl" in script
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_help_does_not_import_rich_pydantic_or_git() -> None:
    code = "import sys\nfrom bafctl.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
    code += "print(sorted(m for m in ('rich', 'pydantic', 'git') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.rstrip().endswith("[]"), done.stdout[-500:] + done.stderr[-2000:]


# ---------------------------------------------------------------------------
# One option name for one idea: summary --audience, as report --audience
# ---------------------------------------------------------------------------


def _marked_register(tmp_path: Path) -> Path:
    from test_report import marked_files

    for path, data in marked_files().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return tmp_path / "reg"


def test_summary_audience_public_is_the_old_public_flag(runner: CliRunner, tmp_path: Path) -> None:
    folder = _marked_register(tmp_path)
    board = runner.invoke(app, ["summary", str(folder), "-f", "csv"])
    explicit_board = runner.invoke(app, ["summary", str(folder), "-f", "csv", "--audience", "board"])
    public = runner.invoke(app, ["summary", str(folder), "-f", "csv", "--audience", "public"])
    alias = runner.invoke(app, ["summary", str(folder), "-f", "csv", "--public"])
    assert {r.exit_code for r in (board, explicit_board, public, alias)} == {0}
    assert board.stdout == explicit_board.stdout
    assert "HIDDEN-1" in board.stdout and "HIDDEN-1" not in public.stdout
    assert public.stdout == alias.stdout


def test_summary_public_and_audience_board_contradict(runner: CliRunner, tmp_path: Path) -> None:
    folder = _marked_register(tmp_path)
    result = runner.invoke(app, ["summary", str(folder), "--public", "--audience", "board"])
    assert result.exit_code == 2
    assert "--audience public" in result.stderr


def test_summary_help_shows_audience_not_the_alias(runner: CliRunner) -> None:
    text = _help(runner, "summary")
    assert "--audience [board|public]" in text or "--audience <board|public>" in text
    assert "--public" not in text
