"""`bafctl diff`: what changed in the registers between two revisions, risk by risk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.options import LoadOptions

if TYPE_CHECKING:
    from bafctl.diff_types import WorkspaceDiff
    from bafctl.findings import Finding
    from bafctl.revision import RevisionInfo


@dataclass(frozen=True)
class DiffResult:
    """The comparison, the two revisions, and what did not load at either."""

    diff: WorkspaceDiff
    old: RevisionInfo
    new: RevisionInfo
    why: dict[str, list[RevisionInfo]] | None
    """``--why``: the commits that touched each changed risk (None when not asked)."""
    warnings: list[tuple[RevisionInfo, Finding]]
    """Files that did not load, with the revision they are at: their risks are not compared."""


def diff_revisions(
    revisions: Sequence[str],
    paths: Sequence[Path],
    cwd: Path,
    *,
    as_of: dt.date | None = None,
    clock: Callable[[], dt.date] = dt.date.today,
    why: bool = False,
    options: LoadOptions,
) -> DiffResult:
    """Compare the registers at two revisions (default: HEAD against the working tree).

    One revision is compared with the working tree. Each revision is checked for safety
    and resolved before anything is read, so a bad second revision is reported before
    the first is loaded.

    Raises:
        UsageError: more than two revisions (exit 2).
        RevisionError: an unknown or unsafe revision, or a shallow clone (exit 2).
        RegisterNotFoundError: no register at either revision (exit 2).
    """
    from bafctl import gitio
    from bafctl.diff import commits_by_risk, diff_workspaces, load_problems
    from bafctl.errors import RegisterNotFoundError, UsageError
    from bafctl.usecases.registers import judgement_date

    revs = list(revisions)
    if len(revs) > 2:
        raise UsageError("diff takes at most two revisions (put paths after `--`)")
    for rev in revs:
        gitio.check_revision(rev)
    repo = gitio.Repository.discover(cwd)
    try:
        for rev in revs:
            repo.resolve(rev)  # report a bad second revision before reading the first
    finally:
        repo.close()
    old_rev = revs[0] if revs else "HEAD"
    new_rev = revs[1] if len(revs) == 2 else gitio.WORKTREE
    (old_ws, old_info), (new_ws, new_info) = gitio.workspaces_at([old_rev, new_rev], paths, cwd, options=options)
    if not old_ws.files and not new_ws.files:
        where = ", ".join(str(p) for p in paths) or "the repository"
        raise RegisterNotFoundError(
            f"no register in {where} at {old_info.label} or {new_info.label} "
            "(a register is a folder with a register.yaml)"
        )
    warnings = [(old_info, f) for f in load_problems(old_ws)] + [(new_info, f) for f in load_problems(new_ws)]
    old_date = old_info.date.date() if old_info.date else None
    today = judgement_date(cwd, as_of, clock)
    result = diff_workspaces(old_ws, new_ws, today=today, old_date=old_date)
    why_map = commits_by_risk(result, gitio.commits_between(old_info, new_info, paths, cwd)) if why else None
    return DiffResult(result, old_info, new_info, why_map, warnings)
