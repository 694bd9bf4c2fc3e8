"""An appetite level without a tolerance: breaches are not judged, and nothing invents a figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app

AS_OF = "2026-01-29"


@pytest.fixture
def register(group_baf: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The Group BAF with its one appetite level's tolerance left out, as a board that set none."""
    settings = group_baf / "register.yaml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace("    tolerance: 16\n    description: Risk Appetite – Open (upper limit of tolerance 16)\n", "")
    settings.write_text(text, encoding="utf-8")
    monkeypatch.chdir(group_baf.parent.parent)
    return group_baf


def test_it_checks_and_no_risk_is_in_breach(runner: CliRunner, register: Path) -> None:
    check = runner.invoke(app, ["check", "registers", "--as-of", AS_OF, "--format", "json"])
    assert check.exit_code == 0, check.output
    rules = {f["rule"] for f in json.loads(check.stdout)["findings"]}
    assert not rules & {"appetite-breach", "target-outside-appetite", "breach-without-plan"}
    breaches = runner.invoke(app, ["breaches", "registers", "--as-of", AS_OF])
    assert (breaches.exit_code, breaches.stdout) == (0, "no risk outside appetite as of 2026-01-29 (6 risks checked)\n")


@pytest.mark.parametrize("output_format", ["text", "markdown", "html"])
def test_the_summary_says_no_tolerance_was_set(runner: CliRunner, register: Path, output_format: str) -> None:
    result = runner.invoke(app, ["summary", "registers", "--as-of", AS_OF, "--format", output_format])
    assert result.exit_code == 0, result.output
    if output_format == "text":  # the narrow Appetite column wraps the words onto three lines
        cells = [
            line[line.index("Open (no") :].split()[:2] for line in result.stdout.splitlines() if "Open (no" in line
        ]
        assert cells and all(cell == ["Open", "(no"] for cell in cells)
        assert "tolerance" in result.stdout and "set)" in result.stdout
    else:
        assert "Open (no tolerance set)" in result.stdout
    assert "BREACH" not in result.stdout
    assert "upper limit of tolerance 16" not in result.stdout


def test_the_report_and_export_carry_no_invented_tolerance(runner: CliRunner, register: Path) -> None:
    report = runner.invoke(app, ["report", "registers", "-o", "-", "--format", "html", "--as-of", AS_OF])
    assert report.exit_code == 0, report.output
    assert "Risk Appetite – Open (no tolerance set)" in report.stdout
    assert "tolerance 16" not in report.stdout and "tolerance 25" not in report.stdout
    exported = json.loads(runner.invoke(app, ["export", "registers", "--as-of", AS_OF]).stdout)
    for reg in exported["registers"]:
        for risk in reg["risks"]:
            assert risk["appetite"]["tolerance"] is None, risk["id"]
