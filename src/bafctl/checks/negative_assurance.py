"""Negative or limited assurance that the BAF does not act on (V18, V19).

Limited and no-assurance opinions are negative assurance (docs/domain.md 3.4, 4.1): they
show a control not working. Two things contradict them, and both are reported:

* a committee rating of `assured` in a cause or effect that also holds a negative
  third-line opinion, or an open gap in control or assurance (V18: the 2019-20 BAF
  rated controls "Fully Assured" beside their own gaps);
* a risk whose latest third-line opinion is limited or no assurance, but which is
  within tolerance and records no gap at all (V19): either the gap or the score is
  missing.

The latest opinion is the one with the latest `date` (undated opinions count as the
oldest); a later positive opinion supersedes an earlier limited one.

PASS:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        control_gaps:
          - {text: E-rostering not used on every ward, actions: [A1]}
        assurances:
          - {line: 2, source: Quality Committee staffing report, rating: partially_assured}
          - {line: 3, source: Internal audit of e-rostering, opinion: limited, date: 2025-11-30}
        actions:
          - {id: A1, action: Roll out e-rostering to every ward, owner: CN, due: 2026-06-30}

FAIL:
    causes:
      - description: Vacancies in registered nursing posts
        controls:
          - Safe staffing policy
        assurances:
          - {line: 2, source: Quality Committee staffing report, rating: assured}
          - {line: 3, source: Internal audit of e-rostering, opinion: limited, date: 2025-11-30}
        actions:
          - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, excerpt, finding_at, threads
from bafctl.findings import Finding, Level
from bafctl.models import Assurance, AssuranceRating, Polarity
from bafctl.scoring import appetite_status

ID = "negative-assurance"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def _negative(assurance: Assurance) -> bool:
    return assurance.line == 3 and assurance.effective_polarity is Polarity.NEGATIVE


def _describe(assurance: Assurance) -> str:
    said = assurance.opinion.value.replace("_", " ") if assurance.opinion else "negative"
    return f"{excerpt(assurance.source, 50)!r} ({said})"


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield findings for `assured` ratings that contradict gaps or negative opinions, and
    for a latest negative third-line opinion on a risk within tolerance with no gap."""
    for reg, lr in ctx.active_risks():
        third_line: list[tuple[dt.date, int, tuple[str | int, ...], Assurance]] = []
        any_gap = False
        for loc, name, thread in threads(lr.risk):
            negatives = [a for a in thread.assurances if _negative(a)]
            gaps = len(thread.control_gaps) + len(thread.assurance_gaps)
            any_gap = any_gap or gaps > 0
            for index, assurance in enumerate(thread.assurances):
                a_loc = (*loc, "assurances", index)
                if assurance.line == 3 and (assurance.opinion is not None or assurance.polarity is not None):
                    third_line.append((assurance.date or dt.date.min, len(third_line), a_loc, assurance))
                if assurance.rating is not AssuranceRating.ASSURED:
                    continue
                if negatives:
                    yield finding_at(
                        lr,
                        (*a_loc, "rating"),
                        ID,
                        f"rated assured, but {name} has negative third-line assurance: {_describe(negatives[0])}",
                        "rate it partially_assured or not_assured until the audit's actions are closed",
                    )
                elif gaps:
                    yield finding_at(
                        lr,
                        (*a_loc, "rating"),
                        ID,
                        f"rated assured, but {name} records {gaps} open gap{'s' if gaps != 1 else ''} "
                        "in control or assurance",
                        "rate it partially_assured, or remove the gaps that are closed",
                    )
        if not third_line or any_gap:
            continue
        _date, _order, latest_loc, latest = max(third_line, key=lambda item: (item[0], item[1]))
        if not _negative(latest):
            continue
        if appetite_status(lr.risk, reg.settings, ctx.today).in_breach:
            continue
        yield finding_at(
            lr,
            latest_loc,
            ID,
            f"latest third-line assurance {_describe(latest)} is negative, yet the risk is within "
            "tolerance and records no gap in control or assurance",
            "record the gaps the audit found (with actions), or review the current score",
        )
