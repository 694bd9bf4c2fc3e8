"""The cache of validated files must never run code, forge a result, or touch others' files (issue 11).

Each test replays one finding of the security review against the cache folder
(``BAFCTL_CACHE_DIR``): a pickle that would run a command, a forged entry whose plain
SHA-256 was recomputed, a folder other users may write, eviction deleting files that are
not bafctl's, and a FIFO where a pack or an entry should be.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bafctl import cache as cache_module
from bafctl.cache import CACHE_FORMAT, LazyModel, ValidationCache, cache_folder_problem, decode, encode, take_refusal
from bafctl.cli import app
from bafctl.models import Assessment

TODAY = "2026-02-01"
BROKEN_RISK = b"id: BROKEN-1\ntitle: a risk with no other field\n"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BAFCTL_CACHE_DIR", str(folder))
    monkeypatch.setenv("BAFCTL_TODAY", TODAY)
    monkeypatch.delenv("BAFCTL_NO_CACHE", raising=False)
    return folder


def _check(runner: CliRunner, register: Path) -> Any:
    return runner.invoke(app, ["check", str(register)])


def _breaches(runner: CliRunner, register: Path) -> list[str]:
    result = runner.invoke(app, ["breaches", str(register), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return sorted(json.dumps(item, sort_keys=True) for item in json.loads(result.stdout)["risks"])


def _packs(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("*.pack"))


def _secret(cache_dir: Path) -> bytes:
    return (cache_dir / f"v{CACHE_FORMAT}" / "secret.key").read_bytes()


def _forge_pack(pack: Path, mutate: Callable[[Any], Any], sign: Callable[[bytes], bytes]) -> None:
    """Rewrite a pack with every value passed through ``mutate`` and the body tagged by ``sign``."""
    index = cache_module._unpack(_secret(pack.parents[2]), pack.name, pack.read_bytes())
    entries = {key: encode(mutate(decode(payload))) for key, payload in index.items()}
    body = cache_module._pack_body(entries)  # type: ignore[arg-type]
    pack.write_bytes(cache_module._PACK_HEADER.pack(b"BAFCPACK", CACHE_FORMAT, len(body), sign(body)) + body)


def _plain_sha256(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()


def _real_hmac(secret: bytes, name: str) -> Callable[[bytes], bytes]:
    return lambda body: cache_module._pack_tag(secret, name, body)


def _clean(value: Any) -> Any:
    """What an attacker wants the cache to say: no findings, and every risk at 1x1."""
    if isinstance(value, tuple):
        return ()  # a risk's rule findings
    if type(value).__name__ == "_Validated":
        model = value.model
        if isinstance(model, LazyModel):
            risk = model.get()
            low = Assessment(consequence=1, likelihood=1)
            model = LazyModel.of(
                risk.model_copy(update={"assessments": risk.assessments.model_copy(update={"current": low})})
            )
        return type(value)(value.risk_id, model, None, (), True, value.facts)
    return value


# ---------------------------------------------------------------------------
# (a) code in the cache
# ---------------------------------------------------------------------------


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def test_a_crafted_pickle_in_the_cache_does_not_run(
    runner: CliRunner, group_baf: Path, cache_dir: Path, tmp_path: Path
) -> None:
    """Guards: a pickled entry or pack ran arbitrary code on the next check/summary/diff/report."""
    marker = tmp_path / "marker"
    expected = _check(runner, group_baf)
    payload = pickle.dumps(_RunsCode(marker))
    pickle.loads(payload).close()  # the payload does run when unpickled
    assert marker.exists()
    marker.unlink()
    for pack in _packs(cache_dir):
        # Framed as the entries are, under a digest anyone can recompute (format 1) ...
        pack.write_bytes(b"BAFCPACK" + struct.pack(">HQ", 1, len(payload)) + _plain_sha256(payload) + payload)
    # ... and as every entry of the current format, with the tag recomputed as a plain SHA-256.
    cache: ValidationCache[Any] = ValidationCache(cache_dir)
    for context in ("register", "risk"):
        key = cache.key((group_baf / "register.yaml").read_bytes(), context)
        path = cache._entry_path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        header = cache_module._HEADER.pack(b"BAFCACHE", CACHE_FORMAT, key, len(payload), _plain_sha256(payload))
        path.write_bytes(header + payload)
        assert cache.get((group_baf / "register.yaml").read_bytes(), context) is None
    legacy = cache_dir / "v1" / "packs"
    legacy.mkdir(parents=True)
    (legacy / ("0" * 40 + ".pack")).write_bytes(pickle.dumps(_RunsCode(marker)))
    for command in (["check"], ["summary"], ["report", "--output", str(tmp_path / "r.html")], ["breaches"]):
        result = runner.invoke(app, [*command, str(group_baf)])
        assert result.exit_code in (0, 1), result.output
        assert not marker.exists(), command
    assert _check(runner, group_baf).stdout == expected.stdout
    assert cache.stats.corrupt == 2
    assert cache.stats.hits == 0


def test_the_decoder_builds_no_code_or_classes_it_was_not_given() -> None:
    """Guards: a cache format whose decoding can name a class or build code (pickle, marshal)."""
    for payload in (
        pickle.dumps(_RunsCode(Path("/nonexistent/marker"))),
        b'\x00\x00\x00\x1b{"os.system":["touch /tmp/x"]}',
        b'\x00\x00\x00\x1a{"model":["os.system",0,0]}',
    ):
        with pytest.raises(cache_module.CacheCorruptError):
            decode(payload)


# ---------------------------------------------------------------------------
# (b) forged results
# ---------------------------------------------------------------------------


def test_a_forged_entry_with_a_recomputed_sha256_is_rejected(
    runner: CliRunner, group_baf: Path, cache_dir: Path
) -> None:
    """Guards: a forged pack made `check` exit 0 on a broken file and `breaches` hide a breach."""
    (group_baf / "risks" / "BROKEN-1.yaml").write_bytes(BROKEN_RISK)
    first = _check(runner, group_baf)
    assert first.exit_code == 1, first.output
    breaches = _breaches(runner, group_baf)
    assert breaches  # the bundled register has a risk outside appetite
    packs = _packs(cache_dir)
    assert packs
    originals = {pack: pack.read_bytes() for pack in packs}

    # The control: the same forgery under the user's real secret would have worked.
    for pack in packs:
        _forge_pack(pack, _clean, _real_hmac(_secret(cache_dir), pack.name))
    assert _check(runner, group_baf).exit_code == 0
    for pack, blob in originals.items():
        pack.write_bytes(blob)

    # The attack: anyone who can write the file recomputes the digest; that is not enough.
    for pack in packs:
        _forge_pack(pack, _clean, _plain_sha256)
    result = _check(runner, group_baf)
    assert result.exit_code == 1, result.output
    assert result.stdout == first.stdout
    for pack in packs:
        pack.write_bytes(originals[pack])
        _forge_pack(pack, _clean, _plain_sha256)
    assert _breaches(runner, group_baf) == breaches
    # Nor an HMAC under a key of the attacker's choosing.
    for pack in packs:
        pack.write_bytes(originals[pack])
        _forge_pack(pack, _clean, _real_hmac(b"\0" * 32, pack.name))
    assert _check(runner, group_baf).exit_code == 1
    assert _breaches(runner, group_baf) == breaches


def test_a_forged_single_entry_is_rejected(tmp_path: Path) -> None:
    """Guards: a forged per-file entry (history's git blobs) with its digest recomputed."""
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache", fingerprint="f")
    cache.put(b"file", "risk", ("errors", 3))
    key = cache.key(b"file", "risk")
    path = cache._entry_path(key)
    forged = encode(("no errors", 0))
    path.write_bytes(
        cache_module._HEADER.pack(b"BAFCACHE", CACHE_FORMAT, key, len(forged), _plain_sha256(forged)) + forged
    )
    assert cache.get(b"file", "risk") is None
    assert cache.stats.corrupt == 1


# ---------------------------------------------------------------------------
# (c) folders other users may write, or own
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "mode", "reason"),
    [
        ("folder", 0o777, "writable by other users (mode 0777)"),
        ("folder", 0o770, "writable by other users (mode 0770)"),
        ("subfolder", 0o722, "writable by other users (mode 0722)"),
        ("secret", 0o644, "readable or writable by other users (mode 0644)"),
    ],
)
def test_a_loose_cache_folder_is_bypassed_with_the_reason(
    runner: CliRunner, group_baf: Path, cache_dir: Path, what: str, mode: int, reason: str
) -> None:
    """Guards: another local user replaced a pack in a shared cache folder; root's next check ran it."""
    expected = _check(runner, group_baf)
    packs = {pack: pack.stat().st_mtime_ns for pack in _packs(cache_dir)}
    target = {"folder": cache_dir, "subfolder": cache_dir / f"v{CACHE_FORMAT}"}.get(what)
    target = target or cache_dir / f"v{CACHE_FORMAT}" / "secret.key"
    target.chmod(mode)
    while take_refusal() is not None:
        pass
    problem = cache_folder_problem(cache_dir)
    assert problem is not None and reason in problem and "the cache is bypassed" in problem
    cache: ValidationCache[Any] = ValidationCache(cache_dir)
    assert cache.get(b"x", "risk") is None
    cache.put(b"x", "risk", "value")
    assert cache.refusal == problem
    assert not list(cache_dir.rglob("*.entry"))  # nothing written
    assert take_refusal() == problem
    assert take_refusal() is None  # one warning, however many caches refused
    result = _check(runner, group_baf)
    assert (result.exit_code, result.stdout) == (expected.exit_code, expected.stdout)
    assert {pack: pack.stat().st_mtime_ns for pack in _packs(cache_dir)} == packs  # not read (no touch) nor written
    assert take_refusal() is None


def test_a_new_cache_folder_is_private(tmp_path: Path) -> None:
    """Guards: cache folders created with the umask's mode, open to the group."""
    old = os.umask(0o002)
    try:
        cache: ValidationCache[Any] = ValidationCache(tmp_path / "new" / "cache", fingerprint="f")
        cache.put(b"x", "risk", "value")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "cache").stat().st_mode) == 0o700
    assert cache.refusal is None
    assert cache.get(b"x", "risk") == "value"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give files away")
def test_a_cache_owned_by_another_user_is_not_trusted(runner: CliRunner, group_baf: Path, cache_dir: Path) -> None:
    """Guards: root trusting a cache folder or pack that another uid (here 65534) owns."""
    expected = _check(runner, group_baf)
    (pack,) = _packs(cache_dir)
    os.chown(pack, 65534, 65534)
    cache: ValidationCache[Any] = ValidationCache(cache_dir)
    with cache.pack("anything") as other:
        other.path = pack
        other.load()
    assert cache.stats.untrusted == 1
    assert _check(runner, group_baf).stdout == expected.stdout
    os.chown(cache_dir, 65534, 65534)
    problem = cache_folder_problem(cache_dir)
    assert problem is not None and "belongs to another user (uid 65534" in problem
    assert ValidationCache[Any](cache_dir).refusal == problem
    result = _check(runner, group_baf)
    assert (result.exit_code, result.stdout) == (expected.exit_code, expected.stdout)


def test_a_linked_entry_or_secret_is_not_followed(tmp_path: Path) -> None:
    """Guards: a symbolic link planted where an entry or the secret should be."""
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache", fingerprint="f")
    cache.put(b"a", "risk", "A")
    path = cache._entry_path(cache.key(b"a", "risk"))
    moved = tmp_path / "elsewhere.entry"
    path.rename(moved)
    path.symlink_to(moved)
    assert cache.get(b"a", "risk") is None
    assert cache.stats.untrusted == 1
    secret = cache.root / "secret.key"
    secret.rename(tmp_path / "secret")
    secret.symlink_to(tmp_path / "secret")
    fresh: ValidationCache[Any] = ValidationCache(tmp_path / "cache", fingerprint="f")
    assert fresh.get(b"a", "risk") is None
    assert fresh.refusal is not None and "not a regular file" in fresh.refusal


# ---------------------------------------------------------------------------
# (d) eviction
# ---------------------------------------------------------------------------


def test_eviction_leaves_files_that_are_not_bafctls(
    runner: CliRunner, group_baf: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards: `BAFCTL_CACHE_MAX_MB=2 bafctl check` deleted an unrelated 3 MB PDF in the cache folder."""
    cache_dir.mkdir(mode=0o700)
    report = cache_dir / "report.pdf"
    report.write_bytes(b"%PDF-1.7\n" + b"\0" * (3 * 1024 * 1024))
    old = time.time() - 7200
    strangers = [report, cache_dir / ".tmp-foo", cache_dir / "notes.entry"]
    root = cache_dir / f"v{CACHE_FORMAT}"
    for folder in (root, root / "entries" / "ab", root / "packs"):
        folder.mkdir(parents=True, mode=0o700)
        strangers += [folder / ".tmp-foo", folder / "README", folder / "user.pack"]
    for path in strangers[1:]:
        path.write_bytes(b"not bafctl's")
    for path in strangers:
        os.utime(path, (old, old))
    monkeypatch.setenv("BAFCTL_CACHE_MAX_MB", "1")
    assert _check(runner, group_baf).exit_code in (0, 1)
    cache: ValidationCache[Any] = ValidationCache(cache_dir, max_bytes=1)
    for n in range(20):
        cache.put(f"file {n}".encode(), "risk", "x" * 500)
    cache.evict()
    cache.clear()
    assert all(path.exists() for path in strangers), [p for p in strangers if not p.exists()]
    assert report.stat().st_size > 3 * 1024 * 1024
    assert not list(root.rglob("*.entry"))  # its own files did go
    assert cache.size() == 0


# ---------------------------------------------------------------------------
# (e) FIFOs
# ---------------------------------------------------------------------------


def _run_with_timeout(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,  # a read that blocks on the FIFO would hang here: the test then fails
        env={**os.environ, **(env or {})},
        check=False,
    )


_GET_ENTRY = """
import sys
from pathlib import Path
from bafctl.cache import ValidationCache
cache = ValidationCache(Path(sys.argv[1]), fingerprint="f")
assert cache.get(b"a", "risk") is None
print(cache.stats.untrusted, cache.stats.misses)
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_an_entry_is_a_miss(tmp_path: Path) -> None:
    """Guards: a FIFO in the cache folder hung every command (read_bytes on it)."""
    cache: ValidationCache[Any] = ValidationCache(tmp_path / "cache", fingerprint="f")
    cache.put(b"a", "risk", "A")
    path = cache._entry_path(cache.key(b"a", "risk"))
    path.unlink()
    os.mkfifo(path, 0o600)
    done = _run_with_timeout(_GET_ENTRY, str(tmp_path / "cache"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("where", ["pack", "secret"])
def test_a_fifo_in_place_of_a_pack_or_the_secret_does_not_hang_check(
    runner: CliRunner, group_baf: Path, cache_dir: Path, where: str
) -> None:
    """Guards: a FIFO in place of a pack (or the secret) hung `check`."""
    expected = _check(runner, group_baf)
    (target,) = _packs(cache_dir) if where == "pack" else [cache_dir / f"v{CACHE_FORMAT}" / "secret.key"]
    target.unlink()
    os.mkfifo(target, 0o600)
    done = _run_with_timeout(
        "import sys; from bafctl.cli import main; sys.argv = ['bafctl', 'check', sys.argv[1]]; main()",
        str(group_baf),
        env={"BAFCTL_CACHE_DIR": str(cache_dir), "BAFCTL_TODAY": TODAY},
    )
    assert done.returncode == expected.exit_code, done.stderr
    assert done.stdout == expected.stdout
    if where == "secret":
        assert stat.S_ISFIFO(target.lstat().st_mode)  # never read: the cache was bypassed
    else:
        assert stat.S_ISREG(target.lstat().st_mode)  # a miss, then a real pack put in its place


def test_results_are_the_same_with_the_cache_off_cold_and_warm(
    runner: CliRunner, group_baf: Path, cache_dir: Path
) -> None:
    """Guards: the new encoding changing a result (a warm run must equal a run without cache)."""
    (group_baf / "risks" / "BROKEN-1.yaml").write_bytes(BROKEN_RISK)
    off = runner.invoke(app, ["--no-cache", "check", str(group_baf)])
    assert not cache_dir.exists()
    cold = _check(runner, group_baf)
    warm = _check(runner, group_baf)
    assert off.exit_code == cold.exit_code == warm.exit_code == 1
    assert off.stdout == cold.stdout == warm.stdout
    assert _breaches(runner, group_baf) == _breaches(runner, group_baf)


def test_encoding_writes_no_pickle_even_through_lazy_models() -> None:
    """Guards: pickle bytes reaching the disk through a LazyModel (its pipe form is pickled)."""
    from bafctl.models import Risk

    risk_yaml = (
        Path(__file__).resolve().parents[2] / "registers" / "group-baf" / "risks" / "GROUP-BAF-1.yaml"
    ).read_bytes()
    from bafctl.yamlio import parse_yaml

    risk = Risk.model_validate(parse_yaml(risk_yaml).value)
    through_pipe = pickle.loads(pickle.dumps(LazyModel.of(risk)))
    payload = encode(through_pipe)
    assert b"\x80\x04" not in payload and b"\x80\x05" not in payload
    assert decode(payload).get() == risk
