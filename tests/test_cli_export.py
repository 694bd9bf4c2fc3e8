"""`bafctl export --format json`: validated registers with derived values, for dashboards (issue 2 item 6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.errors import ExitCode
from conftest import FIXTURES

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture
def multi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the two-register fixture, the working folder above it."""
    target = tmp_path / "multi"
    shutil.copytree(FIXTURES / "multi", target)
    monkeypatch.chdir(tmp_path)
    return target


def _export(runner: CliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["export", *args, "--as-of", "2026-02-01"])
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _risks(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {risk["id"]: risk for reg in document["registers"] for risk in reg["risks"]}


def test_export_document_shape(multi: Path, runner: CliRunner) -> None:
    document = _export(runner, "multi")
    assert (document["version"], document["as_of"]) == (1, "2026-02-01")
    assert [(r["id"], r["name"], r["path"]) for r in document["registers"]] == [
        ("GROUP", "Group Board Assurance Framework", "multi/group"),
        ("TRUST", "Example NHS Trust Board Assurance Framework", "multi/trust"),
    ]
    risks = _risks(document)
    assert list(risks) == ["GROUP-01", "BAF04", "BAF05"]
    group = risks["GROUP-01"]
    assert group["scores"] == {
        "initial": {"consequence": 5, "likelihood": 4, "score": 20, "band": "Extreme"},
        "current": {"consequence": 4, "likelihood": 4, "score": 16, "band": "Extreme"},
        "target": {"consequence": 4, "likelihood": 2, "score": 8, "band": "High", "date": "2027-03-31"},
    }
    assert group["appetite"] == {
        "level": "open",
        "name": "Open",
        "tolerance": 16,
        "override_reason": None,
        "flags": [],
        "over_by": 0,
    }
    assert (group["title"], group["status"], group["register"], group["path"]) == (
        "If we cannot recruit and retain enough staff across the group then care will not be safe",
        "approved",
        "GROUP",
        "multi/group/risks/GROUP-01.yaml",
    )
    assert group["section"] == {"number": 1, "title": "V Valuing Everyone"}
    assert group["related_risks"] == ["TRUST:BAF04", "NHFT:BAF04"]
    assert group["causes"][0]["actions"][0] == {
        "id": "GROUP-01.A1",
        "action": "Agree a shared staff bank",
        "owner": "GCPO",
        "due": "2026-09-30",
        "status": "in_progress",
        "completed": None,
        "private": False,
    }
    assert risks["BAF04"]["appetite"]["tolerance"] == 12  # the trust's own `cautious` level
    assert risks["BAF05"]["status"] == "draft"


def test_tolerance_overrides_and_breaches_are_exported(multi: Path, runner: CliRunner) -> None:
    baf04 = multi / "trust" / "risks" / "BAF04.yaml"
    text = baf04.read_text().replace(
        "current: {consequence: 4, likelihood: 3}", "current: {consequence: 4, likelihood: 4}"
    )
    baf04.write_text(text)
    baf05 = multi / "trust" / "risks" / "BAF05.yaml"
    baf05.write_text(
        baf05.read_text().replace(
            "  level: open\n", "  level: open\n  tolerance: 10\n  reason: Board decision, May 2025\n"
        )
    )
    risks = _risks(_export(runner, "multi"))
    assert risks["BAF04"]["appetite"]["flags"] == ["breach"]
    assert (risks["BAF04"]["appetite"]["over_by"], risks["BAF04"]["scores"]["current"]["score"]) == (4, 16)
    assert risks["BAF05"]["appetite"] == {
        "level": "open",
        "name": "Open",
        "tolerance": 10,
        "override_reason": "Board decision, May 2025",
        "flags": ["breach"],
        "over_by": 2,
    }


def test_export_is_byte_identical_run_to_run(multi: Path, runner: CliRunner) -> None:
    first = runner.invoke(app, ["export", "multi", "--as-of", "2026-02-01"]).stdout
    second = runner.invoke(app, ["export", "multi", "--as-of", "2026-02-01"]).stdout
    assert first == second
    assert first.endswith("}\n") and "NaN" not in first and "Infinity" not in first
    assert list(json.loads(first)) == sorted(json.loads(first))  # sorted keys


def test_export_refuses_a_register_with_errors(multi: Path, runner: CliRunner) -> None:
    shutil.copy(CORPUS / "2.1-leading-zero.yaml", multi / "trust" / "risks" / "BAF06.yaml")
    result = runner.invoke(app, ["export", "multi"])
    assert (result.exit_code, result.stdout) == (ExitCode.FINDINGS, "")
    assert result.stderr.splitlines() == [
        "multi/trust/risks/BAF06.yaml:2:5: error: number 010 has a leading zero "
        '(hint: quote it if it is an ID ("010"), else write 10) (yaml-value)',
        "multi/trust/risks/BAF06.yaml:24:5: error: number 0012 has a leading zero "
        '(hint: quote it if it is an ID ("0012"), else write 12) (yaml-value)',
        "multi/trust/risks/BAF06.yaml:25:5: error: number 08 has a leading zero "
        '(hint: quote it if it is an ID ("08"), else write 8) (yaml-value)',
        "bafctl: error: nothing exported: fix the errors above (`bafctl check` lists every problem)",
    ]


def test_export_writes_json_only(multi: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "multi", "--format", "text"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE, "")
    assert "export writes json only" in result.stderr


def test_export_of_a_missing_path_is_a_usage_error(multi: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "nowhere"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.USAGE,
        "",
        "bafctl: error: nowhere: no such file or folder\n",
    )
