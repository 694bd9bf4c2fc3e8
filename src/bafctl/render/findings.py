"""Render findings for `bafctl check`: each format is a pure function to a string."""

from __future__ import annotations

from bafctl.escaping import terminal
from bafctl.findings import Finding, Level, count_levels
from bafctl.jsonout import dump_json


def line_for(finding: Finding) -> str:
    """``path:line:col: level: message (rule)``, the same words in every format."""
    return terminal(
        f"{finding.path}:{finding.line}:{finding.col}: {finding.level.value}: {finding.full_message} ({finding.rule})"
    )


def summary_line(findings: list[Finding], files: int) -> str:
    """``2 errors, 1 warning, 0 info in 7 files (1 silenced)``."""
    counts = count_levels(findings)
    silenced = sum(1 for f in findings if f.suppressed is not None)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 or word == "info" else "s")

    text = (
        f"{plural(counts[Level.ERROR], 'error')}, {plural(counts[Level.WARNING], 'warning')}, "
        f"{plural(counts[Level.INFO], 'info')} in {plural(files, 'file')}"
    )
    if silenced:
        text += f" ({silenced} silenced)"
    return text


def render_text(findings: list[Finding], files: int) -> str:
    """One line per unsilenced finding, then the summary line."""
    lines = [line_for(f) for f in findings if f.suppressed is None]
    lines.append(summary_line(findings, files))
    return "\n".join(lines) + "\n"


def render_json(findings: list[Finding], files: int) -> str:
    """A stable JSON document (README "check --format json")."""
    counts = count_levels(findings)
    return (
        dump_json(
            {
                "version": 1,
                "files": files,
                "summary": {
                    "errors": counts[Level.ERROR],
                    "warnings": counts[Level.WARNING],
                    "info": counts[Level.INFO],
                    "silenced": sum(1 for f in findings if f.suppressed is not None),
                },
                "findings": [f.to_dict() for f in findings],
            }
        )
        + "\n"
    )
