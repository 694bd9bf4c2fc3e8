"""`bafctl check` end to end: output shapes, exit codes, internal errors, links (issue 2, R6, R8, R16)."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.errors import ExitCode

CORPUS = Path(__file__).resolve().parent / "corpus"
BASE = CORPUS / "_base"
AS_OF = "2026-02-01"


@pytest.fixture
def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the corpus's valid register as ``reg/``, with the working folder above it."""
    reg = tmp_path / "reg"
    shutil.copytree(BASE, reg)
    monkeypatch.chdir(tmp_path)
    return reg


def test_a_valid_register_passes(register: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "reg", "--as-of", AS_OF])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "0 errors, 0 warnings, 0 info in 2 files\n", "")


def test_every_problem_in_every_file_is_reported(register: Path, runner: CliRunner) -> None:
    for name in ("2.1-leading-zero.yaml", "2.3-tab.yaml", "schema-consequence-range.yaml"):
        shutil.copy(CORPUS / name, register / name)
    result = runner.invoke(app, ["check", "reg", "--as-of", AS_OF])
    assert result.exit_code == ExitCode.FINDINGS
    located = [line.split(": ", 1)[0] for line in result.stdout.splitlines()[:-1] if "error" in line]
    assert located == [
        "reg/2.1-leading-zero.yaml:2:5",
        "reg/2.1-leading-zero.yaml:24:5",
        "reg/2.1-leading-zero.yaml:25:5",
        "reg/2.3-tab.yaml:22:1",
        "reg/schema-consequence-range.yaml:13:18",
        "reg/schema-consequence-range.yaml:16:18",
        "reg/schema-consequence-range.yaml:19:18",
    ]
    assert result.stdout.splitlines()[-1] == "7 errors, 0 warnings, 0 info in 5 files"
    assert result.stderr == ""


def test_json_output_has_a_stable_shape(register: Path, runner: CliRunner) -> None:
    shutil.copy(CORPUS / "schema-stored-score.yaml", register / "BAF02.yaml")
    shutil.copy(CORPUS / "2.1-hash-in-list.yaml", register / "BAF03.yaml")
    (register / "BAF03.yaml").write_text((register / "BAF03.yaml").read_text().replace("BAF02", "BAF03"))
    result = runner.invoke(app, ["check", "reg", "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == ExitCode.FINDINGS
    document = json.loads(result.stdout)
    assert set(document) == {"version", "files", "summary", "findings"}
    assert (document["version"], document["files"]) == (1, 4)
    assert set(document["summary"]) == {"errors", "warnings", "info", "silenced"}
    loader = [f for f in document["findings"] if f["rule"] in ("schema", "yaml-comment-in-value")]
    assert loader == [
        {
            "path": "reg/BAF02.yaml",
            "line": 18,
            "col": 12,
            "level": "error",
            "rule": "schema",
            "risk_id": "BAF02",
            "message": "assessments.current.score: stored score 16 is not consequence x likelihood = 4 x 3 = 12: "
            "run `bafctl rescore --all`",
            "hint": None,
            "suppressed": None,
        },
        {
            "path": "reg/BAF03.yaml",
            "line": 26,
            "col": 9,
            "level": "warning",
            "rule": "yaml-comment-in-value",
            "risk_id": "BAF03",
            "message": "text after ' #' is a comment and is not part of the value 'Annual penetration testing'",
            "hint": "put the whole value in double quotes if '#' belongs to it",
            "suppressed": None,
        },
    ]
    counts = {level: sum(1 for f in document["findings"] if f["level"] == level) for level in ("error", "warning")}
    assert (document["summary"]["errors"], document["summary"]["warnings"]) == (counts["error"], counts["warning"])


def test_no_colour_or_control_characters_reach_the_output(register: Path, runner: CliRunner) -> None:
    # Raw ESC and a right-to-left override in the file: reported by name, never printed.
    (register / "BAF02.yaml").write_bytes(b"id: BAF02\ntitle: \x1b[31mRED\xe2\x80\xae\n")
    result = runner.invoke(app, ["check", "reg", "--as-of", AS_OF])
    assert result.exit_code == ExitCode.FINDINGS
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "reg/BAF02.yaml:2:8: error: risk BAF02: invisible or control character: control character U+001B" in (
        result.stdout
    )


# ---------------------------------------------------------------------------
# Internal errors: exit 3, one line, the traceback only with --debug (issue 2 item 7)
# ---------------------------------------------------------------------------


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("simulated bug")


def test_an_internal_error_is_one_line_and_exit_3(
    register: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bafctl.loader.load_workspace", _explode)
    monkeypatch.setattr("bafctl.loader.load_paths", _explode)
    result = runner.invoke(app, ["check", "reg"])
    assert result.exit_code == ExitCode.INTERNAL
    assert result.stdout == ""
    assert result.stderr == (
        "bafctl: internal error (please report): RuntimeError: simulated bug (run with --debug for the traceback)\n"
    )
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(register: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bafctl.loader.load_workspace", _explode)
    monkeypatch.setattr("bafctl.loader.load_paths", _explode)
    result = runner.invoke(app, ["--debug", "check", "reg"])
    assert result.exit_code == ExitCode.INTERNAL
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert 'raise RuntimeError("simulated bug")' in result.stderr
    assert result.stderr.endswith("bafctl: internal error (please report): RuntimeError: simulated bug\n")
    # The flag does not leak into the next run.
    assert "Traceback" not in runner.invoke(app, ["check", "reg"]).stderr


def test_an_internal_error_in_export_is_exit_3(
    register: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bafctl.export.export_document", _explode)
    result = runner.invoke(app, ["export", "reg"])
    assert (result.exit_code, result.stdout) == (ExitCode.INTERNAL, "")
    assert re.fullmatch(
        r"bafctl: internal error \(please report\): RuntimeError: simulated bug \(.*\)\n", result.stderr
    )


# ---------------------------------------------------------------------------
# Links are never read, whatever the command line (docs/reliability.md R16)
# ---------------------------------------------------------------------------


def test_a_link_to_the_password_file_is_never_read(register: Path, runner: CliRunner) -> None:
    (register / "passwd.yaml").symlink_to("/etc/passwd")
    (register / "loop.yaml").symlink_to(register / "loop.yaml")
    (register / "up").symlink_to(register.parent, target_is_directory=True)
    for args in (["check", "--as-of", AS_OF], ["check", "reg", "--as-of", AS_OF], ["export", "reg"]):
        start = time.monotonic()
        result = runner.invoke(app, args)
        assert time.monotonic() - start < 1.0
        assert "root:" not in result.output and "/bin/" not in result.output, args
        assert "Traceback" not in result.output
    # With no path, `check` searches the folder, reads through the one loader and says why a file was left out.
    result = runner.invoke(app, ["check", "--as-of", AS_OF])
    assert result.exit_code == ExitCode.FINDINGS
    assert (
        "reg/passwd.yaml:1:1: error: is a symbolic link: not read (bafctl reads only real files inside the register) "
        "(hint: replace the link by the file or folder itself) (symlink)"
    ) in result.stdout.splitlines()


def test_a_path_through_a_link_is_a_usage_error(register: Path, runner: CliRunner) -> None:
    Path("alias").symlink_to(register, target_is_directory=True)
    result = runner.invoke(app, ["check", "alias"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert result.stderr == "bafctl: error: alias: is a symbolic link; bafctl reads only real files\n"
