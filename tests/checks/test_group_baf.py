"""Acceptance: `bafctl check registers/` on the bundled Group BAF reports its real findings.

The Group BAF of January 2026 (registers/group-baf, transcribed from the board paper)
is judged as of 1 February 2026, the day after BAF 2's "end of Jan 26" action fell due.
Every finding is a warning or info, so the check exits 0 while listing what an auditor
would raise, each at the line it is about.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]
GROUP_BAF = REPO_ROOT / "registers" / "group-baf"
AS_OF = "2026-02-01"
LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<level>\w+): (?P<message>.*) \((?P<rule>[a-z-]+)\)$"
)

pytestmark = pytest.mark.skipif(not GROUP_BAF.is_dir(), reason="the bundled Group BAF register is not present")


def _line_of_key(path: Path, action_id: str, key: str) -> tuple[int, int]:
    """Line and column of ``key:``'s value in the action with ``action_id``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, text in enumerate(lines) if re.search(rf"\bid: {re.escape(action_id)}$", text))
    for number in range(start, len(lines)):
        match = re.match(rf"^(\s*(?:- )?){key}: ", lines[number])
        if match:
            return number + 1, match.end() + 1
    raise AssertionError(f"{action_id} has no {key}")


@pytest.fixture(scope="module")
def output() -> tuple[int, list[dict[str, str]], str, str]:
    import os

    cwd = Path.cwd()
    os.chdir(REPO_ROOT)
    try:
        result = CliRunner().invoke(app, ["check", "registers/", "--as-of", AS_OF])
    finally:
        os.chdir(cwd)
    *lines, summary = result.stdout.splitlines()
    parsed = []
    for line in lines:
        match = LINE.match(line)
        assert match, line
        parsed.append(match.groupdict())
    return result.exit_code, parsed, summary, result.stderr


def test_check_exits_0_with_warnings_and_no_errors(output: tuple[int, list[dict[str, str]], str, str]) -> None:
    code, findings, summary, stderr = output
    assert (code, stderr) == (0, "")
    assert findings, "the Group BAF has real findings"
    assert {f["level"] for f in findings} <= {"warning", "info"}
    assert re.fullmatch(rf"0 errors, {len(findings)} warnings?, 0 info in \d+ files", summary), summary


def test_overdue_actions_are_reported_at_their_due_dates(output: tuple[int, list[dict[str, str]], str, str]) -> None:
    _code, findings, _summary, _stderr = output
    overdue = {
        (f["path"], int(f["line"]), int(f["col"])): f["message"] for f in findings if f["rule"] == "overdue-action"
    }
    baf3 = GROUP_BAF / "risks" / "GROUP-BAF-3.yaml"
    baf2 = GROUP_BAF / "risks" / "GROUP-BAF-2.yaml"
    # BAF 3: "Success measures and measuring impact to be determined Medical Director December 25".
    line, col = _line_of_key(baf3, "GROUP-BAF-3.A12", "due")
    assert overdue[("registers/group-baf/risks/GROUP-BAF-3.yaml", line, col)] == (
        "risk GROUP-BAF-3: action GROUP-BAF-3.A12 'Success measures and measuring impact to be determined' "
        "was due 2025-12-31 and is still open (32 days overdue) (hint: mark it complete with `completed:`, "
        "or record the new date the committee agreed)"
    )
    # BAF 2: "Work with ICB and system partners to agree plan by end of Jan 26".
    line, col = _line_of_key(baf2, "GROUP-BAF-2.A1", "due")
    assert overdue[("registers/group-baf/risks/GROUP-BAF-2.yaml", line, col)].startswith(
        "risk GROUP-BAF-2: action GROUP-BAF-2.A1 'Work with ICB and system partners to agree plan by end of...' "
        "was due 2026-01-31 and is still open (1 day overdue)"
    )


def test_every_finding_points_at_the_line_it_is_about(output: tuple[int, list[dict[str, str]], str, str]) -> None:
    _code, findings, _summary, _stderr = output
    for finding in findings:
        text = (REPO_ROOT / finding["path"]).read_text(encoding="utf-8").splitlines()[int(finding["line"]) - 1]
        rule = finding["rule"]
        if rule == "overdue-action":
            assert re.match(r"\s*due: \d{4}-\d{2}-\d{2}", text), (finding, text)
        elif rule == "action-without-owner-or-date":
            assert re.match(r"\s*- id: ", text), (finding, text)
        elif rule == "gap-without-action":
            quoted = re.search(r"'(.*?)(?:\.\.\.)?'", finding["message"])
            assert quoted and quoted.group(1) in text, (finding, text)
        elif rule == "appetite-breach":
            assert "current:" in text, (finding, text)
        elif rule == "stale-review":
            assert "last_updated:" in text, (finding, text)


def test_more_findings_as_time_passes(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    later = runner.invoke(app, ["check", "registers/", "--as-of", "2026-06-01"])
    rules = [line.rsplit("(", 1)[-1].rstrip(")") for line in later.stdout.splitlines()[:-1]]
    assert later.exit_code == 0
    assert rules.count("overdue-action") > 2
    assert "stale-review" in rules
