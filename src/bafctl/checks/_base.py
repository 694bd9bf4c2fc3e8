"""The contract every quality rule module follows (style.md 8.2).

A rule is a module with ``ID`` (kebab-case), ``DEFAULT_LEVEL``, a docstring with
``PASS:`` and ``FAIL:`` YAML examples that the test suite runs, and a generator
``check(ctx)`` that yields every finding and never returns early. Rules never read
files, git or the clock: everything comes from the :class:`CheckContext`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bafctl.findings import Finding, Level
from bafctl.loader import LoadedRegister, LoadedRisk, Workspace


@dataclass(frozen=True)
class CheckContext:
    """What a rule may look at."""

    workspace: Workspace
    today: dt.date
    options: Mapping[str, Any] = field(default_factory=dict)
    """This rule's options from the configuration."""

    def risks(self) -> list[tuple[LoadedRegister, LoadedRisk]]:
        """Every validated risk with its register."""
        return self.workspace.risks()


class Rule(Protocol):
    """A quality rule module."""

    ID: str
    DEFAULT_LEVEL: Level

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        """Yield every finding (the runner sets the level and silences)."""
        ...  # pragma: no cover


def finding_at(lr: LoadedRisk, loc: tuple[str | int, ...], rule: str, message: str, hint: str | None = None) -> Finding:
    """A finding for a risk, positioned at ``loc`` inside its file."""
    line, col = lr.source.locate(loc)
    return Finding(lr.path, line, col, rule, message, Level.WARNING, lr.risk.id, hint)
