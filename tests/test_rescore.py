"""`bafctl rescore`: byte-exact splices, refusals, --reason, --all/--check, and the acceptance run."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bafctl import rescore as core
from bafctl.cli import app
from bafctl.errors import ExitCode, RescoreRefusedError, RiskNotFoundError, UsageError
from bafctl.findings import Level
from bafctl.loader import load_workspace, read_files
from bafctl.rescore import (
    Edit,
    RescoreRequest,
    plan_rescore,
    plan_rescore_all,
    splice,
    unified_diff,
)
from conftest import FIXTURES
from test_bad_inputs import CASES, case_files

RESCORE = FIXTURES / "rescore"
ON = dt.date(2026, 3, 2)


@pytest.fixture
def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the rescore register, with the working folder set to its parent."""
    target = tmp_path / "register"
    shutil.copytree(RESCORE / "register", target)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAFCTL_TODAY", ON.isoformat())
    return target


def files_of(folder: Path) -> dict[str, bytes]:
    return read_files([folder], folder.parent)


def request(risk_id: str, on: dt.date = ON, reason: str | None = None, **pairs: tuple[int, int]) -> RescoreRequest:
    return RescoreRequest(risk_id, pairs, on, reason)


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------
# Golden files (docs/reliability.md R9)
# ---------------------------------------------------------------------------

GOLDEN = [
    ("realistic_bom.yaml", ["TEST-WORKFORCE", "--current", "4x4", "--reason", "agency spend down"]),
    ("realistic_crlf.yaml", ["TEST-DIGITAL", "--current", "2x3", "--target", "2x2", "--reason", "plan approved"]),
    ("flow_style.yaml", ["TEST-COMMUNITIES", "--initial", "5x3", "--current", "4x4", "--target", "2x2"]),
]


@pytest.mark.parametrize(("name", "args"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_files(runner: CliRunner, register: Path, name: str, args: list[str]) -> None:
    path = register / "risks" / name
    before = path.read_bytes()
    code, _, stderr = invoke(runner, "rescore", *args, "--on", ON.isoformat(), "register")
    after = path.read_bytes()
    assert (code, stderr) == (0, "")
    assert after == (RESCORE / "expected" / name).read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")
    assert after.count(b"\r\n") == before.count(b"\r\n")
    assert after.count(b"\n") == before.count(b"\n")
    # A second identical run is a no-op.
    code, stdout, _ = invoke(runner, "rescore", *args, "--on", ON.isoformat(), "register")
    assert (code, path.read_bytes()) == (0, after)
    assert "nothing to change" in stdout


def test_golden_inputs_are_what_the_readme_says() -> None:
    bom = (RESCORE / "register/risks/realistic_bom.yaml").read_bytes()
    crlf = (RESCORE / "register/risks/realistic_crlf.yaml").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and b"\r" not in bom
    assert crlf.count(b"\n") == crlf.count(b"\r\n") > 30
    assert (RESCORE / "register/risks/flow_style.yaml").read_bytes().startswith(b"{id: ")


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_rescore_writes_and_reports(runner: CliRunner, register: Path) -> None:
    code, stdout, stderr = invoke(runner, "rescore", "test-workforce", "--current", "4x4", "register")
    assert (code, stderr) == (0, "")
    assert stdout == (
        "TEST-WORKFORCE: current 5x4=20 -> 4x4=16; last_updated 2026-01-19 -> 2026-03-02 "
        "(register/risks/realistic_bom.yaml)\n"
        "TEST-WORKFORCE: stored values updated: assessments.current.score 20 -> 16\n"
        "TEST-WORKFORCE: current score 16 is within tolerance 16 (open)\n"
    )
    risk = load_workspace(files_of(register)).find_risk("TEST-WORKFORCE")
    assert risk is not None
    current = risk[1].risk.assessments.current
    assert (current.consequence, current.likelihood, current.score, risk[1].risk.last_updated) == (4, 4, 16, ON)


def test_rescore_reports_a_risk_still_above_tolerance(runner: CliRunner, register: Path) -> None:
    code, stdout, _ = invoke(runner, "rescore", "TEST-COMMUNITIES", "--current", "5x3", "register")
    assert code == 0
    assert stdout.splitlines()[-1] == "TEST-COMMUNITIES: current score 15 is above tolerance 12 (cautious) by 3"


def test_dry_run_prints_the_diff_and_writes_nothing(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_crlf.yaml"
    before = path.read_bytes()
    code, stdout, stderr = invoke(runner, "rescore", "TEST-DIGITAL", "--current", "3x3", "--dry-run", "register")
    assert path.read_bytes() == before
    assert (code, stderr) == (0, "would rescore register/risks/realistic_crlf.yaml\n")
    assert stdout == (
        "--- a/register/risks/realistic_crlf.yaml\n"
        "+++ b/register/risks/realistic_crlf.yaml\n"
        "@@ -8,7 +8,7 @@\n"
        " executive_lead: CIO\n"
        " context: Moving from analogue to digital, where digital healthcare becomes the enabling centre of "
        "clinical care\n"
        " date_included: 2024-04-01\n"
        "-last_updated: 2025-12-01  # rescored 2025-12-01: gap analysis started\n"
        "+last_updated: 2026-03-02  # rescored 2025-12-01: gap analysis started\n"
        " \n"
        " assessments:\n"
        "   initial:\n"
        "@@ -16,9 +16,9 @@\n"
        "     likelihood: 4\n"
        "     score: 16\n"
        "   current:\n"
        "-    consequence: 4\n"
        "+    consequence: 3\n"
        "     likelihood: 3\n"
        "-    score: 12\n"
        "+    score: 9\n"
        "     band: 'High'\n"
        "   target:\n"
        "     consequence: 4\n"
    )


def test_check_exits_1_when_a_change_is_pending(runner: CliRunner, register: Path) -> None:
    before = (register / "risks" / "flow_style.yaml").read_bytes()
    code, stdout, _ = invoke(runner, "rescore", "TEST-COMMUNITIES", "--target", "2x2", "--check", "register")
    assert (code, (register / "risks" / "flow_style.yaml").read_bytes()) == (1, before)
    assert "-   target: {consequence: 3, likelihood: 2, score: 6, date: 2026-12-31}}," in stdout
    code, stdout, _ = invoke(runner, "rescore", "TEST-COMMUNITIES", "--target", "3x2", "--check", "register")
    assert (code, stdout) == (0, "TEST-COMMUNITIES: nothing to change (target is already 3x2=6)\n")


def test_unchanged_values_are_a_no_op_even_with_a_new_date(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    before = path.read_bytes()
    code, stdout, stderr = invoke(
        runner, "rescore", "TEST-WORKFORCE", "--current", "5x4", "--initial", "5x4", "--on", "2026-05-01", "register"
    )
    assert (code, stdout, stderr) == (
        0,
        "TEST-WORKFORCE: nothing to change (initial is already 5x4=20, current is already 5x4=20)\n",
        "",
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--current", "6x1"], "Invalid value for --current: expected consequence x likelihood such as 4x3"),
        (["--target", "4*"], "Invalid value for --target: expected consequence x likelihood such as 4x3"),
        (["--current", "4x4", "--on", "2026-02-30"], "Invalid value for --on: '2026-02-30' is not a date"),
        ([], "say what to change: --initial, --current and/or --target"),
    ],
)
def test_bad_options_are_usage_errors(runner: CliRunner, register: Path, args: list[str], message: str) -> None:
    before = (register / "risks" / "realistic_bom.yaml").read_bytes()
    code, stdout, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", *args, "register")
    assert (code, stdout) == (ExitCode.USAGE, "")
    assert message in " ".join(stderr.replace("│", " ").split())
    assert (register / "risks" / "realistic_bom.yaml").read_bytes() == before


def test_no_risk_named_is_a_usage_error(runner: CliRunner, register: Path) -> None:
    code, _, stderr = invoke(runner, "rescore", "--current", "4x4")
    assert code == ExitCode.USAGE
    assert "name the risk to rescore" in stderr


def test_all_takes_no_assessment(runner: CliRunner, register: Path) -> None:
    code, _, stderr = invoke(runner, "rescore", "--all", "--current", "4x4", "register")
    assert code == ExitCode.USAGE
    assert "--all recomputes stored values only; it takes no --current" in stderr


def test_unknown_risk_is_exit_2_with_a_suggestion(runner: CliRunner, register: Path) -> None:
    code, stdout, stderr = invoke(runner, "rescore", "TEST-DIGTAL", "--current", "4x4", "register")
    assert (code, stdout, stderr) == (
        ExitCode.USAGE,
        "",
        "bafctl: error: no risk 'TEST-DIGTAL' in the registers read: did you mean TEST-DIGITAL?\n",
    )


def test_reason_with_a_line_break_is_a_usage_error(runner: CliRunner, register: Path) -> None:
    code, _, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "--reason", "a\nb", "register")
    assert (code, stderr) == (ExitCode.USAGE, "bafctl: error: --reason must be one line of plain text (found U+000A)\n")


# ---------------------------------------------------------------------------
# Refusals: the file is left byte-identical
# ---------------------------------------------------------------------------


def _replace_in(path: Path, old: bytes, new: bytes) -> bytes:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    return path.read_bytes()


def test_refuses_a_file_with_errors(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    before = _replace_in(path, b"keyword: workforce resourcing", b"keywrod: workforce resourcing")
    code, stdout, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "register")
    assert (code, stdout, path.read_bytes()) == (ExitCode.FINDINGS, "", before)
    assert stderr == (
        "register/risks/realistic_bom.yaml:5:1: error: risk TEST-WORKFORCE: (file): unknown key `keywrod` "
        "(hint: did you mean `keyword`?) (schema)\n"
        "bafctl: error: register/risks/realistic_bom.yaml has 1 error (listed above); nothing written: "
        "fix it first (`bafctl check` lists every problem)\n"
    )


def test_refuses_a_file_that_does_not_parse_but_names_the_risk(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_crlf.yaml"
    before = _replace_in(path, b"status: approved", b"status: approved: twice")
    code, _, stderr = invoke(runner, "rescore", "TEST-DIGITAL", "--current", "3x3", "register")
    assert (code, path.read_bytes()) == (ExitCode.FINDINGS, before)
    assert stderr.startswith("register/risks/realistic_crlf.yaml:4:17: error: risk TEST-DIGITAL: mapping values")
    assert stderr.endswith(
        "has 1 error (listed above); nothing written: fix it first (`bafctl check` lists every problem)\n"
    )


def test_refuses_a_file_with_merge_conflict_markers(runner: CliRunner, register: Path) -> None:
    # R12: never touch a file git reports as unmerged; its markers never parse.
    path = register / "risks" / "realistic_bom.yaml"
    before = _replace_in(
        path,
        b"    likelihood: 4\n    score: 20\n",
        b"<<<<<<< HEAD\n    likelihood: 4\n=======\n    likelihood: 3\n>>>>>>> pcc-review\n    score: 20\n",
    )
    code, stdout, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "register")
    assert (code, stdout, path.read_bytes()) == (ExitCode.FINDINGS, "", before)
    assert stderr.startswith("register/risks/realistic_bom.yaml:")
    assert "nothing written" in stderr.splitlines()[-1]


def test_refuses_a_stored_score_that_disagrees(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_crlf.yaml"
    before = _replace_in(path, b"score: 16", b"score: 15")
    code, _, stderr = invoke(runner, "rescore", "TEST-DIGITAL", "--current", "3x3", "register")
    assert (code, path.read_bytes()) == (ExitCode.FINDINGS, before)
    assert "stored score 15 is not consequence x likelihood = 4 x 4 = 16: run `bafctl rescore --all`" in stderr


@pytest.mark.parametrize(
    ("old", "new", "where", "shown"),
    [
        (b"    consequence: 5   #", b"    consequence: +5  #", "24:18", "'+5'"),
        (b"    score: 20\n", b"    score: +20\n", "26:12", "'+20'"),
    ],
)
def test_refuses_a_number_that_is_not_plain(
    runner: CliRunner, register: Path, old: bytes, new: bytes, where: str, shown: str
) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    before = _replace_in(path, old, new)
    assert not load_workspace(files_of(register)).has_errors  # `+5` is a valid number...
    code, stdout, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "register")
    assert (code, stdout, path.read_bytes()) == (ExitCode.FINDINGS, "", before)  # ...but not a plain one
    assert stderr.startswith(f"bafctl: error: register/risks/realistic_bom.yaml:{where}: assessments.current.")
    assert f"is written {shown}, not as a plain number" in stderr


def test_refuses_a_band_in_a_block_scalar(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    before = _replace_in(path, b"    band: Extreme\n", b"    band: >-\n      Extreme\n")
    code, _, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "3x4", "register")
    assert (code, path.read_bytes()) == (ExitCode.FINDINGS, before)
    assert "cannot write band 'High' in place of '>-\\n      Extreme\\n'" in stderr


def test_updates_a_double_quoted_band_in_its_own_style(register: Path) -> None:
    path = register / "risks" / "realistic_crlf.yaml"
    _replace_in(path, b"band: 'High'", b'band: "High"')
    plan = plan_rescore(files_of(register), request("TEST-DIGITAL", current=(2, 2))).plan
    assert b'    band: "Moderate"\r\n' in plan.new


def test_keeps_a_band_written_in_other_letters(register: Path) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    _replace_in(path, b"band: Extreme", b"band: extreme")
    plan = plan_rescore(files_of(register), request("TEST-WORKFORCE", current=(5, 3))).plan
    assert b"band: extreme\n" in plan.new
    assert [c.dotted for c in plan.changes] == [
        "assessments.current.likelihood",
        "assessments.current.score",
        "last_updated",
    ]


def test_refuses_a_risk_id_in_two_files(register: Path) -> None:
    copy = register / "risks" / "copy.yaml"
    copy.write_bytes((register / "risks" / "flow_style.yaml").read_bytes())
    with pytest.raises(RescoreRefusedError, match=r"risk ID 'TEST-COMMUNITIES' is in 2 files"):
        plan_rescore(files_of(register), request("TEST-COMMUNITIES", current=(2, 2)))


def test_refuses_a_band_name_that_needs_quotes(register: Path) -> None:
    path = register / "register.yaml"
    path.write_bytes(
        path.read_bytes().replace(
            b"appetite_levels:",
            b"matrix:\n  bands:\n"
            b"    - {name: Green, min: 1, max: 6, colour: green}\n"
            b"    - {name: 'Red: act now', min: 8, max: 25, colour: red}\n"
            b"appetite_levels:",
        )
    )
    with pytest.raises(RescoreRefusedError, match="cannot write band 'Red: act now' in place of 'Extreme'"):
        plan_rescore(files_of(register), request("TEST-WORKFORCE", current=(4, 4)))


def test_unknown_assessment_and_empty_request_are_usage_errors(register: Path) -> None:
    with pytest.raises(UsageError, match="unknown assessment 'residual'"):
        plan_rescore(files_of(register), request("TEST-WORKFORCE", residual=(2, 2)))
    with pytest.raises(UsageError, match="say what to change"):
        plan_rescore(files_of(register), request("TEST-WORKFORCE"))
    with pytest.raises(RiskNotFoundError):
        plan_rescore(files_of(register), request("NOPE", current=(2, 2)))


# ---------------------------------------------------------------------------
# --reason
# ---------------------------------------------------------------------------


def test_reason_is_a_trailing_comment_replaced_on_the_next_rescore(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    code, stdout, _ = invoke(
        runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "--reason", "agency down", "register"
    )
    assert code == 0
    assert stdout.endswith("TEST-WORKFORCE: reason recorded by last_updated: # rescored 2026-03-02: agency down\n")
    assert b"\nlast_updated: 2026-03-02  # rescored 2026-03-02: agency down\n" in path.read_bytes()
    code, _, _ = invoke(
        runner,
        "rescore",
        "TEST-WORKFORCE",
        "--current",
        "3x4",
        "--on",
        "2026-04-01",
        "--reason",
        "QSIR work",
        "register",
    )
    assert code == 0
    data = path.read_bytes()
    assert b"\nlast_updated: 2026-04-01  # rescored 2026-04-01: QSIR work\n" in data
    assert data.count(b"# rescored") == 1


def test_reason_goes_below_a_line_the_author_commented(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    before = _replace_in(path, b"last_updated: 2026-01-19\n", b"last_updated: 2026-01-19  # GTB minute 25/17\n")
    code, _, _ = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "--reason", "first", "register")
    assert code == 0
    first = path.read_bytes()
    assert first == before.replace(
        b"2026-01-19  # GTB minute 25/17\n", b"2026-03-02  # GTB minute 25/17\n# rescored 2026-03-02: first\n"
    ).replace(b"consequence: 5   # Major", b"consequence: 4   # Major").replace(b"score: 20", b"score: 16")
    code, _, _ = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "3x4", "--reason", "second", "register")
    assert code == 0
    second = path.read_bytes()
    assert b"GTB minute 25/17\n# rescored 2026-03-02: second\n\nassessments:" in second
    assert second.count(b"# rescored") == 1


def test_reason_refused_in_flow_style(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "flow_style.yaml"
    before = path.read_bytes()
    code, _, stderr = invoke(runner, "rescore", "TEST-COMMUNITIES", "--current", "2x2", "--reason", "x", "register")
    assert (code, path.read_bytes()) == (ExitCode.FINDINGS, before)
    assert stderr == (
        "bafctl: error: register/risks/flow_style.yaml:3:43: --reason is written as a comment by the "
        "last_updated line, but that line goes on with ',' (flow style); leave out --reason; nothing written\n"
    )


# ---------------------------------------------------------------------------
# Verification before replacing (R10)
# ---------------------------------------------------------------------------


def test_an_empty_output_is_never_written(runner: CliRunner, register: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    before = path.read_bytes()
    monkeypatch.setattr(core, "encode_text", lambda *_: b"")
    code, _, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "register")
    assert (code, path.read_bytes()) == (ExitCode.INTERNAL, before)
    assert "the new text is empty; nothing written (please report)" in stderr


def test_a_splice_that_changes_other_data_is_never_written(
    runner: CliRunner, register: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    before = path.read_bytes()
    real_splice = core.splice

    def faulty(text: str, edits: list[Edit]) -> str:
        return real_splice(text, edits).replace("likelihood: 3\n    date", "likelihood: 2\n    date")

    monkeypatch.setattr(core, "splice", faulty)
    code, _, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "register")
    assert (code, path.read_bytes()) == (ExitCode.INTERNAL, before)
    assert stderr == (
        "bafctl: error: register/risks/realistic_bom.yaml: the edited file did not re-read as the requested "
        "change (assessments.target.likelihood); nothing written (please report)\n"
    )


def test_file_changed_between_read_and_write(
    runner: CliRunner, register: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = register / "risks" / "realistic_bom.yaml"
    real_plan = core.plan_rescore

    def plan_then_edit(files: dict[str, bytes], req: RescoreRequest, **options: Any) -> core.RiskRescore:
        result = real_plan(files, req, **options)
        path.write_bytes(path.read_bytes().replace(b"Transcribed by hand", b"Typed by hand"))
        return result

    monkeypatch.setattr(core, "plan_rescore", plan_then_edit)
    code, _, stderr = invoke(runner, "rescore", "TEST-WORKFORCE", "--current", "4x4", "register")
    assert b"Typed by hand" in path.read_bytes()
    assert b"consequence: 5   #" in path.read_bytes()
    assert (code, stderr) == (
        ExitCode.USAGE,
        f"bafctl: error: {path} changed since it was read; nothing written: run the command again\n",
    )


def test_splice_rejects_overlaps_and_stale_edits() -> None:
    assert splice("a: 1\nb: 22\n", [Edit(("b",), 8, 10, "22", "3"), Edit(("a",), 3, 4, "1", "45")]) == "a: 45\nb: 3\n"
    with pytest.raises(ValueError, match="overlapping"):
        splice("a: 123", [Edit(None, 3, 5, "12", "x"), Edit(None, 4, 6, "23", "y")])
    with pytest.raises(ValueError, match="expected '9'"):
        splice("a: 1", [Edit(None, 3, 4, "9", "2")])


def test_unified_diff_is_terminal_safe_and_marks_a_missing_final_newline() -> None:
    old = b"\xef\xbb\xbfa: 1\r\nb: \x1b[31m\r\nc: 2"
    new = b"\xef\xbb\xbfa: 1\r\nb: \x1b[31m\r\nc: 3"
    assert unified_diff("x.yaml", old, new) == (
        "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,3 +1,3 @@\n a: 1\n b: \ufffd[31m\n-c: 2\n\\ No newline at end of file\n"
        "+c: 3\n\\ No newline at end of file\n"
    )


# ---------------------------------------------------------------------------
# --all: stored scores and bands after a change of matrix
# ---------------------------------------------------------------------------


def test_all_check_is_clean_on_a_consistent_register(runner: CliRunner, register: Path) -> None:
    code, stdout, stderr = invoke(runner, "rescore", "--all", "--check", "register")
    assert (code, stdout, stderr) == (0, "", "would rescore 0 files, 3 left unchanged\n")


def test_all_follows_a_new_band_table(runner: CliRunner, register: Path) -> None:
    settings = register / "register.yaml"
    settings.write_bytes(
        settings.read_bytes().replace(
            b"appetite_levels:",
            b"matrix:\n  bands:\n"
            b"    - {name: Low, min: 1, max: 4, colour: green}\n"
            b"    - {name: Medium, min: 5, max: 12, colour: amber}\n"
            b"    - {name: Severe, min: 15, max: 25, colour: red}\n"
            b"appetite_levels:",
        )
    )
    risks = register / "risks"
    before = {p.name: p.read_bytes() for p in risks.iterdir()}
    code, stdout, stderr = invoke(runner, "rescore", "--all", "--check", "register")
    assert (code, stderr) == (1, "would rescore 3 files, 0 left unchanged\n")
    assert "-    band: Extreme\n+    band: Severe\n" in stdout
    assert "-    band: 'High'\n+    band: 'Medium'\n" in stdout
    assert {p.name: p.read_bytes() for p in risks.iterdir()} == before
    code, stdout, stderr = invoke(runner, "rescore", "--all", "register")
    assert (code, stderr) == (0, "")
    assert stdout == (
        "register/risks/flow_style.yaml: TEST-COMMUNITIES assessments.current.band High -> Medium\n"
        "register/risks/realistic_bom.yaml: TEST-WORKFORCE assessments.current.band Extreme -> Severe\n"
        "register/risks/realistic_crlf.yaml: TEST-DIGITAL assessments.current.band High -> Medium\n"
        "rescored 3 files, 0 left unchanged\n"
    )
    assert (risks / "realistic_crlf.yaml").read_bytes() == before["realistic_crlf.yaml"].replace(b"'High'", b"'Medium'")
    assert (risks / "realistic_bom.yaml").read_bytes().startswith(b"\xef\xbb\xbf")
    code, _, stderr = invoke(runner, "rescore", "--all", "--check", "register")
    assert (code, stderr) == (0, "would rescore 0 files, 3 left unchanged\n")


def test_all_fixes_a_stored_score_the_loader_rejects(runner: CliRunner, register: Path) -> None:
    path = register / "risks" / "realistic_crlf.yaml"
    before = _replace_in(path, b"score: 16", b"score: 15")
    code, _, _ = invoke(runner, "check", "register")
    assert code == 1
    code, stdout, stderr = invoke(runner, "rescore", "--all", "register")
    assert (code, stderr) == (0, "")
    assert stdout == (
        "register/risks/realistic_crlf.yaml: TEST-DIGITAL assessments.initial.score 15 -> 16\n"
        "rescored 1 file, 2 left unchanged\n"
    )
    assert path.read_bytes() == before.replace(b"score: 15", b"score: 16")


def test_all_refuses_a_file_with_other_errors_and_fixes_the_rest(runner: CliRunner, register: Path) -> None:
    crlf = register / "risks" / "realistic_crlf.yaml"
    broken = _replace_in(crlf, b"score: 16", b"score: 15")
    broken = _replace_in(crlf, b"executive_lead: CIO", b"executive_lead: CI0")
    bom = register / "risks" / "realistic_bom.yaml"
    _replace_in(bom, b"score: 20", b"score: 25")
    code, stdout, stderr = invoke(runner, "rescore", "--all", "register")
    assert code == ExitCode.FINDINGS
    assert crlf.read_bytes() == broken
    assert b"score: 20\n" in bom.read_bytes()
    assert stdout == (
        "register/risks/realistic_bom.yaml: TEST-WORKFORCE assessments.current.score 25 -> 20\n"
        "rescored 1 file, 1 left unchanged, 1 refused\n"
    )
    assert stderr.splitlines()[-1] == (
        "bafctl: error: register/risks/realistic_crlf.yaml has errors that rescoring does not fix (listed above); "
        "not rescored"
    )
    assert "unknown role 'CI0'" in stderr


def test_all_refuses_a_quoted_score(register: Path) -> None:
    crlf = register / "risks" / "realistic_crlf.yaml"
    _replace_in(crlf, b"score: 16", b'score: "15"')
    plans, refusals = plan_rescore_all(files_of(register))
    assert [r.path for r in refusals] == ["register/risks/realistic_crlf.yaml"]
    assert "assessments.initial.score is written '\"15\"', not as a plain number" in refusals[0].message
    assert all(not p.changed for p in plans)


def test_all_refuses_a_broken_register_and_an_unreadable_file(register: Path) -> None:
    (register / "risks" / "bad.yaml").write_bytes(b"id: [unclosed\n")
    plans, refusals = plan_rescore_all(files_of(register))
    assert [(r.path, r.message) for r in refusals] == [
        ("register/risks/bad.yaml", "register/risks/bad.yaml cannot be read (listed above); not rescored")
    ]
    settings = register / "register.yaml"
    settings.write_bytes(settings.read_bytes().replace(b"format_version: 1", b"format_version: 2"))
    plans, refusals = plan_rescore_all(files_of(register))
    assert (plans, [r.message for r in refusals]) == (
        [],
        ["register/register.yaml has errors (listed above); no file of this register was rescored"],
    )


def test_all_refuses_a_file_outside_any_register(register: Path) -> None:
    stray = register.parent / "stray.yaml"
    stray.write_bytes((register / "risks" / "flow_style.yaml").read_bytes())
    files = {**files_of(register), "stray.yaml": stray.read_bytes()}
    _, refusals = plan_rescore_all(files)
    assert [(r.path, r.message, [f.rule for f in r.findings]) for r in refusals] == [
        ("stray.yaml", "stray.yaml is not inside a register; not rescored", ["register-missing"])
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c.get("file") or c["tree"]))
def test_check_and_rescore_all_decide_alike_on_the_corpus(case: dict[str, Any]) -> None:
    """docs/reliability.md R1/T14: one loader, so `check` and `rescore --all --check` agree.

    A file with loader errors is refused at the same first position, unless its only
    errors are stored values that rescore fixes (then a change is pending instead).
    """
    files = case_files(case)
    errors = sorted(f for f in load_workspace(files).findings if f.level is Level.ERROR and f.suppressed is None)
    plans, refusals = plan_rescore_all(files)
    pending = [plan for plan in plans if plan.changed]
    assert bool(errors) == bool(refusals or pending)
    if refusals:
        assert sorted(f for r in refusals for f in r.findings)[0] == errors[0]


# ---------------------------------------------------------------------------
# Acceptance on the bundled Group BAF (issue 3)
# ---------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


def test_acceptance_group_baf(
    runner: CliRunner, group_baf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAFCTL_TODAY", "2026-02-02")
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", "registers")
    _git(tmp_path, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "Group BAF January 2026")

    code, stdout, stderr = invoke(runner, "breaches", "registers", "--format", "json")
    report = json.loads(stdout)
    assert (code, stderr) == (1, "")
    assert [(r["risk_id"], r["current"]["score"], r["tolerance"], r["flags"]) for r in report["risks"]] == [
        ("GROUP-BAF-DRAFT", 20, 16, ["breach"])
    ]
    code, stdout, _ = invoke(runner, "breaches", "registers")
    assert code == 1
    assert stdout.startswith("1 of 6 risks outside appetite as of 2026-02-02: 1 in breach,")
    assert "   current:        5x4=20 against tolerance 16 (Open): 4 over\n" in stdout

    code, stdout, stderr = invoke(runner, "rescore", "GROUP-BAF-DRAFT", "--current", "4x4", "registers")
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[-1] == "GROUP-BAF-DRAFT: current score 16 is within tolerance 16 (open)"

    code, stdout, stderr = invoke(runner, "breaches", "registers")
    assert (code, stdout, stderr) == (0, "no risk outside appetite as of 2026-02-02 (6 risks checked)\n", "")

    diff = _git(tmp_path, "diff", "--unified=0", "--no-color")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) == 4
    assert [line[:1] for line in changed] == ["-", "+", "-", "+"]
    assert changed[0].startswith("-last_updated: 2026-01-19") and changed[1].startswith("+last_updated: 2026-02-02")
    assert changed[0][len("-last_updated: 2026-01-19") :] == changed[1][len("+last_updated: 2026-02-02") :]
    assert (changed[2], changed[3]) == ("-    consequence: 5", "+    consequence: 4")
    assert _git(tmp_path, "diff", "--name-only") == "registers/group-baf/risks/GROUP-BAF-DRAFT.yaml\n"
    # A second identical run changes nothing.
    code, stdout, _ = invoke(runner, "rescore", "GROUP-BAF-DRAFT", "--current", "4x4", "registers")
    assert (code, stdout) == (0, "GROUP-BAF-DRAFT: nothing to change (current is already 4x4=16)\n")
    assert _git(tmp_path, "diff", "--unified=0", "--no-color") == diff
