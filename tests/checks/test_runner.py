"""The runner: levels and options from configuration, silences recorded in risk files."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import Field
from rulekit import findings, risk_text

from bafctl.checks import RULES, UNKNOWN_RULE, rule_summary, run_checks
from bafctl.checks._base import EXAMPLE_AS_OF, EXAMPLE_REGISTER, EXAMPLE_REGISTER_PATH, EXAMPLE_RISK_PATH
from bafctl.findings import Level
from bafctl.loader import LoadedRisk, Workspace, load_workspace
from bafctl.models import Risk, Silence
from bafctl.yamlio import parse_yaml

OVERDUE = """\
causes:
  - description: Vacancies
    controls: [Safe staffing policy]
    assurances:
      - {line: 3, source: Internal audit, opinion: reasonable}
    actions:
      - {id: A1, action: Refresh the workforce plan, owner: CN, due: 2026-01-31}
"""

SILENCED = """\
silenced:
  - rule: overdue-action
    reason: New date agreed by the Quality Committee
    until: 2026-03-31
  - rule: overdue-actions
    reason: A typo
"""


class _SilencedRisk(Risk):
    """The risk model with the `silenced` list docs/format.md documents (see test below)."""

    silenced: list[Silence] = Field(default_factory=list)


def _workspace_with_silences(fragment: str) -> Workspace:
    # Load the register through the real loader, then the risk through the model with
    # `silenced`, so the runner's silence handling is tested whatever models.Risk holds.
    workspace = load_workspace({EXAMPLE_REGISTER_PATH: EXAMPLE_REGISTER.encode()})
    parsed = parse_yaml(risk_text(fragment).encode())
    risk = _SilencedRisk.model_validate(parsed.value)
    workspace.registers[0].risks.append(LoadedRisk(EXAMPLE_RISK_PATH, risk, parsed.source, "EX"))
    return workspace


def test_the_runner_stamps_rule_and_level() -> None:
    (finding,) = findings("overdue-action", OVERDUE, levels={"overdue-action": Level.INFO})
    assert (finding.rule, finding.level, finding.risk_id) == ("overdue-action", Level.INFO, "R1")


def test_options_are_merged_over_defaults() -> None:
    assert findings("stale-review", "last_updated: 2025-10-01\n", options={"high_risk_months": 2})


def test_a_silence_keeps_the_finding_with_its_reason() -> None:
    found = run_checks(_workspace_with_silences(OVERDUE + SILENCED), today=EXAMPLE_AS_OF)
    overdue = [f for f in found if f.rule == "overdue-action"]
    assert [f.suppressed for f in overdue] == ["New date agreed by the Quality Committee"]


def test_a_silence_lapses_after_its_until_date() -> None:
    found = run_checks(_workspace_with_silences(OVERDUE + SILENCED), today=dt.date(2026, 4, 1))
    (overdue,) = [f for f in found if f.rule == "overdue-action"]
    assert overdue.suppressed is None
    assert overdue.hint is not None and overdue.hint.endswith("its silence lapsed on 2026-03-31")


def test_a_silence_without_until_never_lapses() -> None:
    fragment = OVERDUE + "silenced:\n  - {rule: overdue-action, reason: Accepted}\n"
    found = run_checks(_workspace_with_silences(fragment), today=dt.date(2030, 1, 1))
    assert [f.suppressed for f in found if f.rule == "overdue-action"] == ["Accepted"]


def test_a_silence_naming_an_unknown_rule_is_a_finding_at_the_rule() -> None:
    found = run_checks(_workspace_with_silences(OVERDUE + SILENCED), today=EXAMPLE_AS_OF)
    (unknown,) = [f for f in found if f.rule == UNKNOWN_RULE]
    lines = risk_text(OVERDUE + SILENCED).splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if "overdue-actions" in text)
    assert (unknown.line, unknown.col, unknown.level) == (line, 11, Level.WARNING)
    assert unknown.message == "silenced rule 'overdue-actions' does not exist"
    assert unknown.hint == "did you mean 'overdue-action'?"


@pytest.mark.xfail(
    "silenced" not in Risk.model_fields,
    reason="models.Risk has no `silenced` field yet (docs/format.md documents it): requested from its owner",
    strict=True,
)
def test_silences_in_a_risk_file_load_through_the_real_loader() -> None:
    files = {
        EXAMPLE_REGISTER_PATH: EXAMPLE_REGISTER.encode(),
        EXAMPLE_RISK_PATH: risk_text(OVERDUE + SILENCED).encode(),
    }
    workspace = load_workspace(files)
    assert workspace.findings == []
    found = run_checks(workspace, today=EXAMPLE_AS_OF)
    assert sorted((f.rule, f.suppressed is not None) for f in found) == [
        ("overdue-action", True),
        (UNKNOWN_RULE, False),
    ]


def test_a_disabled_rule_is_not_run() -> None:
    workspace = load_workspace({EXAMPLE_REGISTER_PATH: EXAMPLE_REGISTER.encode()})
    assert run_checks(workspace, today=EXAMPLE_AS_OF, levels=dict.fromkeys(RULES)) == []


def test_findings_come_back_in_file_order() -> None:
    workspace = _workspace_with_silences(OVERDUE + "title: Workforce\nlast_updated: 2025-01-01\n")
    found = run_checks(workspace, today=EXAMPLE_AS_OF)
    assert found == sorted(found)
    assert {f.rule for f in found} >= {"overdue-action", "stale-review", "title-without-cause-and-effect"}


def test_rule_summary_covers_rules_loader_findings_and_anything_else() -> None:
    assert rule_summary("overdue-action") == "An open action whose due date has passed (V16)."
    assert rule_summary("schema").startswith("A key or value does not match")
    assert rule_summary("something-new") == "bafctl check `something-new`."
