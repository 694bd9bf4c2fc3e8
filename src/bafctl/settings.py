"""The one place that reads the process environment: a run's settings, gathered once.

The command line calls :func:`gather` with its flags; everything below it receives the
result as values (:class:`bafctl.options.LoadOptions`, a date, a path), so the core
never reads or writes ``os.environ``. The variables are listed in the README
("Environment variables").
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bafctl.errors import BafctlError
from bafctl.options import LoadOptions

#: Set to 1 (or pass `--no-cache`) to bypass the cache of validated files.
NO_CACHE_ENV = "BAFCTL_NO_CACHE"
#: Where the cache lives (default: the platform's user cache folder).
CACHE_DIR_ENV = "BAFCTL_CACHE_DIR"
#: The cache's bound in megabytes (default 200).
CACHE_MAX_ENV = "BAFCTL_CACHE_MAX_MB"
#: Worker processes for a large cold load (1: none; default one per core).
WORKERS_ENV = "BAFCTL_WORKERS"
#: The date rules are judged on, when no --as-of is given (tests, reproducible CI runs).
TODAY_ENV = "BAFCTL_TODAY"
#: The Chromium that prints PDF reports (default: the first on PATH).
CHROMIUM_ENV = "BAFCTL_CHROMIUM"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """Everything a command takes from its environment, as plain values."""

    load: LoadOptions = field(default_factory=LoadOptions)
    today_text: str = ""
    """``$BAFCTL_TODAY`` as written (read only when no ``--as-of`` is given); empty for the real date."""
    github_actions: bool = False
    """Running as a GitHub Actions step (``GITHUB_ACTIONS=true``)."""
    github_workspace: Path | None = None
    """``$GITHUB_WORKSPACE``: the repository root of a GitHub Actions job."""
    github_step_summary: Path | None = None
    """``$GITHUB_STEP_SUMMARY``: the job summary file that `check` and `breaches` append to."""
    chromium: str | None = None
    """``$BAFCTL_CHROMIUM``: the browser that prints PDFs."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """The environment a child process (Chromium) is started with."""
    no_color: bool = False
    """``$NO_COLOR`` is set and not empty (no-color.org): no colour unless ``--color always``."""
    force_color: bool = False
    """``$FORCE_COLOR`` is set (and not ``0``): colour even when stdout is not a terminal."""
    term: str = ""
    """``$TERM``: ``dumb`` means no colour; ``*-256color`` means 256 colours."""
    colorterm: str = ""
    """``$COLORTERM``: ``truecolor`` or ``24bit`` means 24-bit colour."""

    def color_system(self, *, wanted: str = "auto", terminal: bool = False) -> str | None:
        """The rich colour system to print with, or None for plain text.

        Args:
            wanted: ``--color``: ``always``, ``never`` or ``auto`` (colour when stdout is
                a terminal, or ``FORCE_COLOR`` is set, and ``NO_COLOR`` is not).
            terminal: Standard output is a terminal.
        """
        if wanted == "never":
            return None
        if wanted != "always":
            if self.no_color:
                return None
            if not self.force_color and (not terminal or self.term.strip().lower() == "dumb"):
                return None
        if self.colorterm.strip().lower() in ("truecolor", "24bit"):
            return "truecolor"
        return "256" if "256" in self.term else "standard"

    def date(self, as_of: dt.date | None = None) -> dt.date:
        """The date rules are judged on: ``as_of``, else ``$BAFCTL_TODAY``, else today.

        Raises:
            BafctlError: ``BAFCTL_TODAY`` is not a date (exit 2).
        """
        if as_of is not None:
            return as_of
        return _date(self.today_text) or dt.date.today()


def gather(environ: Mapping[str, str] | None = None, *, no_cache: bool = False, freeze_loaded: bool = True) -> Settings:
    """The settings of this run: ``--no-cache`` and the ``BAFCTL_*`` variables."""
    env = os.environ if environ is None else environ
    load = LoadOptions(
        use_cache=not no_cache and env.get(NO_CACHE_ENV, "").strip().lower() not in _TRUE,
        cache_dir=Path(env[CACHE_DIR_ENV]) if env.get(CACHE_DIR_ENV) else None,
        cache_max_bytes=_megabytes(env.get(CACHE_MAX_ENV, "")),
        workers=_count(env.get(WORKERS_ENV, "")),
        freeze_loaded=freeze_loaded,
    )
    return Settings(
        load=load,
        today_text=env.get(TODAY_ENV, ""),
        github_actions=env.get("GITHUB_ACTIONS") == "true",
        github_workspace=Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None,
        github_step_summary=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        chromium=env.get(CHROMIUM_ENV) or None,
        environment=dict(env),
        no_color=bool(env.get("NO_COLOR", "")),
        force_color=env.get("FORCE_COLOR", "").strip().lower() not in ("", *_FALSE),
        term=env.get("TERM", ""),
        colorterm=env.get("COLORTERM", ""),
    )


def _megabytes(value: str) -> int | None:
    value = value.strip()
    return int(value) * 1024 * 1024 if value.isdigit() and int(value) > 0 else None


def _count(value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() else 0


def _date(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BafctlError(f"{TODAY_ENV}={value!r} is not a date: write YYYY-MM-DD") from None
