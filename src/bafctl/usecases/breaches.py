"""`bafctl breaches`: every risk outside appetite, even when some files do not load."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.options import LoadOptions
from bafctl.usecases.registers import error_findings, judgement_date, load_registers

if TYPE_CHECKING:
    from bafctl.breaches import BreachReport
    from bafctl.findings import Finding


@dataclass(frozen=True)
class BreachesResult:
    """The breach report and the errors that make it incomplete."""

    report: BreachReport
    errors: list[Finding]
    """Error findings: the files they are in are left out of the report."""

    @property
    def failed(self) -> bool:
        """A risk's current score is above its tolerance, or a file has errors (exit 1)."""
        return self.report.in_breach > 0 or bool(self.errors)


def find_breaches(
    paths: Sequence[Path],
    cwd: Path,
    *,
    as_of: dt.date | None = None,
    clock: Callable[[], dt.date] = dt.date.today,
    options: LoadOptions,
) -> BreachesResult:
    """Every risk outside appetite on the judgement date (:func:`judgement_date`), worst first.

    A file with errors does not stop the report (CI must still see the breaches it can);
    its errors come back beside it, and the report is then incomplete.
    """
    from bafctl.breaches import breach_report

    workspace = load_registers(paths, cwd, options)
    return BreachesResult(breach_report(workspace, judgement_date(cwd, as_of, clock)), error_findings(workspace))
