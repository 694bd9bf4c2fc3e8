"""The cache of validated files: plain data, hits, misses, corruption, concurrency, eviction, --no-cache.

The attacks on the cache (forged entries, loose folders, eviction of other files, FIFOs)
have their own regression tests in tests/security/test_cache_attacks.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import multiprocessing
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bafctl import cache as cache_module
from bafctl import loader
from bafctl.cache import (
    CACHE_DIR_ENV,
    CACHE_FORMAT,
    LazyModel,
    ValidationCache,
    code_fingerprint,
    decode,
    default_cache_dir,
    encode,
)
from bafctl.checks import rule_analysis
from bafctl.findings import Finding, Level
from bafctl.models import RegisterSettings, Risk
from bafctl.yamlio import parse_yaml
from conftest import FIXTURES, GROUP_BAF
from test_bad_inputs import CASES, case_files

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


def real_value() -> tuple[Risk, list[Finding]]:
    """What the loader caches for one risk file: the model and the file's findings."""
    parsed = parse_yaml(RISK_YAML)
    assert parsed.ok, parsed.problems
    risk = Risk.model_validate(parsed.value)
    finding = Finding("risks/BAF01.yaml", 3, 10, "yaml-comment-in-value", "text after ' #'", Level.WARNING, "BAF01")
    return risk, [finding]


@pytest.fixture
def cache(tmp_path: Path) -> ValidationCache[Any]:
    return ValidationCache(tmp_path / "cache", fingerprint="test-fingerprint")


def entry_files(cache: ValidationCache[Any]) -> list[Path]:
    return sorted(cache.directory.rglob("*.entry"))


# ---------------------------------------------------------------------------
# Round trip with real objects
# ---------------------------------------------------------------------------


def test_real_loader_values_round_trip(cache: ValidationCache[Any]) -> None:
    risk, findings = real_value()
    cache.put(RISK_YAML, "risk", (risk, findings))
    got = cache.get(RISK_YAML, "risk")
    assert got is not None
    got_risk, got_findings = got
    assert got_risk == risk
    assert type(got_risk) is Risk
    assert got_risk.causes[0].actions[0].status.is_open
    assert got_risk.model_fields_set == risk.model_fields_set
    assert got_findings == findings
    assert [dataclasses.astuple(f) for f in got_findings] == [dataclasses.astuple(f) for f in findings]
    assert got_findings[0].level is Level.WARNING
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (1, 0, 1)


def test_plain_values_round_trip_with_their_types() -> None:
    values: list[Any] = [
        None,
        True,
        0,
        -(2**70),
        1.5,
        "text \udc80 with a lone surrogate and \u00e9",
        [1, [2, (3, 4)]],
        (),
        ((1, 2, "a"),),
        {"a": 1, "b": (2,), 3: [dt.date(2026, 1, 31)]},
        {"t": "a key that looks like a tag"},
        b"\x00\x80 bytes",
        dt.date(2026, 1, 31),
    ]
    for value in values:
        got = decode(encode(value))
        assert got == value
        assert type(got) is type(value)
    assert type(decode(encode([(1,)]))[0]) is tuple


def test_only_plain_data_can_be_stored(cache: ValidationCache[Any]) -> None:
    """Nothing that would need pickle: objects of unknown classes are refused, not stored."""

    class Unknown:
        pass

    for value in (Unknown(), {1, 2}, dt.datetime(2026, 1, 1, 12), object()):
        with pytest.raises(TypeError):
            encode(value)
        with pytest.raises(TypeError):
            cache.put(b"x", "risk", value)
    assert entry_files(cache) == []
    payload = encode((real_value()[0], LazyModel.of(real_value()[0])))
    assert b"pickle" not in payload
    assert b"\x80\x05" not in payload  # no pickle protocol header anywhere


def _deep_equal(a: Any, b: Any) -> None:
    """Equal, of the same types, with the same fields set (all the way down for models)."""
    assert type(a) is type(b)
    if isinstance(a, LazyModel):
        _deep_equal(a.get(), b.get())
    elif isinstance(a, (Risk, RegisterSettings)):
        assert a == b
        assert a.model_fields_set == b.model_fields_set
        assert a.model_dump(exclude_unset=True) == b.model_dump(exclude_unset=True)
        assert a.model_dump() == b.model_dump()
    elif isinstance(a, Finding):
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        assert type(a.level) is type(b.level)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _deep_equal(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _deep_equal(x, y)
    else:
        assert a == b


def _load_generator() -> Any:
    benchmarks = Path(__file__).resolve().parent.parent / "benchmarks"
    sys.path.insert(0, str(benchmarks))
    try:
        spec = importlib.util.spec_from_file_location("generate", benchmarks / "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(benchmarks))


def _every_input(tmp_path: Path) -> dict[str, bytes]:
    """Bundled registers, test fixtures, the bad-input corpus and generated benchmark registers."""
    root = Path(__file__).resolve().parent.parent
    files: dict[str, bytes] = {}
    for folder in (root / "registers", FIXTURES, root / "tests" / "corpus"):
        for path in sorted(folder.rglob("*.y*ml")):
            files[str(path)] = path.read_bytes()
    for n, case in enumerate(CASES):
        for name, data in case_files(case).items():
            files[f"case{n}/{name}"] = data
    generate = _load_generator()
    for kind in generate.KINDS:
        folder = generate.write_register(tmp_path / kind, 60, kind)
        for path in sorted(folder.rglob("*.yaml")):
            files[str(path)] = path.read_bytes()
    return files


def test_every_cached_value_decodes_equal_to_the_original(tmp_path: Path) -> None:
    """What the loader caches (validated files, rule findings) round-trips exactly."""
    files = _every_input(tmp_path)
    assert len(files) > 300
    settings = loader._compute_settings((GROUP_BAF / "register.yaml").read_bytes()).model
    assert isinstance(settings, RegisterSettings)
    kinds: set[str] = set()
    for data in files.values():
        for result in (loader._compute_settings(data), loader._compute_risk(data, settings)):
            packed = loader._packed_for_cache(result)
            got = decode(encode(packed))
            if isinstance(packed.model, LazyModel):
                assert not got.model.is_loaded  # kept as JSON until read
                assert got.model.get() == result.model
            _deep_equal(got, packed)
            assert got.source is None
            kinds.add(type(result.model).__name__)
    assert kinds == {"NoneType", "Risk", "RegisterSettings"}
    # The rule findings cached beside them.
    workspace = loader.load_workspace(
        {k.removeprefix(str(tmp_path) + "/"): v for k, v in files.items() if k.startswith(str(tmp_path / "baf"))},
        analysis=rule_analysis(today=dt.date(2026, 2, 1)),
    )
    analysed = [lr.analysis for _, lr in workspace.risks() if lr.analysis]
    assert analysed and any(found for _, found in analysed)
    for _, found in analysed:
        value = tuple(found)
        _deep_equal(decode(encode(value)), value)


def test_restored_models_are_frozen_and_equal_to_validated_ones(cache: ValidationCache[Any]) -> None:
    risk, _ = real_value()
    cache.put(RISK_YAML, "risk", risk)
    got = cache.get(RISK_YAML, "risk")
    assert got == risk
    assert got.model_dump() == risk.model_dump()
    with pytest.raises(Exception, match="frozen"):
        got.id = "OTHER"


def test_lazy_model_decodes_on_first_read(cache: ValidationCache[Any]) -> None:
    risk, _ = real_value()
    cache.put(RISK_YAML, "risk", LazyModel.of(risk))
    lazy = cache.get(RISK_YAML, "risk")
    assert isinstance(lazy, LazyModel)
    assert not lazy.is_loaded
    assert lazy.peek() == risk
    assert not lazy.is_loaded  # peek does not keep it
    assert lazy.get() == risk
    assert lazy.is_loaded
    assert lazy.get() is lazy.get()
    assert lazy.get().model_fields_set == risk.model_fields_set


def test_lazy_model_crosses_a_pipe_as_json() -> None:
    """Worker processes send models as their JSON (pickled in memory only, never on disk)."""
    import pickle

    risk, _ = real_value()
    sent = pickle.loads(pickle.dumps(LazyModel.of(risk)))
    assert not sent.is_loaded
    assert sent.get() == risk


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


def test_default_folder_is_the_platform_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library reads no BAFCTL_ variable: the CLI passes the folder (bafctl.settings)."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "ignored"))
    xdg = Path(os.environ["XDG_CACHE_HOME"])  # set per test by conftest
    assert default_cache_dir() == xdg / "bafctl"
    default = ValidationCache[Any](fingerprint="f")
    default.put(b"x", "risk", 1)
    assert default.directory == xdg / "bafctl"
    assert default.get(b"x", "risk") == 1
    assert not (tmp_path / "ignored").exists()


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
    risk, findings = real_value()
    cache.put(RISK_YAML, "risk", (risk, findings))
    (path,) = entry_files(cache)
    path.write_bytes(corrupt(path.read_bytes()))
    assert cache.get(RISK_YAML, "risk") is None
    assert not path.exists()
    assert cache.stats.corrupt == 1
    # The next put repairs it.
    cache.put(RISK_YAML, "risk", (risk, findings))
    assert cache.get(RISK_YAML, "risk") is not None


def test_entry_under_the_wrong_key_is_a_miss(cache: ValidationCache[Any]) -> None:
    cache.put(b"a", "risk", "A")
    cache.put(b"b", "risk", "B")
    path_a, path_b = (cache._entry_path(cache.key(d, "risk")) for d in (b"a", b"b"))
    path_a.write_bytes(path_b.read_bytes())
    assert cache.get(b"a", "risk") is None
    assert not path_a.exists()
    assert cache.get(b"b", "risk") == "B"


@pytest.mark.parametrize(
    "payload",
    [
        b"not plain data",
        b"\x00\x00\x00\x05[1,2",  # truncated JSON
        b'\x00\x00\x00\x0f{"Missing":[1]}',  # a tag nobody registered
        b'\x00\x00\x00\x16{"lazy":["Risk",0,999]}',  # a blob out of range
        b'\x00\x00\x00\x15{"model":["Risk",0,2]}{}',  # a model that does not validate
    ],
)
def test_authentic_but_undecodable_payload_is_a_miss(cache: ValidationCache[Any], payload: bytes) -> None:
    cache.put(b"other", "risk", "makes the folders and the secret")
    secret = cache._load_secret(create=False)
    assert secret is not None
    key = cache.key(b"a", "risk")
    path = cache._entry_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cache_module._frame(secret, key, payload))
    assert cache.get(b"a", "risk") is None
    assert cache.stats.corrupt == 1
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
    assert not (tmp_path / "cache" / f"v{CACHE_FORMAT}" / "packs").exists()
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
    stale, fresh = folder / ".tmp-bafctl-stale123", folder / ".tmp-bafctl-fresh123"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"being written")
    os.utime(stale, (1_000_000, 1_000_000))
    cache.evict()
    assert not stale.exists()
    assert fresh.exists()
    cache.clear()
    assert entry_files(cache) == []
    assert not fresh.exists()
    assert (cache.root / "secret.key").exists()  # clear() keeps the secret


def test_folders_and_secret_are_private(cache: ValidationCache[Any]) -> None:
    cache.put(b"a", "risk", "A")
    with cache.pack("g") as pack:
        pack.put(b"b", "risk", "B")
    for folder in (cache.directory, cache.root, cache.root / "entries", cache.root / "packs"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    secret = cache.root / "secret.key"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert len(secret.read_bytes()) == 32
    for path in [*entry_files(cache), pack.path]:
        assert path.stat().st_mode & 0o077 == 0
    # Re-read by the next run, not made again.
    again = ValidationCache[Any](cache.directory, fingerprint=cache.fingerprint)
    assert again.get(b"a", "risk") == "A"
    assert again._secret == secret.read_bytes()


def test_another_secret_reads_nothing(cache: ValidationCache[Any]) -> None:
    """An entry written under one secret is not authentic under another (a moved cache)."""
    cache.put(b"a", "risk", "A")
    with cache.pack("g") as pack:
        pack.put(b"b", "risk", "B")
    secret = cache.root / "secret.key"
    secret.unlink()
    other = ValidationCache[Any](cache.directory, fingerprint=cache.fingerprint)
    other.put(b"c", "risk", "C")  # makes a new secret
    assert other.get(b"a", "risk") is None
    with other.pack("g") as again:
        assert again.get(b"b", "risk") is None
    assert other.stats.corrupt == 2


def test_format_1_caches_are_ignored_and_left_alone(tmp_path: Path) -> None:
    old = tmp_path / "cache" / "v1" / "entries" / "ab"
    old.mkdir(parents=True)
    (old / ("cd" * 31 + ".entry")).write_bytes(b"BAFCACHE\x00\x01 a pickled entry")
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f", max_bytes=1)
    cache.put(b"a", "risk", "A")
    cache.evict()
    assert (old / ("cd" * 31 + ".entry")).exists()


# ---------------------------------------------------------------------------
# Packs: one file per register folder
# ---------------------------------------------------------------------------


def test_pack_round_trip_across_instances(tmp_path: Path) -> None:
    risk, findings = real_value()
    first = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with first.pack("/registers/group-baf") as pack:
        assert pack.get(RISK_YAML, "risk") is None
        pack.put(RISK_YAML, "risk", (risk, findings))
        pack.put(b"id: B\n", "risk", "B")
    second = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with second.pack("/registers/group-baf") as pack:
        got = pack.get(RISK_YAML, "risk")
        assert got is not None
        assert got[0] == risk
        assert got[1] == findings
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


def test_undecodable_pack_entry_is_a_miss_and_the_pack_is_rewritten(tmp_path: Path) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with cache.pack("g") as pack:
        pack.put(b"a", "risk", "A")
        pack.put(b"b", "risk", "B")
    secret = cache._load_secret(create=False)
    assert secret is not None
    name = pack.path.name
    entries: dict[bytes, Any] = dict(cache_module._unpack(secret, name, pack.path.read_bytes()).items())
    entries[cache.key(b"a", "risk")] = b"not plain data"
    pack.path.write_bytes(cache_module._pack(secret, name, entries))
    with cache.pack("g") as again:
        assert again.get(b"a", "risk") is None
        assert again.get(b"b", "risk") == "B"
    assert cache.stats.corrupt == 1
    assert cache.key(b"a", "risk") not in dict(cache_module._unpack(secret, name, pack.path.read_bytes()).items())


def test_a_pack_cannot_be_renamed_to_another_register(tmp_path: Path) -> None:
    cache = ValidationCache[Any](tmp_path / "cache", fingerprint="f")
    with cache.pack("one") as pack:
        pack.put(b"a", "risk", "A")
    other = cache.pack("two")
    other.path.write_bytes(pack.path.read_bytes())
    with other:
        assert other.get(b"a", "risk") is None
    assert cache.stats.corrupt == 1


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


def test_models_are_stored_as_their_json() -> None:
    risk, _ = real_value()
    payload = encode(LazyModel.of(risk))
    assert risk.model_dump_json(by_alias=True, exclude_unset=True).encode() in payload
    assert decode(payload).get() == risk


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


def test_bound_is_200_mb_unless_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ValidationCache[Any](tmp_path).max_bytes == 200 * 1024 * 1024
    monkeypatch.setenv(cache_module.CACHE_MAX_ENV, "1000")  # the CLI's setting: not read here
    assert ValidationCache[Any](tmp_path).max_bytes == 200 * 1024 * 1024
    assert ValidationCache[Any](tmp_path, max_bytes=10).max_bytes == 10


# Names that other modules, tests and benchmarks import from bafctl.cache: the cut into
# bafctl.cache.codec, .files and .packs (issue 12) keeps every one of them importable here.
_CACHE_NAMES = (
    "CACHE_DIR_ENV",
    "CACHE_FORMAT",
    "CACHE_MAX_ENV",
    "DEFAULT_MAX_BYTES",
    "CacheCorruptError",
    "CachePack",
    "CacheStats",
    "LazyModel",
    "ValidationCache",
    "cache_folder_problem",
    "code_fingerprint",
    "content_digest",
    "decode",
    "default_cache_dir",
    "default_max_bytes",
    "encode",
    "register_codec",
    "register_model",
    "take_refusal",
    "_HEADER",
    "_PACK_HEADER",
    "_frame",
    "_pack",
    "_pack_body",
    "_pack_tag",
    "_unpack",
)


@pytest.mark.parametrize("name", _CACHE_NAMES)
def test_every_name_stays_importable_from_bafctl_cache(name: str) -> None:
    assert hasattr(cache_module, name)


def test_no_module_of_the_cache_is_over_700_lines() -> None:
    """Issue 12: the cache is cut on its seams, no module over 700 lines."""
    package = Path(cache_module.__file__ or "").parent
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in package.glob("*.py")}
    assert {"__init__.py", "codec.py", "files.py", "packs.py"} <= set(sizes)
    assert max(sizes.values()) <= 700, sizes
