"""`bafctl history`: every commit that changed one risk's assessments."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.options import LoadOptions

if TYPE_CHECKING:
    from bafctl.history import RiskHistory


def history_of(
    risk_id: str, paths: Sequence[Path], cwd: Path, *, since: str | None = None, options: LoadOptions
) -> RiskHistory:
    """The risk's history from git (after ``since``), oldest first.

    Raises:
        UsageError: ``risk_id`` is not a risk ID (exit 2).
        RevisionError: an unsafe or unknown ``since``, or a shallow clone (exit 2).
        RiskNotFoundError: the risk is in no commit read (exit 2).
    """
    import re

    from bafctl import gitio
    from bafctl.errors import RiskNotFoundError, UsageError
    from bafctl.models import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, risk_id):
        raise UsageError(f"{risk_id!r} is not a risk ID (letters, digits, '.', '_' and '-')")
    if since is not None:
        gitio.check_revision(since)
    result = gitio.risk_history(risk_id, paths, cwd, since=since, options=options)
    if not result.found:
        where = ", ".join(str(p) for p in paths) or "this repository"
        since_info = result.since
        raise RiskNotFoundError(
            f"no risk {risk_id!r} in the history of {where}"
            + (f" since {since_info.label}" if since_info else "")
            + " (`bafctl export` lists the risk IDs)"
        )
    return result
