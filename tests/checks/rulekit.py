"""A compact way to run one quality rule over a risk fragment (style.md 8.5).

``check(rule_id, fragment)`` merges ``fragment`` over the example risk (the same
merge the docstring examples use, see bafctl.checks._base), loads it through the real
loader, runs every rule and returns ``(line, col)`` of the findings of ``rule_id``.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping
from typing import Any

from bafctl.checks import run_checks
from bafctl.checks._base import EXAMPLE_AS_OF, EXAMPLE_REGISTER, EXAMPLE_REGISTER_PATH, EXAMPLE_RISK_PATH, merge_example
from bafctl.findings import Finding, Level
from bafctl.loader import load_workspace


def findings(
    rule_id: str,
    fragment: str = "",
    *,
    today: dt.date = EXAMPLE_AS_OF,
    options: Mapping[str, Any] | None = None,
    levels: Mapping[str, Level | None] | None = None,
    register: str = EXAMPLE_REGISTER,
) -> list[Finding]:
    """The findings of ``rule_id`` for the example risk with ``fragment`` merged over it."""
    files = {
        EXAMPLE_REGISTER_PATH: register.encode(),
        EXAMPLE_RISK_PATH: merge_example(textwrap.dedent(fragment)).encode(),
    }
    workspace = load_workspace(files)
    assert workspace.findings == [], [f.full_message for f in workspace.findings]
    result = run_checks(workspace, today=today, options={rule_id: options or {}}, levels=levels)
    return [f for f in result if f.rule == rule_id]


def check(rule_id: str, fragment: str = "", **kwargs: Any) -> list[tuple[int, int]]:
    """Positions of the findings of ``rule_id``, in file order."""
    return [(f.line, f.col) for f in findings(rule_id, fragment, **kwargs)]


def risk_text(fragment: str) -> str:
    """The merged risk file, to find expected lines in tests."""
    return merge_example(textwrap.dedent(fragment))


def line_of(fragment: str, needle: str) -> int:
    """The 1-based line of the merged risk file that contains ``needle``."""
    for number, line in enumerate(risk_text(fragment).splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in the risk file")
