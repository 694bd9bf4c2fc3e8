"""The rulebook: an explicit registry of quality rules, run over validated registers.

Schema problems and broken references are found by the loader; the rules here are the
auditor's questions asked of a valid BAF (domain.md section 5). Add a rule by adding a
module and listing it in :data:`RULES`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from bafctl.checks import appetite_breach, target_outside_appetite
from bafctl.checks._base import CheckContext, Rule
from bafctl.findings import Finding, Level
from bafctl.loader import Workspace

RULES: dict[str, Rule] = {
    appetite_breach.ID: appetite_breach,
    target_outside_appetite.ID: target_outside_appetite,
}


def run_checks(
    workspace: Workspace,
    *,
    today: dt.date,
    levels: Mapping[str, Level | None] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Finding]:
    """Run every enabled rule; ``levels`` overrides defaults (None turns a rule off)."""
    levels = levels or {}
    options = options or {}
    findings: list[Finding] = []
    for rule_id, rule in RULES.items():
        level = levels.get(rule_id, rule.DEFAULT_LEVEL)
        if level is None:
            continue
        ctx = CheckContext(workspace, today, options.get(rule_id, {}))
        findings.extend(dataclasses.replace(f, rule=rule_id, level=level) for f in rule.check(ctx))
    return sorted(findings)
