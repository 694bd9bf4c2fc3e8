"""`bafctl report`: the board pack's content, from valid registers at a known revision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.options import LoadOptions
from bafctl.usecases.registers import load_valid_registers, registers_at

if TYPE_CHECKING:
    from bafctl.report import Audience, Report, Revision
    from bafctl.usecases.registers import EarlierRegisters


def revision_of(paths: Sequence[Path], cwd: Path) -> Revision:
    """The git revision the registers on disk are at (HEAD, clean or with changes).

    Outside git the report says "not in git" rather than failing: a trust may keep its
    register in a shared folder.
    """
    from bafctl.errors import NotAGitRepositoryError, UsageError
    from bafctl.gitio import Repository, describe_worktree
    from bafctl.loader import discover_register_roots
    from bafctl.report import Revision

    roots = discover_register_roots(list(paths), cwd)
    try:
        info = describe_worktree(roots[0], roots)
    except (NotAGitRepositoryError, UsageError):
        return Revision(None, None, None, None)
    date = None
    if info.sha is not None:
        repo = Repository.discover(roots[0])
        try:
            committed = repo.commit_info(info.sha).date
        finally:
            repo.close()
        date = None if committed is None else committed.date()
    return Revision(info.sha, info.short, info.dirty, date)


def build_board_report(
    paths: Sequence[Path],
    cwd: Path,
    *,
    audience: Audience,
    date: dt.date | None = None,
    since: str | None = None,
    clock: Callable[[], dt.date],
    options: LoadOptions,
) -> tuple[Report, EarlierRegisters | None]:
    """The board report of the registers the paths name, ready for any renderer.

    Refused (exit 1, every error listed) when a register has errors. The report's date
    is ``date``, else the date of the commit the registers are at, else ``clock()``: the
    same registers at the same revision give the same report. The models are released
    before returning (the pages hold what they print).
    """
    from bafctl.report import build_report

    workspace = load_valid_registers(paths, cwd, options, what="report")
    revision = revision_of(paths, cwd)
    earlier = registers_at(since, paths, cwd, options) if since is not None else None
    previous_date = None
    if earlier is not None and earlier.info.date is not None:
        previous_date = earlier.info.date.date()
    result = build_report(
        workspace,
        revision=revision,
        date=date or revision.date or clock(),
        audience=audience,
        previous=earlier.workspace if earlier is not None else None,
        since=earlier.info.label if earlier is not None else None,
        previous_date=previous_date,
    )
    # The pages hold what they print: the models can go before the HTML is built, so
    # a large report never holds both (memory: benchmarks/README.md).
    workspace.release_models()
    if earlier is not None:
        earlier.workspace.release_models()
    return result, earlier
