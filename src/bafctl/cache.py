"""A content-addressed cache of validated files, so an unchanged file is never parsed twice.

An entry is keyed by the SHA-256 of the file's bytes, bafctl's code fingerprint (version,
the source of the package, Python and pydantic-core versions) and a caller-given
``context`` string that names the kind of file and anything else the value depends on:
``"register"``; a risk's validation with the digest of the register.yaml it was checked
against (its references to themes, committees and roles); a risk's rule findings with
that digest, the as-of date, the levels and the options. A risk file's entry is shared
by every git revision holding the same bytes and settings (issue 7: ``history`` and
``diff`` parse each distinct blob once).

Safety, in order of importance:

* **Never trusted when corrupt.** Every entry carries a magic number, the cache format
  version, its own key and a SHA-256 digest of its payload. A bad digest, a truncated
  file, a wrong version, a wrong key or any error while unpickling is a miss, and the bad
  entry is removed. Only the caller's own values are ever stored, in the user's own cache
  folder: the folder has the same trust as the user's home (a local attacker able to
  write there can already change the user's Python).
* **Safe under concurrent runs.** Writers write a temporary file in the same folder and
  ``os.replace`` it into place, so a reader sees the old entry, the new one or none,
  never a partial one. Concurrent writers of the same key write the same value.
* **Bounded.** Beyond ``max_bytes`` (default 200 MB) the least recently used files are
  removed.

Two ways to use it: :meth:`ValidationCache.get` / :meth:`~ValidationCache.put` store one
file per entry (right for a few files, and for git blobs); :meth:`ValidationCache.pack`
keeps one pack file per register folder mapping file digests to entries, which loads a
5,000-risk register's entries with one read (``benchmarks/cache_micro.py`` measures both).

Values are pickled; pydantic models are pickled by a reducer that restores them without
pydantic's Python ``__setstate__`` (about a third faster), and :class:`LazyModel` keeps
a model pickled until it is read: a warm ``check`` restores none. Positions are not
cached at all: the loader re-parses the file's bytes for them when a finding needs one
(:class:`bafctl.loader.SourceFromText`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import marshal
import os
import pickle
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

from bafctl import __version__

T = TypeVar("T")

#: Bump when the on-disk layout or the entry header changes.
CACHE_FORMAT = 1
#: Default bound on the cache folder's size.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: Environment variable naming the cache folder (else the platform's user cache folder).
CACHE_DIR_ENV = "BAFCTL_CACHE_DIR"
#: Environment variable overriding the bound, in MB (a 20,000-risk BAF register's pack is
#: about 260 MB: such a group raises the bound rather than lose its cache).
CACHE_MAX_ENV = "BAFCTL_CACHE_MAX_MB"

_MAGIC = b"BAFCACHE"
_PACK_MAGIC = b"BAFCPACK"
# magic, format version, key (32 bytes), payload length, payload SHA-256 (32 bytes)
_HEADER = struct.Struct(">8sH32sQ32s")
_ENTRY_SUFFIX = ".entry"
_PACK_SUFFIX = ".pack"
_TEMP_PREFIX = ".tmp-"
#: Temporary files older than this are left-overs of a killed writer.
_STALE_TEMP_SECONDS = 3600


class CacheCorruptError(ValueError):
    """An entry failed its integrity checks (only raised inside this module)."""


@dataclass
class CacheStats:
    """What one cache object did: for ``--debug`` output and the benchmark."""

    hits: int = 0
    misses: int = 0
    corrupt: int = 0
    writes: int = 0
    evicted: int = 0
    too_large: int = 0
    """Packs not written because alone they would exceed the bound."""


def default_max_bytes() -> int:
    """``$BAFCTL_CACHE_MAX_MB`` megabytes when set to a positive number, else 200 MB."""
    value = os.environ.get(CACHE_MAX_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value) * 1024 * 1024
    return DEFAULT_MAX_BYTES


def default_cache_dir() -> Path:
    """``$BAFCTL_CACHE_DIR``, else the platform's user cache folder for bafctl."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs  # only when needed: about 6 ms of import

    return Path(platformdirs.user_cache_dir("bafctl", appauthor=False))


@functools.cache
def code_fingerprint() -> str:
    """A digest of everything a cached validation result depends on besides the input.

    bafctl's version alone is not enough while developing (models change, the version
    does not), so the source of the package is hashed too (about 2 ms, once a process).
    pydantic-core's version is included because pickled models depend on its internals.
    """
    import pydantic_core

    digest = hashlib.sha256()
    for part in (__version__, sys.implementation.cache_tag or "", pydantic_core.__version__, str(CACHE_FORMAT)):
        digest.update(part.encode() + b"\0")
    package = Path(__file__).resolve().parent
    try:
        sources = sorted(package.rglob("*.py"))
        for source in sources:
            digest.update(source.relative_to(package).as_posix().encode() + b"\0")
            digest.update(source.read_bytes())
    except OSError:  # pragma: no cover - a zipped install: the version must do
        pass
    return digest.hexdigest()


def content_digest(data: bytes) -> bytes:
    """SHA-256 of a file's bytes: the part of every key that names the content.

    ``diff`` also compares risks by it, so an unchanged file is never unpickled.
    """
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------
# Pickling: pydantic models restored without their Python __setstate__
# ---------------------------------------------------------------------------

_new = object.__new__
_setattr = object.__setattr__


def _restore_model(cls: type[Any], values: dict[str, Any], fields_set: set[str], extra: Any, private: Any) -> Any:
    # The same four slots pydantic's BaseModel.__setstate__ sets, without its dict look-ups.
    model = _new(cls)
    _setattr(model, "__dict__", values)
    _setattr(model, "__pydantic_fields_set__", fields_set)
    _setattr(model, "__pydantic_extra__", extra)
    _setattr(model, "__pydantic_private__", private)
    return model


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, base_model: type[Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._base_model = base_model

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self._base_model):
            return (
                _restore_model,
                (
                    type(obj),
                    obj.__dict__,
                    obj.__pydantic_fields_set__,
                    obj.__pydantic_extra__,
                    obj.__pydantic_private__,
                ),
            )
        return NotImplemented


def dumps(value: Any) -> bytes:
    """Pickle ``value`` (pydantic models through the fast reducer)."""
    from pydantic import BaseModel

    buffer = io.BytesIO()
    _Pickler(buffer, BaseModel).dump(value)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Models kept pickled until read
# ---------------------------------------------------------------------------


class LazyModel:
    """A validated model kept pickled until something reads it.

    A cached risk restores in about 0.1-0.5 ms, and most commands over a large register
    need only a few models: ``check`` reads cached rule findings, ``diff`` compares the
    risks whose files changed, ``rescore`` edits one. The rest stay bytes (issue 7:
    warm ``check`` and ``diff`` of 5,000 risks, and their memory).
    """

    __slots__ = ("_model", "_packed")

    def __init__(self, packed: bytes | None = None, model: Any = None) -> None:
        self._packed = packed
        self._model = model

    @classmethod
    def of(cls, model: Any) -> LazyModel:
        """Wrap a model already in memory (pickled only if the wrapper is)."""
        return cls(None, model)

    def get(self) -> Any:
        """The model, unpickled on first use."""
        if self._model is None:
            assert self._packed is not None
            self._model = pickle.loads(self._packed)
        return self._model

    def peek(self) -> Any:
        """The model, without keeping it: for a one-off read of a large register's risk."""
        if self._model is not None:
            return self._model
        assert self._packed is not None
        return pickle.loads(self._packed)

    @property
    def is_loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def __reduce__(self) -> tuple[Any, ...]:
        packed = self._packed if self._packed is not None else dumps(self._model)
        return (LazyModel, (packed,))

    def __repr__(self) -> str:
        return f"LazyModel({'loaded' if self.is_loaded else 'packed'})"


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


def _frame(key: bytes, payload: bytes) -> bytes:
    return _HEADER.pack(_MAGIC, CACHE_FORMAT, key, len(payload), hashlib.sha256(payload).digest()) + payload


def _unframe(key: bytes, blob: bytes) -> bytes:
    if len(blob) < _HEADER.size:
        raise CacheCorruptError("truncated header")
    magic, version, stored_key, length, digest = _HEADER.unpack_from(blob)
    if magic != _MAGIC:
        raise CacheCorruptError("not a bafctl cache entry")
    if version != CACHE_FORMAT:
        raise CacheCorruptError(f"cache format {version}, expected {CACHE_FORMAT}")
    if stored_key != key:
        raise CacheCorruptError("entry stored under the wrong key")
    payload = blob[_HEADER.size :]
    if len(payload) != length:
        raise CacheCorruptError("truncated payload")
    if hashlib.sha256(payload).digest() != digest:
        raise CacheCorruptError("payload digest mismatch")
    return payload


def _loads(payload: bytes) -> Any:
    try:
        return pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure (renamed class, bad opcode) is a miss
        raise CacheCorruptError(f"cannot unpickle: {type(exc).__name__}") from None


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile  # only writers need it (a warm run writes nothing): about 2 ms of import

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # No fsync: a torn write after a power cut is caught by the digest and is a miss.
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


class ValidationCache(Generic[T]):
    """A content-addressed cache of validated files in the user's cache folder.

    Args:
        directory: The cache folder (default: :func:`default_cache_dir`).
        max_bytes: Bound on the folder's size; the least recently used files go first
            (default: :func:`default_max_bytes`).
        disabled: ``--no-cache``: every lookup misses and nothing is written.
        fingerprint: Overrides :func:`code_fingerprint` (tests).
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        max_bytes: int | None = None,
        disabled: bool = False,
        fingerprint: str | None = None,
    ) -> None:
        self.disabled = disabled
        self.max_bytes = max_bytes if max_bytes is not None else default_max_bytes()
        self._directory = directory
        self._fingerprint = fingerprint
        self._written_since_evict = 0
        self.stats = CacheStats()

    @property
    def directory(self) -> Path:
        """The cache folder (resolved on first use, so a disabled cache never looks)."""
        if self._directory is None:
            self._directory = default_cache_dir()
        return self._directory

    @property
    def root(self) -> Path:
        """Where this format's entries and packs live, below :attr:`directory`."""
        return self.directory / f"v{CACHE_FORMAT}"

    @property
    def fingerprint(self) -> str:
        """The code fingerprint mixed into every key."""
        if self._fingerprint is None:
            self._fingerprint = code_fingerprint()
        return self._fingerprint

    def key(self, data: bytes, context: str, *, digest: bytes | None = None) -> bytes:
        """The 32-byte key of ``data`` (whose :func:`content_digest` may be given) in ``context``."""
        key = hashlib.sha256()
        key.update(self.fingerprint.encode() + b"\0" + context.encode() + b"\0")
        key.update(digest or content_digest(data))
        return key.digest()

    def _entry_path(self, key: bytes) -> Path:
        name = key.hex()
        return self.root / "entries" / name[:2] / (name[2:] + _ENTRY_SUFFIX)

    # -- single entries -----------------------------------------------------

    def get(self, data: bytes, context: str, *, digest: bytes | None = None) -> T | None:
        """The cached value for ``data`` in ``context``, or None (also when corrupt)."""
        if self.disabled:
            return None
        key = self.key(data, context, digest=digest)
        path = self._entry_path(key)
        try:
            blob = path.read_bytes()
        except OSError:
            self.stats.misses += 1
            return None
        try:
            value: T = _loads(_unframe(key, blob))
        except CacheCorruptError:
            self.stats.corrupt += 1
            self.stats.misses += 1
            _remove(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently *used* is evicted first
        self.stats.hits += 1
        return value

    def put(self, data: bytes, context: str, value: T, *, digest: bytes | None = None) -> None:
        """Store ``value`` for ``data`` in ``context``. Failures to write are ignored."""
        if self.disabled:
            return
        key = self.key(data, context, digest=digest)
        blob = _frame(key, dumps(value))
        try:
            _write_atomic(self._entry_path(key), blob)
        except OSError:
            return  # a read-only or full disk must not fail a check
        self.stats.writes += 1
        self._written_since_evict += len(blob)
        if self._written_since_evict >= self.max_bytes // 16:
            self.evict()

    # -- packs --------------------------------------------------------------

    def pack(self, group: str) -> CachePack[T]:
        """The pack of entries for ``group`` (e.g. a register folder's absolute path)."""
        digest = hashlib.sha256(f"{self.fingerprint}\0{group}".encode()).hexdigest()
        return CachePack(self, self.root / "packs" / (digest[:40] + _PACK_SUFFIX))

    # -- housekeeping -------------------------------------------------------

    def _files(self) -> Iterator[tuple[Path, os.stat_result]]:
        for dirpath, _dirnames, filenames in os.walk(self.directory):
            for name in filenames:
                path = Path(dirpath) / name
                try:
                    yield path, path.stat()
                except OSError:
                    continue

    def evict(self) -> int:
        """Remove the least recently used files until the folder fits ``max_bytes``.

        Also removes temporary files left by killed writers. Returns files removed.
        """
        self._written_since_evict = 0
        if self.disabled or not self.directory.is_dir():
            return 0
        now = time.time()
        removed = 0
        files: list[tuple[float, int, Path]] = []
        for path, stat in self._files():
            if path.name.startswith(_TEMP_PREFIX):
                if now - stat.st_mtime > _STALE_TEMP_SECONDS:
                    _remove(path)
                    removed += 1
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            _remove(path)
            total -= size
            removed += 1
        self.stats.evicted += removed
        return removed

    def size(self) -> int:
        """Bytes the cache folder holds now."""
        return sum(stat.st_size for _, stat in self._files()) if self.directory.is_dir() else 0

    def clear(self) -> None:
        """Remove every entry and pack (the folder itself stays)."""
        for path, _ in list(self._files()):
            _remove(path)


class CachePack(Generic[T]):
    """The entries of one group (a register folder), read and written as one file.

    A pack holds key -> pickled payload under one SHA-256 digest of the whole body, checked
    before anything is unpickled.

    Use as a context manager: the pack is read on entry (one read, one digest) and
    written back on exit when anything was added, keeping only the entries used in
    this run, so a pack follows its register and never grows without bound.
    """

    def __init__(self, cache: ValidationCache[T], path: Path) -> None:
        self.cache = cache
        self.path = path
        self._entries: dict[bytes, bytes] = {}
        self._used: dict[bytes, bytes] = {}
        self._added = 0
        self._loaded = False

    def __enter__(self) -> CachePack[T]:
        self.load()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.save()

    def load(self) -> None:
        """Read the pack file; a missing or corrupt one is an empty pack (and is removed)."""
        self._loaded = True
        if self.cache.disabled:
            return
        try:
            blob = self.path.read_bytes()
        except OSError:
            return
        try:
            self._entries = _unpack(blob)
        except CacheCorruptError:
            self.cache.stats.corrupt += 1
            _remove(self.path)
            return
        with contextlib.suppress(OSError):
            os.utime(self.path)

    def get(self, data: bytes, context: str, *, digest: bytes | None = None) -> T | None:
        """The cached value for ``data`` in ``context``, or None (also when corrupt)."""
        if self.cache.disabled:
            return None
        if not self._loaded:
            self.load()
        key = self.cache.key(data, context, digest=digest)
        blob = self._entries.get(key)
        if blob is None:
            self.cache.stats.misses += 1
            return None
        try:
            # The pack's digest covered this payload when it was read.
            value: T = _loads(blob)
        except CacheCorruptError:
            self.cache.stats.corrupt += 1
            self.cache.stats.misses += 1
            del self._entries[key]
            self._added += 1  # rewrite the pack without the bad entry
            return None
        self._used[key] = blob
        self.cache.stats.hits += 1
        return value

    def put(self, data: bytes, context: str, value: T, *, digest: bytes | None = None) -> None:
        """Add ``value`` for ``data`` in ``context`` (written by :meth:`save`)."""
        if self.cache.disabled:
            return
        key = self.cache.key(data, context, digest=digest)
        payload = dumps(value)
        self._entries[key] = payload
        self._used[key] = payload
        self._added += 1

    def save(self) -> None:
        """Write the pack when entries were added or removed. Failures are ignored."""
        if self.cache.disabled or not self._added:
            return
        blob = _pack(self._used)
        if len(blob) > self.cache.max_bytes:
            # Written, it would evict itself: keep the time and the disk, and drop the stale pack.
            self.cache.stats.too_large += 1
            _remove(self.path)
            return
        try:
            _write_atomic(self.path, blob)
        except OSError:
            return
        self.cache.stats.writes += 1
        self._added = 0
        self.cache.evict()


def _pack(entries: dict[bytes, bytes]) -> bytes:
    body = marshal.dumps(entries)
    return _PACK_MAGIC + struct.pack(">HQ", CACHE_FORMAT, len(body)) + hashlib.sha256(body).digest() + body


def _unpack(blob: bytes) -> dict[bytes, bytes]:
    head = len(_PACK_MAGIC) + 10 + 32
    if len(blob) < head or not blob.startswith(_PACK_MAGIC):
        raise CacheCorruptError("not a bafctl cache pack")
    version, length = struct.unpack_from(">HQ", blob, len(_PACK_MAGIC))
    if version != CACHE_FORMAT:
        raise CacheCorruptError(f"pack format {version}, expected {CACHE_FORMAT}")
    digest = blob[head - 32 : head]
    body = blob[head:]
    if len(body) != length or hashlib.sha256(body).digest() != digest:
        raise CacheCorruptError("pack digest mismatch")
    try:
        entries = marshal.loads(body)
    except (ValueError, EOFError, TypeError) as exc:  # pragma: no cover - the digest matched
        raise CacheCorruptError(f"cannot read pack: {exc}") from None
    if not isinstance(entries, dict):  # pragma: no cover - the digest matched
        raise CacheCorruptError("pack is not a mapping")
    return entries
