"""`bafctl summary`: the directors' summary of valid registers, with movement since a revision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.options import LoadOptions
from bafctl.usecases.registers import EarlierRegisters, judgement_date, load_valid_registers, registers_at

if TYPE_CHECKING:
    from bafctl.summary import Summary


@dataclass(frozen=True)
class SummaryResult:
    """The summary, and the registers it was compared with (``--since``)."""

    summary: Summary
    earlier: EarlierRegisters | None


def summarise(
    paths: Sequence[Path],
    cwd: Path,
    *,
    as_of: dt.date | None = None,
    clock: Callable[[], dt.date] = dt.date.today,
    since: str | None = None,
    public: bool = False,
    options: LoadOptions,
) -> SummaryResult:
    """The summary of the registers the paths name, as of :func:`judgement_date`.

    Refused (:class:`bafctl.errors.RegistersInvalidError`, exit 1) when a register has
    errors. ``since``: a git revision to show each risk's movement from. ``public``:
    leave out what the register marks private (as ``report --audience public``).
    """
    from bafctl.report import Audience, for_audience
    from bafctl.summary import build_summary

    workspace = load_valid_registers(paths, cwd, options, what="summary")
    earlier = registers_at(since, paths, cwd, options) if since is not None else None
    previous = earlier.workspace if earlier is not None else None
    if public:
        workspace = for_audience(workspace, Audience.PUBLIC)
        previous = None if previous is None else for_audience(previous, Audience.PUBLIC)
    label = earlier.info.label if earlier is not None else None
    return SummaryResult(
        build_summary(workspace, today=judgement_date(cwd, as_of, clock), previous=previous, since=label), earlier
    )
