"""`bafctl export`: the registers as one JSON-ready document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bafctl.errors import RegistersInvalidError
from bafctl.options import LoadOptions
from bafctl.usecases.registers import judgement_date, load_registers


def export_registers(
    paths: Sequence[Path],
    cwd: Path,
    *,
    as_of: dt.date | None = None,
    clock: Callable[[], dt.date] = dt.date.today,
    options: LoadOptions,
) -> dict[str, Any]:
    """Every register and risk with scores, bands and appetite status (README "export").

    Refused (exit 1, every error listed) when a register has error-level problems.
    """
    from bafctl.export import export_document

    workspace = load_registers(paths, cwd, options)
    if workspace.has_errors:
        # Every error-level finding is listed, as `check` would show it.
        errors = [f for f in workspace.findings if f.level.value == "error"]
        raise RegistersInvalidError(
            "nothing exported: fix the errors above (`bafctl check` lists every problem)", errors
        )
    document = export_document(workspace, judgement_date(cwd, as_of, clock))
    workspace.release_models()  # the document holds the data now (memory at 5,000 risks)
    return document
