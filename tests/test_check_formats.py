"""`bafctl check --format`: every CI's own format, from the same findings (issue 6)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema  # no stubs in the test extras
import pytest
from typer.testing import CliRunner

from bafctl.checks import RULES
from bafctl.checks._base import EXAMPLE_REGISTER, merge_example
from bafctl.cli import app
from bafctl.findings import Finding, Level
from bafctl.render.findings import github_data, github_property, render_junit, render_parsable, render_sarif

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SARIF_SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-2.1.0-extract.schema.json").read_text(encoding="utf-8"))

# One error (stored-band), one warning (overdue-action), one info (title); the file name
# holds a comma and a colon and the action text a percent sign, which GitHub needs escaped.
RISK = merge_example(
    """\
title: Workforce
assessments:
  initial: {consequence: 4, likelihood: 4}
  current: {consequence: 4, likelihood: 3, band: Moderate}
  target: {consequence: 4, likelihood: 2}
causes:
  - description: Vacancies in registered nursing posts
    controls:
      - Safe staffing policy
    assurances:
      - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
    actions:
      - {id: A1, action: "Cut agency spend by 50%, then review: monthly", owner: CN, due: 2026-01-31}
"""
)
RISK_PATH = "registers/trust/risks/R1, draft: v2.yaml"
AS_OF = ["--as-of", "2026-03-01"]

EXPECTED_GITHUB = (
    "::notice file=registers/trust/risks/R1%2C draft%3A v2.yaml,line=2,col=8,"
    "title=bafctl title-without-cause-and-effect::risk R1: the title does not state cause and effect "
    '(hint: write it as "If <cause>, then <event>, resulting in <effect>")\n'
    "::error file=registers/trust/risks/R1%2C draft%3A v2.yaml,line=11,col=50,title=bafctl stored-band::"
    "risk R1: current band 'Moderate' disagrees with the register: 4x3=12 is High (8-12) "
    "(hint: write `band: High`, or remove the stored band)\n"
    "::warning file=registers/trust/risks/R1%2C draft%3A v2.yaml,line=21,col=91,title=bafctl overdue-action::"
    "risk R1: action A1 'Cut agency spend by 50%25, then review: monthly' was due 2026-01-31 and is still open "
    "(29 days overdue) (hint: mark it complete with `completed:`, or record the new date the committee agreed)\n"
    "1 error, 1 warning, 1 info in 2 files\n"
)


@pytest.fixture
def trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-risk register in the current folder."""
    (tmp_path / "registers/trust/risks").mkdir(parents=True)
    (tmp_path / "registers/trust/register.yaml").write_text(EXAMPLE_REGISTER, encoding="utf-8")
    (tmp_path / RISK_PATH).write_text(RISK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_github_format_is_byte_exact(runner: CliRunner, trust: Path) -> None:
    result = runner.invoke(app, ["check", "registers", "--format", "github", *AS_OF])
    assert (result.exit_code, result.stdout, result.stderr) == (1, EXPECTED_GITHUB, "")


def test_github_format_is_chosen_on_github_actions(
    runner: CliRunner, trust: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = runner.invoke(app, ["check", "registers", *AS_OF])
    assert (result.exit_code, result.stdout) == (1, EXPECTED_GITHUB)
    explicit = runner.invoke(app, ["check", "registers", "--format", "text", *AS_OF])
    assert explicit.stdout.startswith(f"{RISK_PATH}:2:8: info: ")


def test_github_escaping_rules() -> None:
    assert github_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert github_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_parsable_format(runner: CliRunner, trust: Path) -> None:
    result = runner.invoke(app, ["check", "registers", "--format", "parsable", *AS_OF])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{RISK_PATH}:2:8: [info] risk R1: the title does not state cause and effect "
        '(hint: write it as "If <cause>, then <event>, resulting in <effect>") (title-without-cause-and-effect)',
        f"{RISK_PATH}:11:50: [error] risk R1: current band 'Moderate' disagrees with the register: "
        "4x3=12 is High (8-12) (hint: write `band: High`, or remove the stored band) (stored-band)",
        f"{RISK_PATH}:21:91: [warning] risk R1: action A1 'Cut agency spend by 50%, then review: monthly' "
        "was due 2026-01-31 and is still open (29 days overdue) "
        "(hint: mark it complete with `completed:`, or record the new date the committee agreed) (overdue-action)",
    ]


def test_parsable_with_nothing_to_report_prints_nothing() -> None:
    assert render_parsable([]) == ""


def test_sarif_validates_against_the_sarif_2_1_0_schema(runner: CliRunner, trust: Path) -> None:
    result = runner.invoke(app, ["check", "registers", "--format", "sarif", *AS_OF])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.validate(log, SARIF_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert {rule["id"] for rule in rules} >= set(RULES)
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("title-without-cause-and-effect", "note"),
        ("stored-band", "error"),
        ("overdue-action", "warning"),
    ]
    for item in results:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
    location = results[2]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "registers/trust/risks/R1%2C%20draft%3A%20v2.yaml"},
        "region": {"startLine": 21, "startColumn": 91},
    }
    overdue = next(rule for rule in rules if rule["id"] == "overdue-action")
    assert overdue["shortDescription"]["text"] == "An open action whose due date has passed (V16)."
    assert "FAIL:" in overdue["help"]["markdown"] and "status: in_progress" in overdue["help"]["text"]


def test_sarif_marks_silenced_findings() -> None:
    findings = [Finding("r.yaml", 3, 1, "overdue-action", "late", Level.WARNING, "R1", None, "Agreed by QC")]
    log = json.loads(render_sarif(findings, {}))
    jsonschema.validate(log, SARIF_SCHEMA)
    (result,) = log["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "inSource", "justification": "Agreed by QC"}]


def test_sarif_lists_only_enabled_rules_at_their_configured_level(runner: CliRunner, trust: Path) -> None:
    (trust / "bafctl.toml").write_text(
        '[rules]\ntitle-without-cause-and-effect = "off"\noverdue-action = "error"\n', encoding="utf-8"
    )
    log = json.loads(runner.invoke(app, ["check", "registers", "--format", "sarif", *AS_OF]).stdout)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "title-without-cause-and-effect" not in rules
    assert rules["overdue-action"]["defaultConfiguration"] == {"level": "error"}
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["stored-band", "overdue-action"]


def test_sarif_schema_extract_rejects_what_sarif_forbids() -> None:
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "bafctl"}}, "results": [{"level": "fatal"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SARIF_SCHEMA)


def test_junit_is_read_by_a_junit_xml_reader(runner: CliRunner, trust: Path) -> None:
    result = runner.invoke(app, ["check", "registers", "--format", "junit", *AS_OF])
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "0", "0")
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"registers/trust/register.yaml", RISK_PATH}
    (clean,) = suites["registers/trust/register.yaml"].iter("testcase")
    assert list(clean) == []  # a clean file is one passing test case
    cases = list(suites[RISK_PATH].iter("testcase"))
    assert [case.get("name") for case in cases] == [
        "title-without-cause-and-effect at 2:8",
        "stored-band at 11:50",
        "overdue-action at 21:91",
    ]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert failure.get("message", "").startswith("risk R1: current band 'Moderate'")
    assert cases[2].find("failure") is None
    assert "overdue" in (cases[2].findtext("system-out") or "")


def test_junit_failures_follow_fail_on(runner: CliRunner, trust: Path) -> None:
    result = runner.invoke(app, ["check", "registers", "--format", "junit", "--fail-on", "warning", *AS_OF])
    root = ET.fromstring(result.stdout)
    assert (result.exit_code, root.get("failures")) == (1, "2")


def test_junit_skips_silenced_findings_and_drops_characters_xml_cannot_hold() -> None:
    findings = [
        Finding("r.yaml", 3, 1, "overdue-action", "late\x01 \ufffe", Level.ERROR, "R1", None, "Agreed"),
        Finding("r.yaml", 4, 1, "stale-review", "old", Level.ERROR, "R1"),
    ]
    root = ET.fromstring(render_junit(findings, ["r.yaml"]))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("2", "1", "1")
    skipped = root.find(".//skipped")
    assert skipped is not None and skipped.get("message") == "silenced: Agreed"


def test_json_keeps_its_shape(runner: CliRunner, trust: Path) -> None:
    result = runner.invoke(app, ["check", "registers", "--format", "json", *AS_OF])
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert document["version"] == 1
    assert document["files"] == 2
    assert document["summary"] == {"errors": 1, "warnings": 1, "info": 1, "silenced": 0}
    assert [f["rule"] for f in document["findings"]] == [
        "title-without-cause-and-effect",
        "stored-band",
        "overdue-action",
    ]
    assert document["findings"][2]["suppressed"] is None


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [([], 1), (["--fail-on", "error"], 1), (["--fail-on", "warning"], 1), (["--fail-on", "never"], 0)],
)
def test_fail_on_decides_the_exit_code(runner: CliRunner, trust: Path, fail_on: list[str], code: int) -> None:
    result = runner.invoke(app, ["check", "registers", *AS_OF, *fail_on])
    assert result.exit_code == code
    assert result.stdout.endswith("1 error, 1 warning, 1 info in 2 files\n")


def test_fail_on_warning_fails_on_warnings_alone(runner: CliRunner, trust: Path) -> None:
    (trust / "bafctl.toml").write_text('[rules]\nstored-band = "off"\n', encoding="utf-8")
    assert runner.invoke(app, ["check", "registers", *AS_OF]).exit_code == 0
    result = runner.invoke(app, ["check", "registers", *AS_OF, "--fail-on", "warning"])
    assert (result.exit_code, result.stdout.splitlines()[-1]) == (1, "0 errors, 1 warning, 1 info in 2 files")


def test_an_unknown_format_is_a_usage_error(runner: CliRunner, trust: Path) -> None:
    result = runner.invoke(app, ["check", "registers", "--format", "xml"])
    assert result.exit_code == 2
    assert "xml" in result.stderr
