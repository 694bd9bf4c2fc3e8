"""A risk whose `last_updated` is after the as-of date (V25).

A review cannot have happened after the day the register is judged on: the date is a
typing slip (2027 for 2026), or the register is being judged as of an earlier day than
its last edit, and then every date rule reads it wrongly. Either way the governance
team should look before the board pack is built.

PASS:
    last_updated: 2026-03-01

FAIL:
    last_updated: 2026-03-02
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level

ID = "last-updated-in-future"
DEFAULT_LEVEL = Level.WARNING
OPTIONS: Mapping[str, Any] = {}


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each risk last updated after the as-of date."""
    for _reg, lr in ctx.risks():
        updated = lr.risk.last_updated
        if updated > ctx.today:
            yield finding_at(
                lr,
                ("last_updated",),
                ID,
                f"last updated {updated.isoformat()}, after the as-of date {ctx.today.isoformat()}",
                "check the year and month of `last_updated`, or judge the register as of a later "
                "date (--as-of, or as_of in bafctl.toml)",
            )
