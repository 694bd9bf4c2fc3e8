"""A failed write is one line and exit 2, for every command (issue 11 #10).

A full disk, a closed stdout or a pipe closed early was "internal error", exit 3 (or, for
EPIPE, exit 0 after "Exception ignored ... BrokenPipeError"), though the README promises
exit 2 for an environment error. Each command now says
``bafctl: error: cannot write the output: <reason>`` and exits 2, with nothing else on
stderr; a file written with ``-o`` is left as it was, never empty or half-written.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.commands import _support
from gitrepo import GitRepo, group_baf_repo

COMMANDS: dict[str, list[str]] = {
    "check": ["check"],
    "summary": ["summary"],
    "summary-html": ["summary", "--format", "html"],
    "diff": ["diff", "board-2025-09", "board-2026-01"],
    "breaches": ["breaches", "--exit-zero"],
    "export": ["export"],
    "history": ["history", "GROUP-BAF-3"],
    "schema": ["schema", "risk"],
    "report": ["report", "-o", "-", "--format", "html"],
    "rescore": ["rescore", "GROUP-BAF-3", "--current", "4x4", "--dry-run"],
    "init": ["init", "new-baf"],
}
MESSAGE = "bafctl: error: cannot write the output: "


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = group_baf_repo(tmp_path / "baf")
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("BAFCTL_TODAY", "2026-01-29")
    return repo


def run(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "bafctl", *args],
        cwd=cwd,
        stderr=subprocess.PIPE,
        check=False,
        timeout=120,
        **kwargs,
    )


def assert_one_line(stderr: bytes, reason: str) -> None:
    text = stderr.decode("utf-8")
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert text.splitlines() == [MESSAGE + reason], text


@pytest.mark.parametrize("name", list(COMMANDS))
def test_full_disk(repo: GitRepo, name: str) -> None:
    """issue 11 #10: `bafctl CMD > /dev/full` was an internal error (exit 3) with a traceback hint."""
    with Path("/dev/full").open("wb") as full:
        done = run(COMMANDS[name], repo.root, stdout=full)
    assert done.returncode == 2
    assert_one_line(done.stderr, "No space left on device")


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_closed_stdout(repo: GitRepo, name: str) -> None:
    """issue 11 #10: `bafctl CMD >&-` (no stdout at all) crashed with AttributeError, exit 3."""
    done = run(COMMANDS[name], repo.root, stdout=None, preexec_fn=_close_stdout)
    assert done.returncode == 2
    assert_one_line(done.stderr, "standard output is closed")
    assert not (repo.root / "new-baf").exists()  # init refuses before creating anything


@pytest.mark.parametrize("name", list(COMMANDS))
def test_broken_pipe(repo: GitRepo, name: str) -> None:
    """issue 11 #10: a pipe closed early (`bafctl CMD | head`) exited 0, or printed "Exception ignored"."""
    with subprocess.Popen(
        [sys.executable, "-m", "bafctl", *COMMANDS[name]],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # no reader left: the first write fails with EPIPE
        stderr = process.stderr.read()
        code = process.wait(timeout=120)
    assert code == 2
    assert_one_line(stderr, "Broken pipe")


def test_cli_runner_full_disk(runner: CliRunner, repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 11 #10: a write that fails inside a command is caught at the one error boundary."""
    full = Path("/dev/full").open("w", buffering=1, encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        monkeypatch.setattr(_support, "_stdout", lambda: full)
        result = runner.invoke(app, ["check"])
    finally:
        monkeypatch.undo()
        full.close()
    assert result.exit_code == 2
    assert result.stderr == MESSAGE + "No space left on device\n"


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a core dump
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_stdout_redirected_to_a_file_that_cannot_grow(repo: GitRepo, tmp_path: Path) -> None:
    """issue 11 #10: `summary --format html > file` on a full disk was exit 3; now exit 2, one line."""
    with (tmp_path / "summary.html").open("wb") as target:
        done = run(["summary", "--format", "html"], repo.root, stdout=target, preexec_fn=_limit_file_size(1000))
    assert done.returncode == 2
    assert_one_line(done.stderr, "File too large")


@pytest.mark.parametrize("output_format", ["html", "docx"])
def test_report_output_file_is_kept_when_the_write_fails(repo: GitRepo, tmp_path: Path, output_format: str) -> None:
    """issue 11 #10: `report -o FILE` failing part-way must leave the previous file, never an empty or partial one."""
    target = tmp_path / f"pack.{output_format}"
    target.write_bytes(b"the previous report")
    done = run(
        ["report", "-o", str(target), "--format", output_format],
        repo.root,
        stdout=subprocess.DEVNULL,
        preexec_fn=_limit_file_size(2000),
    )
    assert done.returncode == 2
    lines = done.stderr.decode("utf-8").splitlines()
    assert lines == [f"bafctl: error: {target}: cannot write the report: File too large"]
    assert target.read_bytes() == b"the previous report"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_report_to_a_new_file_leaves_nothing_on_failure(repo: GitRepo, tmp_path: Path) -> None:
    """issue 11 #10: a failed `report -o NEW` must not leave an empty file behind."""
    target = tmp_path / "new.html"
    done = run(["report", "-o", str(target)], repo.root, stdout=subprocess.DEVNULL, preexec_fn=_limit_file_size(2000))
    assert done.returncode == 2
    assert list(tmp_path.iterdir()) == [] or not target.exists()
    assert not target.exists()


def test_report_to_dev_full(repo: GitRepo) -> None:
    """issue 11 #10: `report -o /dev/full` is one line and exit 2."""
    done = run(["report", "-o", "/dev/full", "--format", "html"], repo.root, stdout=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.decode("utf-8").splitlines() == [
        "bafctl: error: /dev/full: cannot write the report: No space left on device"
    ]


def test_help_to_a_full_disk(repo: GitRepo) -> None:
    """issue 11 #10: output written outside a command (help) fails the same way."""
    with Path("/dev/full").open("wb") as full:
        done = run(["--help"], repo.root, stdout=full)
    assert done.returncode == 2
    assert_one_line(done.stderr, "No space left on device")
