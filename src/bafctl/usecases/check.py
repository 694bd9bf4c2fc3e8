"""`bafctl check`: validate registers, run the quality rules, decide which findings fail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.options import LoadOptions

if TYPE_CHECKING:
    from bafctl.config import FailOn
    from bafctl.findings import Finding, Level
    from bafctl.loader import RiskAnalysis, Workspace


@dataclass(frozen=True)
class CheckResult:
    """What a check found, and what the command needs to render and exit."""

    workspace: Workspace
    findings: list[Finding]
    """Every finding (validation and rules), sorted by file and position."""
    skipped: list[Path]
    """Files named on the command line that are not inside a register (skipped)."""
    levels: dict[str, Level | None]
    """Each rule's level after configuration (None: switched off)."""
    failing: tuple[Level, ...]
    """The levels that make the check fail (``--fail-on``)."""
    repository_root: Path | None = None
    """The repository around the current folder: SARIF and annotations name files from it."""

    @property
    def failed(self) -> bool:
        """True when an unsilenced finding is at a failing level (exit 1)."""
        return any(f.level in self.failing for f in self.findings if f.suppressed is None)


def check_registers(
    paths: Sequence[Path],
    cwd: Path,
    *,
    clock: Callable[[], dt.date],
    as_of: dt.date | None = None,
    fail_on: FailOn | None = None,
    config_file: Path | None = None,
    repository_root: Path | None = None,
    options: LoadOptions,
) -> CheckResult:
    """Validate the registers the paths name and judge every enabled rule once.

    Args:
        paths: Register folders or files (none: every register in the repository).
        cwd: Where the command runs (paths, ``bafctl.toml`` and the cache group).
        clock: The run's date, asked for only when neither ``as_of`` nor the configuration gives one.
        as_of: ``--as-of``; before ``as_of`` in ``bafctl.toml``.
        fail_on: ``--fail-on``; before ``fail_on`` in ``bafctl.toml`` (default: error).
        config_file: ``--config``; else the nearest ``bafctl.toml`` or ``pyproject.toml``.
        repository_root: The repository's root (a CI job's workspace); else the nearest
            folder above ``cwd`` holding ``.git``.
        options: The cache and worker settings.

    The rules run beside validation (in worker processes on a large cold load) and
    their findings are cached per file, so a warm check never rebuilds a risk; the
    plan of rules is built once and serves both.
    """
    from bafctl.checks import RULES, rule_plan
    from bafctl.config import FailOn, load_config
    from bafctl.findings import Level
    from bafctl.sources.disk import find_repository_root

    config = load_config(cwd, config_file, rules=RULES)
    day = as_of or config.as_of or clock()
    plan = rule_plan(today=day, levels=config.levels, options=config.options)
    workspace, skipped = _load(list(paths), cwd, plan.analysis, options)
    findings = sorted(workspace.findings + plan.run(workspace))
    policy = fail_on or config.fail_on or FailOn.error
    failing = tuple(level for level in Level if policy.fails(level))
    root = repository_root or find_repository_root(cwd)
    return CheckResult(workspace, findings, skipped, dict(config.levels), failing, root)


def _load(paths: list[Path], cwd: Path, analysis: RiskAnalysis, options: LoadOptions) -> tuple[Workspace, list[Path]]:
    """Load the registers the paths name; files outside any register are skipped.

    The pre-commit hook passes every changed YAML file, including ones that are not
    part of a register (``.pre-commit-config.yaml``, CI workflows): those are skipped
    (the command notes each on stderr) rather than failing the commit. A folder with no
    register is still an error.
    """
    from bafctl.errors import RegisterNotFoundError
    from bafctl.loader import Workspace, discover_register_roots, load_paths

    if not paths:
        return load_paths([], cwd, analysis=analysis, options=options), []
    kept: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if path.is_file() and not path.is_symlink():
            try:
                discover_register_roots([path], cwd)
            except RegisterNotFoundError:
                skipped.append(path)
                continue
        kept.append(path)
    if not kept:
        return Workspace([], [], {}), skipped
    return load_paths(kept, cwd, analysis=analysis, options=options), skipped
