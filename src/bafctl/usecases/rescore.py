"""`bafctl rescore`: plan a rescore from the files on disk, verify it, write it atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bafctl.options import LoadOptions

if TYPE_CHECKING:
    from bafctl.rescore import FilePlan, Refusal, RescoreRequest, RiskRescore


def plan_one(paths: Sequence[Path], cwd: Path, request: RescoreRequest, *, options: LoadOptions) -> RiskRescore:
    """The verified plan to rescore one risk in the registers the paths name; nothing is written.

    Raises:
        RiskNotFoundError: no file holds the risk (exit 2).
        RescoreRefusedError: the file has errors, or a value cannot be replaced safely (exit 1).
    """
    from bafctl.loader import read_files
    from bafctl.rescore import plan_rescore

    return plan_rescore(read_files(list(paths), cwd), request, options=options)


def plan_all(paths: Sequence[Path], cwd: Path, *, options: LoadOptions) -> tuple[list[FilePlan], list[Refusal]]:
    """Every stored score and band recomputed from C x L (``--all``); nothing is written."""
    from bafctl.loader import read_files
    from bafctl.rescore import plan_rescore_all

    return plan_rescore_all(read_files(list(paths), cwd), options=options)


def write_plan(cwd: Path, plan: FilePlan) -> list[str]:
    """Write a planned file atomically, refused if it changed since it was read.

    Returns notes about stale locks or temporary files cleaned up on the way.
    """
    from bafctl.atomic import replace_file

    return replace_file(cwd / plan.path, plan.new, expected=plan.old)
