"""SARIF that GitHub code scanning can track, and paths relative to the repository.

Code scanning wants every rule described (``fullDescription``, ``help``, ``helpUri``),
every result fingerprinted so an alert is followed across commits, and locations
relative to the repository's root, not to the folder `bafctl check` ran in.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # no stubs in the test extras
import pytest

from bafctl.breaches import breach_report
from bafctl.checks import LOADER_RULES, RULES, run_checks
from bafctl.docs_gen import rule_anchor
from bafctl.findings import Finding, Level
from bafctl.loader import load_paths
from bafctl.render import breaches as render_breaches
from bafctl.render.findings import (
    FINGERPRINT_KEY,
    RULES_DOC_URI,
    SRCROOT,
    PathBase,
    RuleInfo,
    fingerprints,
    render_github,
    render_github_step_summary,
    render_junit,
    render_parsable,
    render_sarif,
    rule_infos,
    rule_name,
    stable_message,
)
from bafctl.sources.disk import find_repository_root
from conftest import FIXTURES, REPO_ROOT

AS_OF = dt.date(2026, 3, 1)

# The extract of the official schema (tests/fixtures/sarif), with the official definition
# of the one property it lacks: `run.originalUriBaseIds`, written when a base is given.
SARIF_SCHEMA: dict[str, Any] = json.loads(
    (FIXTURES / "sarif" / "sarif-2.1.0-extract.schema.json").read_text(encoding="utf-8")
)
SARIF_SCHEMA = copy.deepcopy(SARIF_SCHEMA)
SARIF_SCHEMA["definitions"]["run"]["properties"].setdefault(
    "originalUriBaseIds",
    {
        "description": "The artifact location specified by each uriBaseId symbol on the machine where the tool "
        "originally ran.",
        "type": "object",
        "additionalProperties": {"$ref": "#/definitions/artifactLocation"},
    },
)


def validate(log: dict[str, Any]) -> None:
    jsonschema.validate(log, SARIF_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def github_slugs(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings (lower case, punctuation but ``-`` dropped)."""
    slugs = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE):
        slugs.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return slugs


def check_findings(root: Path, cwd: Path) -> list[Finding]:
    """What `bafctl check` finds in ``root`` (a register), with paths relative to ``cwd``."""
    import os

    old = Path.cwd()
    os.chdir(cwd)
    try:
        workspace = load_paths([root.relative_to(cwd)] if root != cwd else [Path()])
        return sorted(workspace.findings + run_checks(workspace, today=AS_OF))
    finally:
        os.chdir(old)


def assert_github_ingests(log: dict[str, Any]) -> None:
    """GitHub's rules for an uploaded SARIF file (docs "SARIF support for code scanning")."""
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert rules
    for rule in rules:
        assert rule["shortDescription"]["text"], rule["id"]
        assert rule["fullDescription"]["text"], rule["id"]
        assert rule["help"]["text"] and rule["help"]["markdown"], rule["id"]
        assert rule["helpUri"].startswith("https://") and "#" in rule["helpUri"], rule["id"]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"]) and rule["name"].lower() != rule["id"].lower()
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    for result in run["results"]:
        assert result["ruleId"] and result["message"]["text"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/") and ".." not in uri.split("/") and "://" not in uri, uri
        assert physical["region"]["startLine"] >= 1
        assert result["partialFingerprints"][FINGERPRINT_KEY]
    prints = [result["partialFingerprints"][FINGERPRINT_KEY] for result in run["results"]]
    assert len(prints) == len(set(prints))


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def test_every_rule_bafctl_can_report_is_described_and_has_a_section() -> None:
    log = json.loads(render_sarif([], rule_infos()))
    validate(log)
    assert_github_ingests(log)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == set(RULES) | set(LOADER_RULES)
    page = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    slugs = github_slugs(page)
    for rule_id, rule in rules.items():
        assert rule["helpUri"] == f"{RULES_DOC_URI}#{rule_anchor(rule_id)}"
        assert rule_anchor(rule_id) in slugs, f"docs/rules.md has no section for {rule_id}"
    stale = rules["stale-review"]
    assert stale["fullDescription"]["text"].startswith("A risk not reviewed for longer than its review period (V17).")
    assert "FAIL" not in stale["fullDescription"]["text"]  # the examples are in help, not here
    assert "FAIL:" in stale["help"]["markdown"]
    schema = rules["schema"]
    assert schema["name"] == "SchemaFinding"
    assert "always an error" in schema["fullDescription"]["text"]
    assert schema["help"]["markdown"].startswith("# `schema`\n")


def test_a_rule_without_texts_still_gets_every_property() -> None:
    """What a caller gives only a summary for (or nothing) is filled from it."""
    findings = [Finding("r.yaml", 2, 1, "made-up", "odd"), Finding("r.yaml", 3, 1, "yaml-tab", "tab")]
    infos = {"yaml-tab": RuleInfo("yaml-tab", "A tab where YAML needs spaces.", "", Level.ERROR)}
    log = json.loads(render_sarif(findings, infos, rules_doc_uri="https://example.org/rules.md"))
    validate(log)
    assert_github_ingests(log)
    tab = next(rule for rule in log["runs"][0]["tool"]["driver"]["rules"] if rule["id"] == "yaml-tab")
    assert tab["fullDescription"] == {"text": "A tab where YAML needs spaces."}
    assert tab["helpUri"] == "https://example.org/rules.md#yaml-tab"
    assert "https://example.org/rules.md#yaml-tab" in tab["help"]["markdown"]


def test_rule_names_are_pascal_case() -> None:
    assert rule_name("overdue-action") == "OverdueAction"
    assert rule_name("yaml-comment-in-value") == "YamlCommentInValue"
    assert rule_name("symlink") == "SymlinkFinding"


# ---------------------------------------------------------------------------
# Real registers: schema, GitHub's rules, fingerprints
# ---------------------------------------------------------------------------


def test_the_group_baf_log_is_valid_and_ingestible(group_baf: Path) -> None:
    repo = group_baf.parent.parent
    findings = check_findings(group_baf, group_baf)
    assert findings
    base = PathBase(group_baf, repo)
    for log in (
        json.loads(render_sarif(findings, rule_infos())),
        json.loads(render_sarif(findings, rule_infos(), base)),
    ):
        validate(log)
        assert_github_ingests(log)


def test_fingerprints_survive_a_blank_line_above_the_findings(group_baf: Path) -> None:
    repo = group_baf.parent.parent
    base = PathBase(repo, repo)
    before = check_findings(group_baf, repo)
    risk = group_baf / "risks" / "GROUP-BAF-1.yaml"
    assert any(f.path.endswith("GROUP-BAF-1.yaml") for f in before)
    text = risk.read_text(encoding="utf-8")
    risk.write_text("\n" + text, encoding="utf-8")
    after = check_findings(group_baf, repo)
    moved = [(b, a) for b, a in zip(before, after, strict=True) if a.path.endswith("GROUP-BAF-1.yaml")]
    assert moved and all(a.line == b.line + 1 for b, a in moved)  # the lines did move
    assert fingerprints(before, base) == fingerprints(after, base)
    log_before = json.loads(render_sarif(before, rule_infos(), base))
    log_after = json.loads(render_sarif(after, rule_infos(), base))
    assert [r["partialFingerprints"] for r in log_before["runs"][0]["results"]] == [
        r["partialFingerprints"] for r in log_after["runs"][0]["results"]
    ]


def test_fingerprints_follow_the_repository_path_not_the_current_folder(group_baf: Path) -> None:
    repo = group_baf.parent.parent
    from_root = check_findings(group_baf, repo)
    from_register = check_findings(group_baf, group_baf)
    assert from_root[0].path != from_register[0].path
    assert fingerprints(from_root, PathBase(repo, repo)) == fingerprints(from_register, PathBase(group_baf, repo))


def test_fingerprints_are_distinct_for_alike_findings_and_ignore_volatile_numbers() -> None:
    same = Finding("r.yaml", 3, 1, "schema", "unknown key `x`", risk_id="R1")
    again = Finding("r.yaml", 9, 1, "schema", "unknown key `x`", risk_id="R1")
    first, second = fingerprints([same, again])
    assert first != second
    assert fingerprints([same]) == [first]  # the first keeps its fingerprint
    day1 = Finding(
        "r.yaml", 4, 2, "overdue-action", "action A1 'x' was due 2026-01-31 and is still open (1 day overdue)"
    )
    day2 = Finding(
        "r.yaml", 4, 2, "overdue-action", "action A1 'x' was due 2026-01-31 and is still open (30 days overdue)"
    )
    other = Finding(
        "r.yaml", 4, 2, "overdue-action", "action A2 'x' was due 2026-01-31 and is still open (1 day overdue)"
    )
    assert fingerprints([day1]) == fingerprints([day2])
    assert fingerprints([day1]) != fingerprints([other])  # IDs keep their digits
    assert stable_message("current 4x3=12 above tolerance 10 (line 7); causes.0.controls") == (
        "current #x#=# above tolerance # (line #); causes.0.controls"
    )


# ---------------------------------------------------------------------------
# Repository-relative paths
# ---------------------------------------------------------------------------

REPO = Path("/srv/repo")
IN_REGISTER = PathBase(REPO / "registers" / "group-baf", REPO)


def test_path_base_is_lexical_and_keeps_paths_outside_the_repository() -> None:
    assert IN_REGISTER.relative("risks/B-date.yaml") == "registers/group-baf/risks/B-date.yaml"
    assert IN_REGISTER.relative("./risks/../register.yaml") == "registers/group-baf/register.yaml"
    assert IN_REGISTER.relative("../other/risks/R1.yaml") == "registers/other/risks/R1.yaml"
    assert IN_REGISTER.relative("../../../elsewhere/R1.yaml") == "../../../elsewhere/R1.yaml"
    assert IN_REGISTER.relative("/srv/repo/registers/x.yaml") == "registers/x.yaml"
    assert IN_REGISTER.relative("/tmp/x.yaml") == "/tmp/x.yaml"
    assert IN_REGISTER.inside("/tmp/x.yaml") is None
    assert IN_REGISTER.root_uri() == "file:///srv/repo/"
    assert PathBase(Path("/srv/my repo"), Path("/srv/my repo")).root_uri() == "file:///srv/my%20repo/"
    with pytest.raises(ValueError):
        PathBase(Path("relative"), REPO)


def test_find_repository_root(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "registers" / "group-baf").mkdir(parents=True)
    assert find_repository_root(tmp_path / "repo" / "registers" / "group-baf") == tmp_path / "repo"
    (tmp_path / "repo" / "sub").mkdir()
    (tmp_path / "repo" / "sub" / ".git").write_text("gitdir: ../.git/worktrees/sub\n")  # a worktree
    assert find_repository_root(tmp_path / "repo" / "sub") == tmp_path / "repo" / "sub"
    (tmp_path / "plain").mkdir()
    assert find_repository_root(tmp_path / "plain") in (None, *(tmp_path / "plain").parents)


# A file name GitHub needs escaped as a property (comma, colon) and a percent sign.
ODD = "risks/R1, draft: v2%.yaml"
FINDINGS = [
    Finding(ODD, 21, 91, "overdue-action", "action A1 was due", Level.WARNING, "R1"),
    Finding("/tmp/elsewhere.yaml", 1, 1, "yaml-syntax", "not YAML"),
]


def test_sarif_locations_are_relative_to_srcroot() -> None:
    log = json.loads(render_sarif(FINDINGS, rule_infos(), IN_REGISTER))
    validate(log)
    (run,) = log["runs"]
    assert run["originalUriBaseIds"] == {SRCROOT: {"uri": "file:///srv/repo/"}}
    inside, outside = (r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"])
    assert inside == {"uri": "registers/group-baf/risks/R1%2C%20draft%3A%20v2%25.yaml", "uriBaseId": SRCROOT}
    assert outside == {"uri": "/tmp/elsewhere.yaml"}  # outside the repository: as given
    without = json.loads(render_sarif(FINDINGS, rule_infos()))["runs"][0]
    assert "originalUriBaseIds" not in without
    assert without["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "risks/R1%2C%20draft%3A%20v2%25.yaml"
    }


def test_github_parsable_and_junit_use_the_repository_path() -> None:
    github = render_github(FINDINGS, 2, IN_REGISTER)
    assert github.splitlines()[0] == (
        "::warning file=registers/group-baf/risks/R1%2C draft%3A v2%25.yaml,line=21,col=91,"
        "title=bafctl overdue-action::risk R1: action A1 was due"
    )
    assert "::error file=/tmp/elsewhere.yaml,line=1,col=1," in github
    parsable = render_parsable(FINDINGS, IN_REGISTER)
    assert parsable.startswith("registers/group-baf/risks/R1, draft: v2%.yaml:21:91: [warning] ")
    junit = render_junit(FINDINGS, [ODD, "risks/clean.yaml"], base=IN_REGISTER)
    assert 'name="registers/group-baf/risks/clean.yaml"' in junit
    assert 'file="registers/group-baf/risks/R1, draft: v2%.yaml"' in junit
    assert "registers/group-baf/risks/R1, draft: v2%.yaml:21:91: warning:" in junit


def test_without_a_base_the_outputs_are_unchanged() -> None:
    assert render_github(FINDINGS, 2, None) == render_github(FINDINGS, 2)
    assert render_parsable(FINDINGS, None) == render_parsable(FINDINGS)
    assert render_junit(FINDINGS, [ODD], base=None) == render_junit(FINDINGS, [ODD])
    assert render_parsable(FINDINGS).startswith(f"{ODD}:21:91: ")
    # With the current folder at the root, the base changes nothing but SARIF's SRCROOT.
    at_root = PathBase(REPO, REPO)
    assert render_github(FINDINGS, 2, at_root) == render_github(FINDINGS, 2)
    assert render_parsable(FINDINGS, at_root) == render_parsable(FINDINGS)


def test_a_hostile_path_is_still_escaped_with_a_base() -> None:
    hostile = [Finding("risks/a\n::error file=README.md::FORGED.yaml", 1, 1, "schema", "x")]
    for output in (render_github(hostile, 1, IN_REGISTER), render_parsable(hostile, IN_REGISTER)):
        lines = output.splitlines()
        assert not any(line.startswith("::error file=README.md") for line in lines)
        assert "registers/group-baf/risks/a\\n" in output
    uri = json.loads(render_sarif(hostile, {}, IN_REGISTER))["runs"][0]["results"][0]["locations"][0]
    assert uri["physicalLocation"]["artifactLocation"]["uri"].startswith("registers/group-baf/risks/a%0A%3A%3Aerror")


# ---------------------------------------------------------------------------
# The job summary
# ---------------------------------------------------------------------------

HOSTILE = "first | second\n::error::FORGED `code` <script>alert(1)</script> **bold** [x](javascript:y)"


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def test_step_summary_is_a_table_with_every_cell_escaped() -> None:
    findings = [
        Finding("risks/R|1.yaml", 3, 5, "schema", HOSTILE, Level.ERROR, "R1"),
        Finding("risks/R2.yaml", 1, 1, "stale-review", "old", Level.WARNING, "R2", None, "agreed"),
    ]
    text = render_github_step_summary(findings, 2, IN_REGISTER)
    assert text.startswith("## bafctl check\n\n1 error, 0 warnings, 0 info in 2 files (1 silenced)\n")
    header, rule, *rows = table_rows(text)
    assert header == "| Level | Location | Rule | Message |" and rule == "| --- | --- | --- | --- |"
    (row,) = rows  # the silenced finding is counted, not listed
    assert row.startswith(r"| error | registers/group-baf/risks/R\|1.yaml:3:5 | schema | risk R1: first \| second ")
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four cells, whatever the text held
    assert "<script>" not in text and r"\<script\>" in text
    assert "`" not in text.replace(r"\`", "")
    assert r"\*\*bold\*\*" in text and r"\[x\]" in text
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())


def test_step_summary_with_no_findings_and_with_too_many() -> None:
    assert render_github_step_summary([], 3) == "## bafctl check\n\n0 errors, 0 warnings, 0 info in 3 files\n"
    many = [Finding("r.yaml", n, 1, "schema", f"problem {n}") for n in range(1, 6)]
    text = render_github_step_summary(many, 1, max_rows=2)
    assert len(table_rows(text)) == 2 + 2
    assert text.endswith("... and 3 more (see the log).\n")


def test_breaches_step_summary_escapes_register_text(group_baf: Path) -> None:
    register = group_baf / "register.yaml"
    text = register.read_text(encoding="utf-8")
    old = "    title: Group Chief People Officer\n"
    assert old in text
    register.write_text(text.replace(old, '    title: "A | B <script>x</script> `E`"\n'), encoding="utf-8")
    workspace = load_paths([group_baf])
    assert not workspace.findings
    report = breach_report(workspace, AS_OF)
    assert report.rows  # the Group BAF has a risk in breach, led by that role
    summary = render_breaches.render_step_summary(report)
    assert summary == render_breaches.render_markdown(report)
    assert summary.startswith("## Risks outside appetite as of 2026-03-01\n")
    assert "<script>" not in summary
    rows = table_rows(summary)[2:]
    assert len(rows) == len(report.rows)
    assert any(r"| A \| B \<script\>x\</script\> \`E\` |" in row for row in rows)
