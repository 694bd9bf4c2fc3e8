"""The cache of validated files changes speed, never results (issue 7).

Every bad-input corpus case gives the same findings with the cache bypassed, cold and
warm; a warm run parses nothing; a corrupt or loose cache is never trusted (the attacks
themselves: tests/security/test_cache_attacks.py).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from bafctl import loader, yamlio
from bafctl.cache import ValidationCache
from bafctl.checks import rule_analysis, run_checks
from bafctl.load import positions
from bafctl.loader import load_paths, load_workspace
from bafctl.options import LoadOptions
from conftest import GROUP_BAF, SCALE
from test_bad_inputs import CASES, case_files
from test_loader_properties import REGISTER, TARGET, mutants


def _shape(workspace: loader.Workspace) -> tuple[Any, ...]:
    findings = [(f.path, f.line, f.col, f.level, f.rule, f.message, f.hint, f.risk_id) for f in workspace.findings]
    risks = [(lr.path, lr.risk) for _, lr in workspace.risks()]
    return (findings, risks, sorted(workspace.files))


@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c.get("file") or c.get("tree")))
def test_corpus_results_are_the_same_with_and_without_the_cache(case: dict[str, Any], tmp_path: Path) -> None:
    files = case_files(case)
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache")
    bypassed = _shape(load_workspace(files))
    cold = _shape(load_workspace(files, cache=cache))
    warm = _shape(load_workspace(files, cache=cache))
    assert cold == bypassed
    assert warm == bypassed


def test_a_warm_load_parses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = LoadOptions(cache_dir=tmp_path / "cache")
    cold = load_paths([GROUP_BAF], tmp_path, options=options)
    calls: list[bytes] = []
    real_parse = yamlio.parse_yaml

    def counting_parse(data: bytes, **kwargs: Any) -> yamlio.ParsedYaml:
        calls.append(data)
        return real_parse(data, **kwargs)

    monkeypatch.setattr(loader, "parse_yaml", counting_parse)
    monkeypatch.setattr(positions, "parse_yaml", counting_parse)  # positions rebuilt from text
    warm = load_paths([GROUP_BAF], tmp_path, options=options)
    assert calls == []
    assert _shape(warm) == _shape(cold)
    # The text is still there when a command asks for it (parsed on demand).
    first = next(iter(warm.files))
    assert warm.files[first].ok
    assert len(calls) == 1


def test_no_cache_bypasses_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    options = LoadOptions(cache_dir=cache_dir, use_cache=False)
    load_paths([GROUP_BAF], tmp_path, options=options)
    assert not cache_dir.exists()


def test_a_corrupt_pack_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    options = LoadOptions(cache_dir=cache_dir)
    expected = _shape(load_paths([GROUP_BAF], tmp_path, options=options))
    packs = list(cache_dir.rglob("*.pack"))
    assert packs
    for pack in packs:
        data = bytearray(pack.read_bytes())
        data[len(data) // 2] ^= 0xFF
        pack.write_bytes(bytes(data))
    assert _shape(load_paths([GROUP_BAF], tmp_path, options=options)) == expected
    for pack in cache_dir.rglob("*.pack"):
        pack.write_bytes(b"garbage")
    assert _shape(load_paths([GROUP_BAF], tmp_path, options=options)) == expected


def test_a_cache_folder_others_may_write_is_bypassed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "shared-cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    options = LoadOptions(cache_dir=cache_dir)
    expected = _shape(load_paths([GROUP_BAF], tmp_path, use_cache=False, options=options))
    assert _shape(load_paths([GROUP_BAF], tmp_path, options=options)) == expected
    assert _shape(load_paths([GROUP_BAF], tmp_path, options=options)) == expected
    assert list(cache_dir.iterdir()) == []  # nothing read, nothing written
    cache: ValidationCache[Any] = ValidationCache(cache_dir)
    assert cache.refusal is not None and "mode 0777" in cache.refusal


def test_an_entry_cache_serves_git_blobs_alike(tmp_path: Path) -> None:
    """history's per-file entries (no pack) give the same workspace cold and warm."""
    files = {f"reg/{p.relative_to(GROUP_BAF).as_posix()}": p.read_bytes() for p in GROUP_BAF.rglob("*.yaml")}
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache")
    bypassed = _shape(load_workspace(files))
    assert _shape(load_workspace(files, cache=cache)) == bypassed
    hits = cache.stats.hits
    assert _shape(load_workspace(files, cache=cache)) == bypassed
    assert cache.stats.hits > hits
    assert cache.stats.corrupt == 0


_CACHE_DIR: list[Path] = []


@settings(max_examples=300 * SCALE, deadline=None, derandomize=True, database=None)
@given(mutants())
def test_mutants_give_the_same_results_with_the_cache(mutant: tuple[bytes, bytes]) -> None:
    register, data = mutant
    files = {REGISTER: register, TARGET: data}
    if not _CACHE_DIR:
        _CACHE_DIR.append(Path(tempfile.mkdtemp(prefix="bafctl-cache-test-")))
    cache: ValidationCache[Any] = ValidationCache(_CACHE_DIR[0])
    bypassed = _shape(load_workspace(files))
    assert _shape(load_workspace(files, cache=cache)) == bypassed  # cold (or shared with an equal mutant)
    assert _shape(load_workspace(files, cache=cache)) == bypassed  # warm


def test_parallel_validation_gives_the_same_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large cold loads use worker processes; the result must not depend on it."""
    files = case_files(CASES[0])
    for path in sorted((GROUP_BAF / "risks").glob("*.yaml")):
        files[f"reg/risks/{path.name}"] = path.read_bytes()
    workers = 1  # as BAFCTL_WORKERS=1 asks
    serial = _shape(load_workspace(files, workers=workers))
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    workers = 2  # as BAFCTL_WORKERS=2 asks
    assert loader._workers(len(files), workers) == 2
    parallel = load_workspace(files, workers=workers)
    assert _shape(parallel) == serial
    # Positions from workers come back packed, and still locate every finding.
    assert all(f.line >= 1 and f.col >= 1 for f in parallel.findings)


# ---------------------------------------------------------------------------
# Rule findings computed beside validation and cached per file (`bafctl check`)
# ---------------------------------------------------------------------------

_AS_OF = dt.date(2026, 2, 1)


def _checked(workspace: loader.Workspace, today: dt.date = _AS_OF) -> list[Any]:
    findings = sorted(workspace.findings + run_checks(workspace, today=today))
    return [(f.path, f.line, f.col, f.level, f.rule, f.message, f.hint, f.risk_id, f.suppressed) for f in findings]


@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c.get("file") or c.get("tree")))
def test_cached_rule_findings_equal_running_the_rules(case: dict[str, Any], tmp_path: Path) -> None:
    files = case_files(case)
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache")
    analysis = rule_analysis(today=_AS_OF)
    expected = _checked(load_workspace(files))
    assert _checked(load_workspace(files, analysis=analysis)) == expected
    assert _checked(load_workspace(files, cache=cache, analysis=analysis)) == expected  # cold
    assert _checked(load_workspace(files, cache=cache, analysis=analysis)) == expected  # warm


def test_a_warm_check_restores_no_model_and_follows_the_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = LoadOptions(cache_dir=tmp_path / "cache")
    before, after = dt.date(2026, 1, 15), dt.date(2026, 6, 1)
    expected = {
        day: _checked(load_paths([GROUP_BAF], tmp_path, use_cache=False, options=options), day)
        for day in (before, after)
    }
    assert expected[before] != expected[after]  # actions fall overdue between the two dates
    for day in (before, after, before):
        load_paths(
            [GROUP_BAF], tmp_path, analysis=rule_analysis(today=day), options=options
        )  # primes this day's findings
        warm = load_paths([GROUP_BAF], tmp_path, analysis=rule_analysis(today=day), options=options)
        assert _checked(warm, day) == expected[day]
        # Not one model was decoded.
        assert warm.risks()
        assert not any(lr.model_in_memory for _, lr in warm.risks())


def test_rule_levels_and_options_are_part_of_the_cached_findings(tmp_path: Path) -> None:
    files = {f"reg/{p.relative_to(GROUP_BAF).as_posix()}": p.read_bytes() for p in GROUP_BAF.rglob("*.yaml")}
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache")
    quiet = {"appetite-breach": None}
    loud_analysis = rule_analysis(today=_AS_OF)
    quiet_analysis = rule_analysis(today=_AS_OF, levels=quiet)
    assert loud_analysis.key != quiet_analysis.key
    load_workspace(files, cache=cache, analysis=loud_analysis)
    warm = load_workspace(files, cache=cache, analysis=quiet_analysis)
    rules = {f.rule for f in run_checks(warm, today=_AS_OF, levels=quiet)}
    assert "appetite-breach" not in rules
    fresh = load_workspace(files)
    assert run_checks(warm, today=_AS_OF, levels=quiet) == run_checks(fresh, today=_AS_OF, levels=quiet)


def test_parallel_rule_findings_equal_serial_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"reg/{p.relative_to(GROUP_BAF).as_posix()}": p.read_bytes() for p in GROUP_BAF.rglob("*.yaml")}
    workers = 1  # as BAFCTL_WORKERS=1 asks
    serial = _checked(load_workspace(files, analysis=rule_analysis(today=_AS_OF), workers=workers))
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    workers = 2  # as BAFCTL_WORKERS=2 asks
    assert _checked(load_workspace(files, analysis=rule_analysis(today=_AS_OF), workers=workers)) == serial
    assert serial == _checked(load_workspace(files, workers=workers))


def test_rules_over_cached_risks_run_in_workers_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new day: validation comes from the cache, the rules run again (in workers when many)."""
    files = {f"reg/{p.relative_to(GROUP_BAF).as_posix()}": p.read_bytes() for p in GROUP_BAF.rglob("*.yaml")}
    later = dt.date(2026, 9, 1)
    expected = _checked(load_workspace(files), later)
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache")
    load_workspace(files, cache=cache, analysis=rule_analysis(today=_AS_OF))
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    workers = 2  # as BAFCTL_WORKERS=2 asks

    def refuse(data: bytes, settings: Any) -> Any:
        raise AssertionError("a cached risk was validated again")  # in the workers too: they fork with the patch

    monkeypatch.setattr(loader, "_compute_risk", refuse)
    next_day = load_workspace(files, cache=cache, analysis=rule_analysis(today=later), workers=workers)
    assert _checked(next_day, later) == expected
    # The rules read each cached model once and did not keep it.
    assert not any(lr.model_in_memory for _, lr in next_day.risks())


def test_positions_are_rebuilt_from_the_text_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = LoadOptions(cache_dir=tmp_path / "cache")
    load_paths([GROUP_BAF], tmp_path, options=options)
    warm = load_paths([GROUP_BAF], tmp_path, options=options)
    for _reg, lr in warm.risks():
        assert isinstance(lr.source, loader.SourceFromText)
        assert "not parsed" in repr(lr.source)
        data = next(p for p in GROUP_BAF.rglob("*.yaml") if lr.path.endswith(p.name)).read_bytes()
        expected = yamlio.parse_yaml(data)
        assert lr.source.locate(("assessments", "current")) == expected.source.locate(("assessments", "current"))
        assert lr.source == expected.source


def test_loads_in_several_threads_do_not_mix(tmp_path: Path) -> None:
    """The loader keeps no state between calls: each thread gets its own registers' results."""
    import threading

    from conftest import FIXTURES

    september = FIXTURES / "group-baf-2025-09"
    inputs = [(GROUP_BAF, dt.date(2026, 2, 1)), (september, dt.date(2025, 10, 1))] * 3
    expected = [_checked(load_paths([folder], tmp_path, use_cache=False), day) for folder, day in inputs]
    got: list[Any] = [None] * len(inputs)

    def run(index: int) -> None:
        folder, day = inputs[index]
        workspace = load_paths([folder], tmp_path, use_cache=False, analysis=rule_analysis(today=day))
        got[index] = _checked(workspace, day)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert got == expected
