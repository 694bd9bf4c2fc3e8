"""Findings: every problem bafctl reports, from a YAML syntax error to a quality rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    """How serious a finding is; only errors fail `bafctl check` by default."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for errors, 1 for warnings, 2 for info: sorts the worst first."""
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: ``path:line:col: level: message (rule)``.

    ``line`` and ``col`` are 1-based; problems with a whole file are at 1:1.
    """

    path: str
    line: int
    col: int
    rule: str
    message: str = field(compare=False)
    level: Level = field(default=Level.ERROR, compare=False)
    risk_id: str | None = field(default=None, compare=False)
    hint: str | None = field(default=None, compare=False)
    suppressed: str | None = field(default=None, compare=False)
    """The reason recorded when the finding was silenced for this risk, if it was."""

    @property
    def full_message(self) -> str:
        """The message with the risk named and the hint appended."""
        text = self.message
        if self.risk_id is not None and not text.startswith(f"risk {self.risk_id}"):
            text = f"risk {self.risk_id}: {text}"
        if self.hint:
            text = f"{text} (hint: {self.hint})"
        return text

    def to_dict(self) -> dict[str, object]:
        """The stable JSON shape of a finding (documented in README, `--format json`)."""
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "level": self.level.value,
            "rule": self.rule,
            "risk_id": self.risk_id,
            "message": self.message,
            "hint": self.hint,
            "suppressed": self.suppressed,
        }


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Findings in file order: by path, line, column, then rule."""
    return sorted(findings)


def count_levels(findings: list[Finding]) -> dict[Level, int]:
    """How many unsuppressed findings there are at each level."""
    counts = dict.fromkeys(Level, 0)
    for finding in findings:
        if finding.suppressed is None:
            counts[finding.level] += 1
    return counts
