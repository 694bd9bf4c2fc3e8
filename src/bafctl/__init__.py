"""bafctl: keep an NHS Board Assurance Framework honest, as YAML in git.

The public library API is listed in ``__all__``; everything else is internal.
Importing this package is cheap: the names below are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "Level",
    "RegisterSettings",
    "Risk",
    "Workspace",
    "__version__",
    "appetite_status",
    "compute_score",
    "load_paths",
    "load_workspace",
]

_LAZY = {
    "Finding": "bafctl.findings",
    "Level": "bafctl.findings",
    "RegisterSettings": "bafctl.models",
    "Risk": "bafctl.models",
    "Workspace": "bafctl.loader",
    "load_paths": "bafctl.loader",
    "load_workspace": "bafctl.loader",
    "appetite_status": "bafctl.scoring",
    "compute_score": "bafctl.scoring",
}

if TYPE_CHECKING:  # pragma: no cover
    from bafctl.findings import Finding, Level
    from bafctl.loader import Workspace, load_paths, load_workspace
    from bafctl.models import RegisterSettings, Risk
    from bafctl.scoring import appetite_status, compute_score


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bafctl' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
