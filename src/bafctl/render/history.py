"""Render a :class:`~bafctl.history.RiskHistory`: a text table with a sparkline, CSV, JSON.

Pure functions to strings. Commit subjects, authors and titles come from people: the
text format strips terminal controls, the CSV format neutralises formulas (R17, R20).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from bafctl.diff import ASSESSMENTS
from bafctl.escaping import csv_cell, display_path, log_safe, one_line, terminal
from bafctl.history import HistoryEntry, HistoryWarning, RiskHistory, RiskState
from bafctl.jsonout import dump_json
from bafctl.render.colour import ARROW_STYLES, BREACH, HEADING, Line, Span, arrow_style, band_style, paint, plain
from bafctl.revision import RevisionInfo

JSON_VERSION = 1
SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(scores: Sequence[int]) -> str:
    """One block per score, on the fixed 1-25 scale of the 5x5 matrix (so trends compare)."""
    top = len(SPARKS) - 1
    return "".join(SPARKS[min(top, max(0, round((s - 1) * top / 24)))] for s in scores)


def trend(history: RiskHistory) -> list[int]:
    """The current score at the baseline and after each entry (removals left out)."""
    states = ([history.baseline] if history.baseline else []) + [e.state for e in history.entries]
    return [s.scores["current"].score for s in states if s is not None]


def warning_lines(warnings: Sequence[HistoryWarning]) -> list[str]:
    """``at 1a2b3c4: path:line:col: message (rule)`` for each historic file that did not load."""
    return [
        log_safe(
            terminal(
                f"at {w.commit.short or w.commit.label}: {display_path(w.finding.path)}:{w.finding.line}:"
                f"{w.finding.col}: {one_line(w.finding.full_message)} ({w.finding.rule})"
            )
        )
        for w in warnings
    ]


def _cxl(state: RiskState | None, name: str) -> str:
    return state.scores[name].text if state is not None else "-"


def _row(entry: HistoryEntry) -> list[str]:
    date = entry.commit.date.date().isoformat() if entry.commit.date else ""
    state, previous = entry.state, entry.previous
    current = _cxl(state, "current")
    if state is not None and previous is not None:
        old, new = previous.scores["current"].score, state.scores["current"].score
        current += " ↑" if new > old else " ↓" if new < old else ""
    above = "above" if state is not None and state.above_tolerance else ""
    author = one_line(entry.commit.author)
    return [
        date,
        entry.commit.short or "",
        author if len(author) <= 24 else author[:23] + "…",
        _cxl(state, "initial"),
        current,
        _cxl(state, "target"),
        above and f"above {state.tolerance}" if state else "",
        entry.event,
    ]


def _cell_spans(cell: str, width: int, column: str) -> list[Span]:
    padding = (" " * (width - len(cell)), "")
    if column == "current" and cell[-1:] in ARROW_STYLES:  # `4x4=16 ↑`: the arrow coloured
        return [(cell[:-1], ""), (cell[-1], arrow_style(cell[-1])), padding]
    if column == "tolerance" and cell:
        return [(cell, BREACH), padding]
    return [(cell, ""), padding]


def _rstripped(spans: list[Span]) -> list[Span]:
    """The spans with the line's trailing spaces taken off (as ``str.rstrip`` the line)."""
    kept = list(spans)
    while kept:
        text, style = kept[-1]
        stripped = text.rstrip()
        if stripped:
            kept[-1] = (stripped, style)
            break
        kept.pop()
    return kept


def _table_row(row: list[str], widths: list[int], header: list[str], *, heading: bool) -> list[Span]:
    spans: list[Span] = []
    for index, (cell, width) in enumerate(zip(row, widths, strict=True)):
        if index:
            spans.append(("  ", ""))
        spans += (
            [(cell, HEADING), (" " * (width - len(cell)), "")] if heading else _cell_spans(cell, width, header[index])
        )
    return _rstripped(spans)


def text_lines(history: RiskHistory, since: RevisionInfo | None = None) -> list[Line]:
    """The text format's lines, as spans where colour helps (header, arrows, bands, above tolerance)."""
    latest = history.latest or history.current or (history.entries[-1].previous if history.entries else None)
    title = f": {one_line(latest.title)}" if latest else ""
    lines: list[Line] = [[(f"History of {history.risk_id}", HEADING), (title, "")]]
    if since is not None:
        base = history.baseline
        at: list[Span] = (
            [
                (f"current {base.scores['current'].text} (", ""),
                (base.current_band, band_style(base.current_band)),
                (")", ""),
            ]
            if base
            else [("not in the register", "")]
        )
        lines.append([(f"Since {one_line(since.label)}: ", ""), *at])
    if not history.entries:
        lines.append("No commit changed its assessments." if since is None else "No change since then.")
        return lines
    header = ["date", "commit", "author", "initial", "current", "target", "tolerance", "event"]
    rows = [header] + [_row(e) for e in history.entries]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for number, row in enumerate(rows):
        lines.append(_table_row(row, widths, header, heading=number == 0))
    scores = trend(history)
    if scores:
        lines.append(f"Current score: {sparkline(scores)}  ({' → '.join(str(s) for s in scores)})")
    return lines


def render_text(history: RiskHistory, since: RevisionInfo | None = None, *, color_system: str | None = None) -> str:
    """A table, oldest first, then the trend of the current score as a sparkline.

    With ``color_system`` (a rich colour system) the header, arrows (↑ red, ↓ green),
    bands and scores above tolerance are coloured (:mod:`bafctl.render.colour`); with
    None the text is plain.
    """
    lines = text_lines(history, since)
    if color_system is not None:
        return paint(lines, color_system) + "\n"
    return log_safe(terminal("\n".join(plain(line) for line in lines))) + "\n"


_CSV_HEADER = [
    "date",
    "commit",
    "author",
    "event",
    *(f"{name}{suffix}" for name in ASSESSMENTS for suffix in ("", "_score")),
    "current_band",
    "tolerance",
    "path",
    "subject",
]


def _path(entry: HistoryEntry) -> str:
    state = entry.state or entry.previous
    return display_path(state.path) if state is not None else ""


def render_csv(history: RiskHistory) -> str:
    """One row per entry; every text cell escaped against spreadsheet formulas (R17)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_CSV_HEADER)
    for entry in history.entries:
        state = entry.state
        scores: list[Any] = []
        for name in ASSESSMENTS:
            if state is None:
                scores += ["", ""]
            else:
                cxl = state.scores[name]
                scores += [f"{cxl.consequence}x{cxl.likelihood}", cxl.score]
        row: list[Any] = [
            entry.commit.date.date().isoformat() if entry.commit.date else "",
            entry.commit.short or "",
            entry.commit.author,
            entry.event,
            *scores,
            state.current_band if state else "",
            state.tolerance if state and state.tolerance is not None else "",
            _path(entry),
            entry.commit.subject,
        ]
        writer.writerow([csv_cell(terminal(cell) if isinstance(cell, str) else cell) for cell in row])
    return log_safe(buffer.getvalue())


def render_json(history: RiskHistory, since: RevisionInfo | None = None) -> str:
    """The stable JSON document (docs/diff.md, "history")."""
    document = {
        "version": JSON_VERSION,
        "risk_id": history.risk_id,
        "since": since.to_dict() if since else None,
        "baseline": history.baseline.to_dict() if history.baseline else None,
        "entries": [
            {
                "commit": e.commit.to_json(),
                "event": e.event,
                "state": e.state.to_dict() if e.state else None,
                "previous": e.previous.to_dict() if e.previous else None,
            }
            for e in history.entries
        ],
        "trend": trend(history),
        "warnings": [{"commit": w.commit.to_json(), **w.finding.to_dict()} for w in history.warnings],
    }
    return dump_json(document) + "\n"
