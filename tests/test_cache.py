"""The cache of validated files: hits, misses, corruption, concurrency, eviction, --no-cache."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bafctl import cache as cache_module
from bafctl.cache import (
    CACHE_DIR_ENV,
    LazyModel,
    ValidationCache,
    code_fingerprint,
    default_cache_dir,
    dumps,
)
from bafctl.findings import Finding, Level
from bafctl.models import Risk
from bafctl.yamlio import SourceMap, parse_yaml

RISK_YAML = textwrap.dedent(
    """\
    id: BAF01
    title: If we do not continue to engage in digital transformation, we will not be digitally mature
    keyword: digital transformation
    status: approved
    strategic_link: T
    oversight: [FPC]
    executive_lead: CIO
    date_included: 2025-04-01
    last_updated: 2026-01-15
    assessments:
      initial: {consequence: 4, likelihood: 5}
      current: {consequence: 4, likelihood: 4, score: 16}
      target: {consequence: 4, likelihood: 2, date: 2027-03-31}
    appetite:
      level: open
    causes:
      - description: Lack of capacity, resources and commitment to support all Trust digital needs
        controls:
          - LPT & NHFT digital plans
          - "Digital maturity assessment: annual"
        control_gaps:
          - text: Capital funding for digital infrastructure
            actions: [A1]
        assurances:
          - line: 3
            source: Internal audit of the data security and protection toolkit
            opinion: substantial
            date: 2025-06-30
        actions:
          - id: A1
            action: >-
              Complete a gap analysis of capacity
              to deliver the plan
            owner: CIO
            due: 2026-02-28
            status: in_progress
        progress:
          - Digital plan updates included within governance work plans  # a comment
    """
).encode()


def real_value() -> tuple[SourceMap, Risk, list[Finding]]:
    """What the loader caches for one risk file: positions, the model, the file's findings."""
    parsed = parse_yaml(RISK_YAML)
    assert parsed.ok, parsed.problems
    risk = Risk.model_validate(parsed.value)
    finding = Finding("risks/BAF01.yaml", 3, 10, "yaml-comment-in-value", "text after ' #'", Level.WARNING, "BAF01")
    return parsed.source, risk, [finding]


@pytest.fixture
def cache(tmp_path: Path) -> ValidationCache[Any]:
    return ValidationCache(tmp_path / "cache", fingerprint="test-fingerprint")


def entry_files(cache: ValidationCache[Any]) -> list[Path]:
    return sorted(p for p in cache.directory.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------
# Round trip with real objects
# ---------------------------------------------------------------------------


def test_real_loader_values_round_trip(cache: ValidationCache[Any]) -> None:
    source, risk, findings = real_value()
    cache.put(RISK_YAML, "risk", (source, risk, findings))
    got = cache.get(RISK_YAML, "risk")
    assert got is not None
    got_source, got_risk, got_findings = got
    assert got_risk == risk
    assert type(got_risk) is Risk
    assert got_risk.causes[0].actions[0].status.is_open
    assert got_risk.model_fields_set == risk.model_fields_set
    assert got_findings == findings
    assert got_findings[0].level is Level.WARNING
    assert isinstance(got_source, SourceMap)
    assert got_source == source
    assert got_source.values == source.values
    assert got_source.keys == source.keys
    for path in (("causes", 0, "actions", 0, "due"), ("assessments", "current", "score"), ("title",)):
        assert got_source.locate(path) == source.locate(path)
    assert got_source.locate(("appetite", "level"), key=True) == (15, 3)
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (1, 0, 1)


def test_restored_models_are_frozen_and_equal_to_validated_ones(cache: ValidationCache[Any]) -> None:
    _, risk, _ = real_value()
    cache.put(RISK_YAML, "risk", risk)
    got = cache.get(RISK_YAML, "risk")
    assert got == risk
    assert got.model_dump() == risk.model_dump()
    with pytest.raises(Exception, match="frozen"):
        got.id = "OTHER"


def test_lazy_model_unpickles_on_first_read(cache: ValidationCache[Any]) -> None:
    _, risk, _ = real_value()
    cache.put(RISK_YAML, "risk", LazyModel.of(risk))
    lazy = cache.get(RISK_YAML, "risk")
    assert isinstance(lazy, LazyModel)
    assert not lazy.is_loaded
    assert lazy.peek() == risk
    assert not lazy.is_loaded  # peek does not keep it
    assert lazy.get() == risk
    assert lazy.is_loaded
    assert lazy.get() is lazy.get()


# ---------------------------------------------------------------------------
# Keys: bytes, context and code fingerprint
# ---------------------------------------------------------------------------


def test_miss_then_hit(cache: ValidationCache[Any]) -> None:
    assert cache.get(b"id: A\n", "risk") is None
    cache.put(b"id: A\n", "risk", {"value": 1})
    assert cache.get(b"id: A\n", "risk") == {"value": 1}
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


def test_other_bytes_other_context_other_code_miss(cache: ValidationCache[Any], tmp_path: Path) -> None:
    cache.put(b"id: A\n", "risk", "validated A")
    assert cache.get(b"id: A \n", "risk") is None
    assert cache.get(b"id: A\n", "register") is None
    assert cache.get(b"id: A\n", "risk:settings=abc") is None
    newer = ValidationCache[Any](cache.directory, fingerprint="another-version")
    assert newer.get(b"id: A\n", "risk") is None
    assert cache.get(b"id: A\n", "risk") == "validated A"


def test_code_fingerprint_is_stable_and_covers_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    first = code_fingerprint()
    assert first == code_fingerprint()
    assert len(first) == 64
    code_fingerprint.cache_clear()
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    try:
        assert code_fingerprint() != first
    finally:
        code_fingerprint.cache_clear()


def test_default_folder_honours_the_override_and_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    xdg = Path(os.environ["XDG_CACHE_HOME"])  # set per test by conftest
    assert default_cache_dir() == xdg / "bafctl"
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    default = ValidationCache[Any](fingerprint="f")
    default.put(b"x", "risk", 1)
    assert default.directory == tmp_path / "elsewhere"
    assert default.get(b"x", "risk") == 1


# ---------------------------------------------------------------------------
# Corruption: always a miss, and the bad entry is removed
# ---------------------------------------------------------------------------


def _corrupt_truncate(blob: bytes) -> bytes:
    return blob[: len(blob) // 2]


def _corrupt_flip_payload(blob: bytes) -> bytes:
    index = len(blob) - 5
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


def _corrupt_flip_header(blob: bytes) -> bytes:
    return blob[:20] + bytes([blob[20] ^ 0x80]) + blob[21:]


def _corrupt_garbage(blob: bytes) -> bytes:
    return os.urandom(len(blob))


def _corrupt_empty(blob: bytes) -> bytes:
    return b""


def _corrupt_version(blob: bytes) -> bytes:
    return blob[:8] + (999).to_bytes(2, "big") + blob[10:]


@pytest.mark.parametrize(
    "corrupt",
    [
        _corrupt_truncate,
        _corrupt_flip_payload,
        _corrupt_flip_header,
        _corrupt_garbage,
        _corrupt_empty,
        _corrupt_version,
    ],
)
def test_corrupt_entry_is_a_miss_and_is_removed(cache: ValidationCache[Any], corrupt: Any) -> None:
    source, risk, findings = real_value()
    cache.put(RISK_YAML, "risk", (source, risk, findings))
    (path,) = entry_files(cache)
    path.write_bytes(corrupt(path.read_bytes()))
    assert cache.get(RISK_YAML, "risk") is None
    assert not path.exists()
    assert cache.stats.corrupt == 1
    # The next put repairs it.
    cache.put(RISK_YAML, "risk", (source, risk, findings))
    assert cache.get(RISK_YAML, "risk") is not None


def test_entry_under_the_wrong_key_is_a_miss(cache: ValidationCache[Any]) -> None:
    cache.put(b"a", "risk", "A")
    cache.put(b"b", "risk", "B")
    path_a, path_b = (cache._entry_path(cache.key(d, "risk")) for d in (b"a", b"b"))
    path_a.write_bytes(path_b.read_bytes())
    assert cache.get(b"a", "risk") is None
    assert not path_a.exists()
    assert cache.get(b"b", "risk") == "B"


def test_digest_valid_but_unpicklable_payload_is_a_miss(cache: ValidationCache[Any]) -> None:
    key = cache.key(b"a", "risk")
    path = cache._entry_path(key)
    path.parent.mkdir(parents=True)
    # A well-formed entry whose pickle names a class that no longer exists.
    payload = b"\x80\x05\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x0cbafctl.cache\x94\x8c\x07Missing\x94\x93\x94."
    path.write_bytes(cache_module._frame(key, payload))
    assert cache.get(b"a", "risk") is None
    assert not path.exists()


# ---------------------------------------------------------------------------
# Disabled (--no-cache), unwritable folders
# ---------------------------------------------------------------------------


def test_disabled_cache_never_reads_or_writes(tmp_path: Path) -> None:
    enabled = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    enabled.put(b"a", "risk", "A")
    disabled = ValidationCache[Any](tmp_path / "cache", fingerprint="f", disabled=True)
    assert disabled.get(b"a", "risk") is None
    disabled.put(b"b", "risk", "B")
    with disabled.pack("group") as pack:
        assert pack.get(b"a", "risk") is None
        pack.put(b"c", "risk", "C")
    assert enabled.get(b"b", "risk") is None
    assert not (tmp_path / "cache" / "v1" / "packs").exists()
    assert disabled.evict() == 0
    assert (disabled.stats.hits, disabled.stats.writes) == (0, 0)


def test_disabled_cache_does_not_even_resolve_its_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> Path:
        raise AssertionError("looked up the cache folder")

    monkeypatch.setattr(cache_module, "default_cache_dir", boom)
    disabled = ValidationCache[Any](disabled=True, fingerprint="f")
    disabled.put(b"a", "risk", "A")
    assert disabled.get(b"a", "risk") is None


def test_unwritable_folder_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    cache = ValidationCache[Any](blocker, fingerprint="f")
    cache.put(b"a", "risk", "A")
    assert cache.get(b"a", "risk") is None
    with cache.pack("g") as pack:
        pack.put(b"a", "risk", "A")


# ---------------------------------------------------------------------------
# Eviction
# ---------------------------------------------------------------------------


def test_eviction_removes_least_recently_used_first(tmp_path: Path) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f", max_bytes=10**9)
    for n in range(10):
        cache.put(f"file {n}".encode(), "risk", "x" * 1000)
    paths = {n: cache._entry_path(cache.key(f"file {n}".encode(), "risk")) for n in range(10)}
    for n, path in paths.items():
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    assert cache.get(b"file 0", "risk") == "x" * 1000  # used now: the most recent
    entry_size = paths[5].stat().st_size
    cache.max_bytes = entry_size * 4
    removed = cache.evict()
    assert removed == 6
    assert cache.size() <= cache.max_bytes
    kept = {n for n, path in paths.items() if path.exists()}
    assert kept == {0, 7, 8, 9}


def test_writing_past_the_bound_evicts_automatically(tmp_path: Path) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f", max_bytes=20_000)
    for n in range(60):
        cache.put(f"file {n}".encode(), "risk", os.urandom(1000))
    assert cache.size() <= 20_000 + 2_000  # at most one write past the bound
    assert cache.stats.evicted > 0
    assert cache.get(b"file 59", "risk") is not None


def test_stale_temporary_files_are_removed(cache: ValidationCache[Any]) -> None:
    cache.put(b"a", "risk", "A")
    folder = entry_files(cache)[0].parent
    stale, fresh = folder / ".tmp-stale", folder / ".tmp-fresh"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"being written")
    os.utime(stale, (1_000_000, 1_000_000))
    cache.evict()
    assert not stale.exists()
    assert fresh.exists()
    cache.clear()
    assert entry_files(cache) == []


# ---------------------------------------------------------------------------
# Packs: one file per register folder
# ---------------------------------------------------------------------------


def test_pack_round_trip_across_instances(tmp_path: Path) -> None:
    source, risk, findings = real_value()
    first = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with first.pack("/registers/group-baf") as pack:
        assert pack.get(RISK_YAML, "risk") is None
        pack.put(RISK_YAML, "risk", (source, risk, findings))
        pack.put(b"id: B\n", "risk", "B")
    second = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with second.pack("/registers/group-baf") as pack:
        got = pack.get(RISK_YAML, "risk")
        assert got is not None
        assert got[1] == risk
        assert got[0].locate(("title",)) == source.locate(("title",))
    # Only the entries used in the last run are kept: B's file was not read this time.
    with ValidationCache[Any](tmp_path / "cache", fingerprint="f").pack("/registers/group-baf") as pack:
        assert pack.get(RISK_YAML, "risk") is not None
        assert pack.get(b"id: B\n", "risk") == "B"  # still there: the second run wrote nothing
        pack.put(b"id: C\n", "risk", "C")
    with ValidationCache[Any](tmp_path / "cache", fingerprint="f").pack("/registers/group-baf") as pack:
        assert pack.get(b"id: C\n", "risk") == "C"
        assert pack.get(b"id: B\n", "risk") == "B"
    other = ValidationCache[Any](tmp_path / "cache", fingerprint="f").pack("/registers/other")
    assert other.get(RISK_YAML, "risk") is None
    assert other.path != pack.path


def test_pack_drops_entries_of_files_no_longer_read(tmp_path: Path) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with cache.pack("g") as pack:
        pack.put(b"old", "risk", "old")
    with cache.pack("g") as pack:
        pack.put(b"new", "risk", "new")
    with cache.pack("g") as pack:
        assert pack.get(b"old", "risk") is None
        assert pack.get(b"new", "risk") == "new"


@pytest.mark.parametrize("corrupt", [_corrupt_truncate, _corrupt_flip_payload, _corrupt_garbage, _corrupt_empty])
def test_corrupt_pack_is_empty_and_removed(tmp_path: Path, corrupt: Any) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with cache.pack("g") as pack:
        pack.put(b"a", "risk", "A")
    pack.path.write_bytes(corrupt(pack.path.read_bytes()))
    with cache.pack("g") as again:
        assert again.get(b"a", "risk") is None
        assert not again.path.exists()
    assert cache.stats.corrupt == 1


def test_unpicklable_pack_entry_is_a_miss_and_the_pack_is_rewritten(tmp_path: Path) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with cache.pack("g") as pack:
        pack.put(b"a", "risk", "A")
        pack.put(b"b", "risk", "B")
    entries = cache_module._unpack(pack.path.read_bytes())
    entries[cache.key(b"a", "risk")] = b"not a pickle"
    pack.path.write_bytes(cache_module._pack(entries))
    with cache.pack("g") as again:
        assert again.get(b"a", "risk") is None
        assert again.get(b"b", "risk") == "B"
    assert cache.key(b"a", "risk") not in cache_module._unpack(pack.path.read_bytes())


# ---------------------------------------------------------------------------
# Concurrency: writers in several processes never produce a corrupt read
# ---------------------------------------------------------------------------

ROUNDS = 150


def _hammer(args: tuple[str, int]) -> tuple[int, int, int]:
    folder, worker = args
    cache = ValidationCache[Any](Path(folder), fingerprint="f")
    consistent = 0
    for n in range(ROUNDS):
        data = f"file {n % 7}".encode()
        # Each worker writes its own value for the same keys; every value is self-checking.
        cache.put(data, "risk", (worker, n, [worker * 1000 + n] * 500))
        got = cache.get(data, "risk")
        if got is not None:
            who, when, payload = got
            assert payload == [who * 1000 + when] * 500
            consistent += 1
        with cache.pack("shared") as pack:
            if (value := pack.get(data, "risk")) is not None:
                assert value[2] == [value[0] * 1000 + value[1]] * 500
            pack.put(data, "risk", (worker, n, [worker * 1000 + n] * 500))
    return consistent, cache.stats.corrupt, cache.stats.hits


def test_concurrent_writers_never_produce_a_corrupt_read(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        outcomes = pool.map(_hammer, [(str(tmp_path / "cache"), worker) for worker in range(4)])
    assert sum(corrupt for _, corrupt, _ in outcomes) == 0
    assert all(consistent == ROUNDS for consistent, _, _ in outcomes)
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


def test_dumps_uses_the_fast_model_reducer() -> None:
    _, risk, _ = real_value()
    fast = dumps(risk)
    assert b"_restore_model" in fast
    assert pickle.loads(fast) == risk


def test_pack_larger_than_the_bound_is_not_written(tmp_path: Path) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f", max_bytes=5_000)
    with cache.pack("small") as pack:
        pack.put(b"a", "risk", "A")
    with cache.pack("big") as pack:
        for n in range(10):
            pack.put(f"file {n}".encode(), "risk", os.urandom(1000))
    assert cache.stats.too_large == 1
    assert not pack.path.exists()
    with cache.pack("small") as small:
        assert small.get(b"a", "risk") == "A"  # the other pack was not evicted for nothing


def test_bound_can_be_raised_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ValidationCache[Any](tmp_path).max_bytes == 200 * 1024 * 1024
    monkeypatch.setenv(cache_module.CACHE_MAX_ENV, "1000")
    assert ValidationCache[Any](tmp_path).max_bytes == 1000 * 1024 * 1024
    assert ValidationCache[Any](tmp_path, max_bytes=10).max_bytes == 10
    monkeypatch.setenv(cache_module.CACHE_MAX_ENV, "lots")
    assert ValidationCache[Any](tmp_path).max_bytes == 200 * 1024 * 1024
