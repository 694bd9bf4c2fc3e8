"""Options as values: the CLI gathers its settings once; the library never reads or writes the environment."""

from __future__ import annotations

import datetime as dt
import gc
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.errors import BafctlError
from bafctl.loader import load_paths
from bafctl.options import LoadOptions
from bafctl.settings import gather
from conftest import GROUP_BAF


def test_gather_reads_every_variable() -> None:
    settings = gather(
        {
            "BAFCTL_NO_CACHE": "yes",
            "BAFCTL_CACHE_DIR": "/tmp/somewhere",
            "BAFCTL_CACHE_MAX_MB": "7",
            "BAFCTL_WORKERS": "3",
            "BAFCTL_TODAY": "2026-01-29",
            "BAFCTL_CHROMIUM": "/opt/chromium",
            "GITHUB_ACTIONS": "true",
        }
    )
    assert settings.load == LoadOptions(
        use_cache=False,
        cache_dir=Path("/tmp/somewhere"),
        cache_max_bytes=7 * 1024 * 1024,
        workers=3,
        freeze_loaded=True,
    )
    assert settings.date() == dt.date(2026, 1, 29)
    assert settings.date(dt.date(2025, 4, 1)) == dt.date(2025, 4, 1)
    assert settings.chromium == "/opt/chromium"
    assert settings.github_actions


def test_gather_defaults_and_bad_values() -> None:
    settings = gather({"BAFCTL_CACHE_MAX_MB": "lots", "BAFCTL_WORKERS": "many"})
    assert settings.load == LoadOptions(freeze_loaded=True)
    assert gather({}, no_cache=True).load.use_cache is False
    assert gather({}, freeze_loaded=False).load.freeze_loaded is False
    assert not gather({"GITHUB_ACTIONS": "1"}).github_actions


def test_a_bad_bafctl_today_is_an_error_only_when_it_is_read() -> None:
    settings = gather({"BAFCTL_TODAY": "29/01/2026"})
    assert settings.date(dt.date(2026, 1, 29)) == dt.date(2026, 1, 29)
    with pytest.raises(BafctlError, match="BAFCTL_TODAY='29/01/2026' is not a date"):
        settings.date()


def test_no_cache_writes_nothing_to_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    """Guards: `--no-cache` set BAFCTL_NO_CACHE for the rest of the process."""
    before = dict(os.environ)
    for args in (["--no-cache", "check", str(GROUP_BAF)], ["check", "--no-cache", str(GROUP_BAF)]):
        result = runner.invoke(app, args, env={"BAFCTL_CACHE_DIR": str(tmp_path / "cache")})
        assert result.exit_code == 0, result.output
        assert dict(os.environ) == before
    assert not (tmp_path / "cache").exists()  # neither flag used the cache
    # The next run in the same process uses the cache again: no flag leaks across runs.
    result = runner.invoke(app, ["check", str(GROUP_BAF)], env={"BAFCTL_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cache").is_dir()


def test_the_library_leaves_its_callers_collector_alone(tmp_path: Path) -> None:
    """Guards: load_paths froze its caller's garbage collector (and left it disabled)."""
    gc.unfreeze()
    frozen = gc.get_freeze_count()
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            load_paths([GROUP_BAF], tmp_path, options=LoadOptions(cache_dir=tmp_path / "cache"))
            assert gc.isenabled() is enabled
            assert gc.get_freeze_count() == frozen
        finally:
            gc.enable()


def test_the_library_reads_no_bafctl_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAFCTL_CACHE_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("BAFCTL_NO_CACHE", "1")
    load_paths([GROUP_BAF], tmp_path, options=LoadOptions(cache_dir=tmp_path / "given"))
    assert (tmp_path / "given").is_dir()
    assert not (tmp_path / "from-env").exists()
