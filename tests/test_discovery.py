"""Which registers a command reads when given no path, or a path inside a register."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from conftest import FIXTURES, GROUP_BAF


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository with the Group BAF under registers/ and an older copy under tests/."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(GROUP_BAF, tmp_path / "registers" / "group-baf")
    shutil.copytree(FIXTURES / "group-baf-2025-09", tmp_path / "tests" / "fixtures" / "group-baf-2025-09")
    return tmp_path


def test_no_path_reads_the_registers_folder_not_fixtures(
    repository: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository)
    result = runner.invoke(app, ["check", "--as-of", "2026-01-29", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"files": 7' in result.stdout
    assert "tests/fixtures" not in result.stdout


def test_no_path_inside_a_register_reads_that_register(
    repository: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repository / "registers" / "group-baf" / "risks")
    result = runner.invoke(app, ["check", "--as-of", "2026-01-29"])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("0 errors, 22 warnings, 0 info in 7 files\n")
    assert "register-missing" not in result.stdout


def test_without_a_registers_folder_every_register_is_read(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    shutil.copytree(GROUP_BAF, tmp_path / "baf" / "group")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", "--as-of", "2026-01-29"])
    assert result.exit_code == 0, result.output
    assert "baf/group/risks/GROUP-BAF-1.yaml" in result.stdout


def test_sources_is_a_leaf_package() -> None:
    """issue 11 #11: sources/ reads files and knows the layout; it never imports the loader
    (or anything that does), so gitio and the loader can both build on it."""
    import ast

    allowed = {"bafctl.errors", "bafctl.findings", "bafctl.escaping", "bafctl.yamlio", "bafctl.sources.layout"}
    sources = Path(__file__).resolve().parent.parent / "src" / "bafctl" / "sources"
    for module in sources.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        ours = {name for name in imported if name == "bafctl" or name.startswith("bafctl.")}
        assert ours <= allowed, (module.name, sorted(ours - allowed))


def test_the_loader_still_offers_the_names_that_moved() -> None:
    """issue 11 #11: disk reading moved to sources/disk; importing it from the loader still works."""
    from bafctl import loader
    from bafctl.sources import disk, layout

    for name in ("discover_register_roots", "find_repository_root", "read_files", "scan_files"):
        assert getattr(loader, name) is getattr(disk, name)
    for name in ("REGISTER_FILE", "YAML_SUFFIXES", "SKIPPED_DIRS"):
        assert getattr(loader, name) is getattr(layout, name)


def test_a_device_is_refused_before_it_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 11 #5/#8: opening some devices acts on them (a tape rewinds): a register file
    that is not a regular file is refused from its lstat, never opened."""
    import errno
    import os

    from bafctl.sources import disk

    device = Path(os.devnull)
    if not device.exists() or device.is_file():
        pytest.skip("no null device here")

    def no_open(*args: object, **kwargs: object) -> int:
        raise AssertionError(f"opened {args[0]}")

    monkeypatch.setattr(os, "open", no_open)
    with pytest.raises(IsADirectoryError) as raised:
        disk.read_regular(device)
    assert raised.value.errno == errno.EISDIR
