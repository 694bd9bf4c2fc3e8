"""The rulebook: an explicit registry of quality rules, run over validated registers.

Schema problems and broken references are found by the loader; the rules here are the
auditor's questions asked of a valid BAF (docs/domain.md section 5). Add a rule by adding a
module (see :mod:`bafctl.checks._base`) and listing it in :data:`RULES`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
from collections.abc import Mapping
from typing import Any

from bafctl.checks import (
    action_without_owner_or_date,
    appetite_breach,
    breach_without_plan,
    committee_differs_from_section,
    current_above_initial,
    gap_without_action,
    last_updated_in_future,
    negative_assurance,
    no_assurance,
    no_controls,
    no_independent_assurance,
    overdue_action,
    stale_review,
    stored_band,
    target_above_current,
    target_date_passed,
    target_outside_appetite,
    title_without_cause_and_effect,
)
from bafctl.checks._base import CheckContext, Rule, parse_doc
from bafctl.findings import Finding, Level
from bafctl.loader import REGISTER_FILE, LoadedRegister, LoadedRisk, RiskAnalysis, Workspace
from bafctl.models import RegisterSettings
from bafctl.yamlio import SourceMap

#: Every quality rule, in the order docs/rules.md lists them: scores and appetite,
#: then controls, assurance and actions, then housekeeping.
RULES: dict[str, Rule] = {
    appetite_breach.ID: appetite_breach,
    breach_without_plan.ID: breach_without_plan,
    target_outside_appetite.ID: target_outside_appetite,
    target_above_current.ID: target_above_current,
    current_above_initial.ID: current_above_initial,
    target_date_passed.ID: target_date_passed,
    stored_band.ID: stored_band,
    no_controls.ID: no_controls,
    gap_without_action.ID: gap_without_action,
    no_assurance.ID: no_assurance,
    no_independent_assurance.ID: no_independent_assurance,
    negative_assurance.ID: negative_assurance,
    overdue_action.ID: overdue_action,
    action_without_owner_or_date.ID: action_without_owner_or_date,
    stale_review.ID: stale_review,
    last_updated_in_future.ID: last_updated_in_future,
    committee_differs_from_section.ID: committee_differs_from_section,
    title_without_cause_and_effect.ID: title_without_cause_and_effect,
}

#: The runner's own finding: a `silenced:` entry naming a rule that does not exist.
UNKNOWN_RULE = "unknown-rule"

#: Findings the loader reports (schema, YAML, references): always errors, never
#: configurable or silenced, because bafctl cannot judge a file it cannot read.
LOADER_RULES: dict[str, str] = {
    "yaml-syntax": "The file is not valid YAML.",
    "yaml-encoding": "The file is not UTF-8 text.",
    "yaml-size": "The file is larger than a risk file can be.",
    "yaml-character": "A character that YAML readers disagree on, or that hides text.",
    "yaml-tab": "A tab where YAML needs spaces.",
    "yaml-structure": "The file is empty, nested too deeply, or uses a YAML feature bafctl refuses (anchors, tags).",
    "yaml-duplicate-key": "A key written twice in one mapping.",
    "yaml-value": "A value YAML readers disagree on (an impossible date, a number with a leading zero).",
    "yaml-comment-in-value": "Text after ' #' was read as a comment, not as part of the value.",
    "yaml-escape": "A backslash escape in double quotes that changes the text (write the text as it should read).",
    "symlink": "A symbolic link inside a register: bafctl never follows links.",
    "file-unreadable": "A file that cannot be read, or is not a regular file.",
    "folder-too-deep": "A folder nested more than 64 levels below a register (or the folder searched): not read.",
    "schema": "A key or value does not match the register format (docs/format.md).",
    "unknown-reference": "A reference to a theme, committee, role, appetite level, action or risk that does not exist.",
    "duplicate-id": "An ID used twice.",
    "register-missing": "A YAML file that is not inside a register.",
    UNKNOWN_RULE: "A `silenced:` entry names a rule that does not exist.",
}


def rule_summary(rule_id: str) -> str:
    """A one-line description of any rule ID bafctl can report."""
    rule = RULES.get(rule_id)
    if rule is not None:
        return parse_doc(rule.__doc__).summary
    return LOADER_RULES.get(rule_id, f"bafctl check `{rule_id}`.")


def _active_silence(lr: LoadedRisk, rule_id: str, today: dt.date) -> tuple[str | None, dt.date | None]:
    """The reason of the silence for ``rule_id`` that holds on ``today``, else the lapsed date."""
    lapsed: dt.date | None = None
    for silence in getattr(lr.risk, "silenced", ()):
        if silence.rule != rule_id:
            continue
        if silence.until is None or silence.until >= today:
            return silence.reason, None
        lapsed = silence.until
    return None, lapsed


def _unknown_silences(lr: LoadedRisk) -> list[Finding]:
    findings: list[Finding] = []
    for index, silence in enumerate(getattr(lr.risk, "silenced", ())):
        if silence.rule in RULES:
            continue
        close = difflib.get_close_matches(silence.rule, list(RULES), n=1)
        line, col = lr.source.locate(("silenced", index, "rule"))
        findings.append(
            Finding(
                lr.path,
                line,
                col,
                UNKNOWN_RULE,
                f"silenced rule {silence.rule!r} does not exist",
                Level.WARNING,
                lr.risk.id,
                f"did you mean {close[0]!r}?" if close else "`bafctl check` lists rule IDs in docs/rules.md",
            )
        )
    return findings


@dataclasses.dataclass(frozen=True)
class RulePlan:
    """The enabled rules with their levels and options, worked out once a run.

    Built by :func:`rule_plan`; hand :attr:`analysis` to the loader, so the rules run
    beside validation (and are cached per file), then :meth:`run` over what it loaded.
    """

    today: dt.date
    rules: tuple[tuple[str, Rule, Level, Mapping[str, Any]], ...]

    @classmethod
    def of(
        cls,
        today: dt.date,
        levels: Mapping[str, Level | None] | None,
        options: Mapping[str, Mapping[str, Any]] | None,
    ) -> RulePlan:
        levels = levels or {}
        options = options or {}
        enabled = []
        for rule_id, rule in RULES.items():
            level = levels.get(rule_id, rule.DEFAULT_LEVEL)
            if level is not None:
                enabled.append((rule_id, rule, level, {**rule.OPTIONS, **options.get(rule_id, {})}))
        return cls(today, tuple(enabled))

    @property
    def key(self) -> str:
        """Everything the findings depend on besides the risk and its register."""
        shown = [[rule_id, level.value, dict(opts)] for rule_id, _rule, level, opts in self.rules]
        return json.dumps([self.today.isoformat(), shown], sort_keys=True, default=str)

    def check_risk(self, reg: LoadedRegister, lr: LoadedRisk) -> list[Finding]:
        """Every rule's findings for one risk, with its silences applied."""
        alone = Workspace([LoadedRegister(reg.root, reg.settings, reg.settings_path, reg.source, [lr])], [])
        findings: list[Finding] = []
        for rule_id, rule, level, opts in self.rules:
            ctx = CheckContext(alone, self.today, opts)
            for finding in rule.check(ctx):
                stamped = dataclasses.replace(finding, rule=rule_id, level=level)
                reason, lapsed = _active_silence(lr, rule_id, self.today)
                if reason is not None:
                    stamped = dataclasses.replace(stamped, suppressed=reason)
                elif lapsed is not None:
                    note = f"its silence lapsed on {lapsed.isoformat()}"
                    hint = f"{stamped.hint}; {note}" if stamped.hint else note
                    stamped = dataclasses.replace(stamped, hint=hint)
                findings.append(stamped)
        findings.extend(_unknown_silences(lr))
        return findings

    def analyse(self, settings: RegisterSettings, lr: LoadedRisk) -> tuple[Finding, ...]:
        """:meth:`check_risk` as the loader calls it (:class:`bafctl.loader.RiskAnalysis`)."""
        reg = LoadedRegister(".", settings, REGISTER_FILE, SourceMap())
        return tuple(self.check_risk(reg, lr))

    @property
    def analysis(self) -> RiskAnalysis:
        """The rules as a loader analysis: run beside validation, cached per risk file."""
        return RiskAnalysis(self.key, self.analyse)

    def run(self, workspace: Workspace) -> list[Finding]:
        """Every enabled rule's findings over the loaded risks, in file order (see :func:`run_checks`).

        A risk loaded with :attr:`analysis` already carries its findings; only the others
        are judged here.
        """
        key = self.key
        findings: list[Finding] = []
        for reg, lr in workspace.risks():
            if lr.analysis is not None and lr.analysis[0] == key:
                findings.extend(lr.analysis[1])
            else:
                findings.extend(self.check_risk(reg, lr))
        return sorted(findings)


def rule_plan(
    *,
    today: dt.date,
    levels: Mapping[str, Level | None] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> RulePlan:
    """The rules a run judges, with their levels and options (see :func:`run_checks`)."""
    return RulePlan.of(today, levels, options)


def rule_analysis(
    *,
    today: dt.date,
    levels: Mapping[str, Level | None] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> RiskAnalysis:
    """The quality rules as a loader analysis: run beside validation, cached per risk file.

    Pass it to :func:`bafctl.loader.load_paths` and then call :func:`run_checks` with the
    same arguments: the rules' findings come from the loader (from worker processes on a
    cold load, from the cache on a warm one) instead of being worked out again.
    """
    return RulePlan.of(today, levels, options).analysis


def run_checks(
    workspace: Workspace,
    *,
    today: dt.date,
    levels: Mapping[str, Level | None] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Finding]:
    """Run every enabled rule over the validated risks and apply each risk's silences.

    Args:
        workspace: What the loader read.
        today: The as-of date for date rules.
        levels: Level per rule ID, overriding ``DEFAULT_LEVEL``; ``None`` turns a rule off.
        options: Options per rule ID, over the rule's ``OPTIONS`` defaults.

    Returns:
        The findings in file order. A finding silenced for its risk (``silenced:`` in the
        risk file, with ``until`` not yet passed) is kept with ``suppressed`` set to the
        recorded reason, so the summary still counts it. Every rule judges one risk with
        its register's settings, so a risk loaded with :func:`rule_analysis` for the same
        arguments already carries its findings.
    """
    return RulePlan.of(today, levels, options).run(workspace)
