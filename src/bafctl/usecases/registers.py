"""What the reading commands share: the registers on disk, and as they were at a revision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.errors import RegistersInvalidError
from bafctl.options import LoadOptions

if TYPE_CHECKING:
    from bafctl.findings import Finding
    from bafctl.loader import Workspace
    from bafctl.revision import RevisionInfo


def load_registers(paths: Sequence[Path], cwd: Path, options: LoadOptions) -> Workspace:
    """The registers the paths name (every register in the repository when none), loaded once."""
    from bafctl.loader import load_paths

    return load_paths(list(paths), cwd, options=options)


def error_findings(workspace: Workspace) -> list[Finding]:
    """The unsilenced error-level findings: what keeps a register from being reported on."""
    return [f for f in workspace.findings if f.level.value == "error" and f.suppressed is None]


def load_valid_registers(paths: Sequence[Path], cwd: Path, options: LoadOptions, *, what: str) -> Workspace:
    """:func:`load_registers`, refused (exit 1, every error listed) when a register has errors.

    ``what`` names what is not produced ("summary", "report"), for the message.
    """
    workspace = load_registers(paths, cwd, options)
    if workspace.has_errors:
        raise RegistersInvalidError(
            f"no {what}: fix the errors above (`bafctl check` lists every problem)", error_findings(workspace)
        )
    return workspace


@dataclass(frozen=True)
class EarlierRegisters:
    """The registers at an earlier revision (``--since``), and the files that did not load there."""

    workspace: Workspace
    info: RevisionInfo
    broken: tuple[Finding, ...]
    """Error findings at that revision: those files' risks are compared as if they were new."""


def registers_at(revision: str, paths: Sequence[Path], cwd: Path, options: LoadOptions) -> EarlierRegisters:
    """The registers as they were at ``revision``, read from git by the one loader.

    A file that does not load there is no reason to refuse today's output: its
    findings come back in :attr:`EarlierRegisters.broken` for the command to report.
    """
    from bafctl.gitio import workspace_at

    workspace, info = workspace_at(revision, paths, cwd, options=options)
    broken = tuple(f for f in workspace.findings if f.level.value == "error")
    return EarlierRegisters(workspace, info, broken)


def judgement_date(cwd: Path, as_of: dt.date | None, clock: Callable[[], dt.date]) -> dt.date:
    """The date every date rule is judged on, the same for every command.

    ``--as-of`` when given, else ``as_of`` in the nearest ``bafctl.toml`` (or
    ``[tool.bafctl]``), else ``clock()`` (``BAFCTL_TODAY`` or today). So CI's ``check``
    and ``breaches`` on one repository judge the same day.

    Raises:
        ConfigError: the configuration file is invalid (exit 2).
    """
    if as_of is not None:
        return as_of
    from bafctl.checks import RULES
    from bafctl.config import load_config

    return load_config(cwd, None, rules=RULES).as_of or clock()
