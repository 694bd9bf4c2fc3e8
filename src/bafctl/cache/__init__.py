"""A content-addressed cache of validated files, so an unchanged file is never parsed twice.

An entry is keyed by the SHA-256 of the file's bytes, bafctl's code fingerprint (version,
the source of the package, Python and pydantic-core versions) and a caller-given
``context`` string that names the kind of file and anything else the value depends on:
``"register"``; a risk's validation with the digest of the register.yaml it was checked
against (its references to themes, committees and roles); a risk's rule findings with
that digest, the as-of date, the levels and the options. A risk file's entry is shared
by every git revision holding the same bytes and settings (``history`` and
``diff`` parse each distinct blob once).

Safety, in order of importance (SECURITY.md):

* **Plain data only.** Values are stored as JSON (Python's C-accelerated ``json``) and
  pydantic models as their own JSON, restored by validating it again: nothing read back
  from disk can run code or name a class to build. Only the types this module knows
  (JSON values, tuples, dicts, dates, bytes) and those registered with
  :func:`register_codec` / :func:`register_model` can be stored.
* **Authenticated.** Every entry and pack carries an HMAC-SHA256 keyed by a per-user
  secret (32 random bytes in ``secret.key``, mode 0600, created on first use) over the
  format version, the entry's key (or the pack's name) and the payload; it is checked
  with :func:`hmac.compare_digest` before anything is decoded. Anyone able to write a
  cache file but not to read the secret cannot forge a result.
* **Only the user's own files.** The cache folder and its ``v{CACHE_FORMAT}`` subfolder
  must belong to the effective user and must not be writable by the group or others,
  and the secret must be readable by the user alone; otherwise the cache is bypassed (no
  reads, no writes) and :attr:`ValidationCache.refusal` says why, once, as ssh refuses
  loose key files (:func:`cache_folder_problem`, :func:`take_refusal`). Every file is
  opened without following links and without blocking, and used only when it is a
  regular file of the user's that nobody else may write: anything else is a miss.
* **Never trusted when corrupt.** A bad tag, a truncated file, a wrong version, a wrong
  key or any error while decoding is a miss, counted in :class:`CacheStats`, and the bad
  entry is removed.
* **Safe under concurrent runs.** Writers write a temporary file in the same folder and
  ``os.replace`` it into place, so a reader sees the old entry, the new one or none,
  never a partial one. Concurrent writers of the same key write the same value.
* **Bounded, and only its own files.** Beyond ``max_bytes`` (default 200 MB) the least
  recently used entries and packs are removed: only files in the versioned subfolder
  whose names bafctl gives (hex names with ``.entry`` or ``.pack``, its own temporary
  prefix). Nothing else in the folder is ever touched.

Two ways to use it: :meth:`ValidationCache.get` / :meth:`~ValidationCache.put` store one
file per entry (right for a few files, and for git blobs); :meth:`ValidationCache.pack`
keeps one pack file per register folder mapping keys to entries, which loads a
5,000-risk register's entries with one read (``benchmarks/cache_micro.py`` measures both).

:class:`LazyModel` keeps a model's JSON until it is read: a warm ``check`` restores no
model. Positions are not cached at all: the loader re-parses the file's bytes for them
when a finding needs one (:class:`bafctl.loader.SourceFromText`).

The package is cut on those seams: this module keeps the store (the per-user secret,
the entries' HMAC framing, :class:`ValidationCache` and eviction) and re-exports the
rest; :mod:`bafctl.cache.codec` holds the plain-data codec and :class:`LazyModel`,
:mod:`bafctl.cache.files` the ownership and mode checks, the refusals and the reading
and writing of files, and :mod:`bafctl.cache.packs` the packs.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import stat
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from bafctl import __version__

# Every name the cache had before it was cut into modules stays importable from here
# (explicit re-exports, for strict mypy).
from bafctl.cache.codec import _BUILTIN_TAGS as _BUILTIN_TAGS
from bafctl.cache.codec import _CODECS_BY_TAG as _CODECS_BY_TAG
from bafctl.cache.codec import _CODECS_BY_TYPE as _CODECS_BY_TYPE
from bafctl.cache.codec import _DECODER as _DECODER
from bafctl.cache.codec import _DECODING as _DECODING
from bafctl.cache.codec import _MODEL_TAGS as _MODEL_TAGS
from bafctl.cache.codec import _MODELS_BY_TAG as _MODELS_BY_TAG
from bafctl.cache.codec import _SCAN as _SCAN
from bafctl.cache.codec import _U32 as _U32
from bafctl.cache.codec import CacheCorruptError as CacheCorruptError
from bafctl.cache.codec import LazyModel as LazyModel
from bafctl.cache.codec import _blob as _blob
from bafctl.cache.codec import _Codec as _Codec
from bafctl.cache.codec import _Encoder as _Encoder
from bafctl.cache.codec import _model_class as _model_class
from bafctl.cache.codec import _model_json as _model_json
from bafctl.cache.codec import _model_tag as _model_tag
from bafctl.cache.codec import _object_hook as _object_hook
from bafctl.cache.codec import decode as decode
from bafctl.cache.codec import encode as encode
from bafctl.cache.codec import register_codec as register_codec
from bafctl.cache.codec import register_model as register_model
from bafctl.cache.files import _OPEN_FLAGS as _OPEN_FLAGS
from bafctl.cache.files import _REFUSALS as _REFUSALS
from bafctl.cache.files import _REFUSALS_LOCK as _REFUSALS_LOCK
from bafctl.cache.files import _SECRET_FILE as _SECRET_FILE
from bafctl.cache.files import _TEMP_PREFIX as _TEMP_PREFIX
from bafctl.cache.files import _VERSION as _VERSION
from bafctl.cache.files import CACHE_FORMAT as CACHE_FORMAT
from bafctl.cache.files import _euid as _euid
from bafctl.cache.files import _loose as _loose
from bafctl.cache.files import _mkdir_private as _mkdir_private
from bafctl.cache.files import _read_trusted as _read_trusted
from bafctl.cache.files import _record_refusal as _record_refusal
from bafctl.cache.files import _remove as _remove
from bafctl.cache.files import _scan as _scan
from bafctl.cache.files import _Untrusted as _Untrusted
from bafctl.cache.files import _write_atomic as _write_atomic
from bafctl.cache.files import cache_folder_problem as cache_folder_problem
from bafctl.cache.files import take_refusal as take_refusal
from bafctl.cache.packs import _PACK_HEADER as _PACK_HEADER
from bafctl.cache.packs import _PACK_MAGIC as _PACK_MAGIC
from bafctl.cache.packs import CachePack as CachePack
from bafctl.cache.packs import _pack as _pack
from bafctl.cache.packs import _pack_body as _pack_body
from bafctl.cache.packs import _pack_tag as _pack_tag
from bafctl.cache.packs import _PackIndex as _PackIndex
from bafctl.cache.packs import _unpack as _unpack

T = TypeVar("T")

#: Default bound on the cache folder's size.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# The command line's variables for the folder and the bound (a 20,000-risk BAF register's
# pack is about 260 MB: such a group raises the bound rather than lose its cache). They
# are read by bafctl.settings, never here.
CACHE_DIR_ENV = "BAFCTL_CACHE_DIR"
CACHE_MAX_ENV = "BAFCTL_CACHE_MAX_MB"

_MAGIC = b"BAFCACHE"
# magic, format version, key (32 bytes), payload length, HMAC-SHA256 tag (32 bytes)
_HEADER = struct.Struct(">8sH32sQ32s")
_ENTRY_SUFFIX = ".entry"
_PACK_SUFFIX = ".pack"
_SECRET_BYTES = 32
# The names bafctl gives its files: eviction and clear() touch nothing else.
_ENTRY_DIR_NAME = re.compile(r"[0-9a-f]{2}")
_ENTRY_NAME = re.compile(r"[0-9a-f]{62}\.entry")
_PACK_NAME = re.compile(r"[0-9a-f]{40}\.pack")
_TEMP_NAME = re.compile(r"\.tmp-bafctl-[a-z0-9_]{8}")
#: Temporary files older than this are left-overs of a killed writer.
_STALE_TEMP_SECONDS = 3600


@dataclass
class CacheStats:
    """What one cache object did: for ``--debug`` output and the benchmark."""

    hits: int = 0
    misses: int = 0
    corrupt: int = 0
    """Entries or packs that failed authentication or decoding (each also a miss)."""
    untrusted: int = 0
    """Files not used: not a regular file, another user's, or writable by others."""
    writes: int = 0
    evicted: int = 0
    too_large: int = 0
    """Packs not written because alone they would exceed the bound."""
    unencodable: int = 0
    """Values not stored because they cannot be encoded as plain data."""


def default_max_bytes() -> int:
    """The bound on the cache's size when none is given: 200 MB."""
    return DEFAULT_MAX_BYTES


def default_cache_dir() -> Path:
    """The platform's user cache folder for bafctl (``$XDG_CACHE_HOME/bafctl`` on Linux)."""
    import platformdirs  # only when needed: its import is a measurable part of start-up

    return Path(platformdirs.user_cache_dir("bafctl", appauthor=False))


@functools.cache
def code_fingerprint() -> str:
    """A digest of everything a cached validation result depends on besides the input.

    bafctl's version alone is not enough while developing (models change, the version
    does not), so the source of the package is hashed too (once a process).
    pydantic-core's version is included because it writes and reads the models' JSON.
    """
    import pydantic_core

    digest = hashlib.sha256()
    for part in (__version__, sys.implementation.cache_tag or "", pydantic_core.__version__, str(CACHE_FORMAT)):
        digest.update(part.encode() + b"\0")
    package = Path(__file__).resolve().parent.parent  # bafctl, not this subpackage
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

    ``diff`` also compares risks by it, so an unchanged file is never decoded.
    """
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


def _entry_tag(secret: bytes, key: bytes, payload: bytes | memoryview) -> bytes:
    mac = hmac.new(secret, b"bafctl cache entry\0" + _VERSION + key, "sha256")
    mac.update(payload)
    return mac.digest()


def _frame(secret: bytes, key: bytes, payload: bytes) -> bytes:
    return _HEADER.pack(_MAGIC, CACHE_FORMAT, key, len(payload), _entry_tag(secret, key, payload)) + payload


def _unframe(secret: bytes, key: bytes, blob: bytes) -> memoryview:
    if len(blob) < _HEADER.size:
        raise CacheCorruptError("truncated header")
    magic, version, stored_key, length, tag = _HEADER.unpack_from(blob)
    if magic != _MAGIC:
        raise CacheCorruptError("not a bafctl cache entry")
    if version != CACHE_FORMAT:
        raise CacheCorruptError(f"cache format {version}, expected {CACHE_FORMAT}")
    if not hmac.compare_digest(stored_key, key):
        raise CacheCorruptError("entry stored under the wrong key")
    payload = memoryview(blob)[_HEADER.size :]
    if len(payload) != length:
        raise CacheCorruptError("truncated payload")
    if not hmac.compare_digest(_entry_tag(secret, key, payload), tag):
        raise CacheCorruptError("entry fails authentication")
    return payload


class ValidationCache(Generic[T]):
    """A content-addressed cache of validated files in the user's cache folder.

    Args:
        directory: The cache folder (default: :func:`default_cache_dir`).
        max_bytes: Bound on the size of bafctl's files in it; the least recently used go
            first (default: :func:`default_max_bytes`).
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
        self._checked = False
        self._refusal: str | None = None
        self._secret: bytes | None = None
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

    @property
    def refusal(self) -> str | None:
        """Why this cache is bypassed (:func:`cache_folder_problem`), or None when it is not.

        Looked up on first use; a disabled cache is never refused (it never looks).
        """
        if self.disabled:
            return None
        if not self._checked:
            self._checked = True
            self._refuse(cache_folder_problem(self.directory))
        return self._refusal

    def _refuse(self, reason: str | None) -> None:
        if reason is not None and self._refusal is None:
            self._refusal = reason
            _record_refusal(reason)

    @property
    def usable(self) -> bool:
        """Whether this cache reads and writes at all: enabled and not refused."""
        return not self.disabled and self.refusal is None

    def _load_secret(self, *, create: bool) -> bytes | None:
        """The per-user secret; created (with the folders) when ``create`` and missing."""
        if self._secret is not None or not self.usable:
            return self._secret
        path = self.root / _SECRET_FILE
        try:
            secret = _read_trusted(path, private=True)
        except _Untrusted:
            self._refuse_secret(path)
            return None
        if secret is None and create:
            secret = self._create_secret(path)
        if secret is not None and len(secret) != _SECRET_BYTES:
            self._refuse(f"cache key {path} is damaged ({len(secret)} bytes): remove it; the cache is bypassed")
            return None
        self._secret = secret
        return secret

    def _refuse_secret(self, path: Path) -> None:
        self._refuse(cache_folder_problem(self.directory) or f"cache key {path} is not trusted; the cache is bypassed")

    def _create_secret(self, path: Path) -> bytes | None:
        try:
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            _mkdir_private(self.directory)
            _mkdir_private(self.root)
        except OSError:
            return None  # a read-only or full disk must not fail a check
        # The folders may have been there already, someone else's: look again.
        self._checked = False
        if not self.usable:
            return None
        import tempfile

        secret = secrets.token_bytes(_SECRET_BYTES)
        try:
            handle, temp_name = tempfile.mkstemp(dir=self.root, prefix=_TEMP_PREFIX)  # O_CREAT|O_EXCL, 0600
        except OSError:
            return None
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(secret)
            try:
                os.link(temp_name, path)  # atomic, and never over an existing key
            except FileExistsError:
                pass  # another run made it first: use theirs
            except OSError:
                # No hard links here: create it in place, exclusively.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "wb") as stream:
                    stream.write(secret)
        except FileExistsError:
            pass
        except OSError:
            return None
        finally:
            _remove(Path(temp_name))
        try:
            return _read_trusted(path, private=True)
        except _Untrusted:
            self._refuse_secret(path)
            return None

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
        """The cached value for ``data`` in ``context``, or None (also when untrusted or corrupt)."""
        if self.disabled:
            return None
        secret = self._load_secret(create=False)
        if secret is None:
            self.stats.misses += 1
            return None
        key = self.key(data, context, digest=digest)
        path = self._entry_path(key)
        try:
            blob = _read_trusted(path, touch=True)
        except _Untrusted:
            self.stats.untrusted += 1
            blob = None
        if blob is None:
            self.stats.misses += 1
            return None
        try:
            value: T = decode(_unframe(secret, key, blob))
        except CacheCorruptError:
            self.stats.corrupt += 1
            self.stats.misses += 1
            _remove(path)
            return None
        self.stats.hits += 1
        return value

    def put(self, data: bytes, context: str, value: T, *, digest: bytes | None = None) -> None:
        """Store ``value`` for ``data`` in ``context``. Failures to write are ignored.

        Raises TypeError for a value that is neither plain data nor registered.
        """
        if self.disabled:
            return
        try:
            payload = encode(value)
        except ValueError:
            self.stats.unencodable += 1
            return
        secret = self._load_secret(create=True)
        if secret is None:
            return
        key = self.key(data, context, digest=digest)
        blob = _frame(secret, key, payload)
        path = self._entry_path(key)
        try:
            _mkdir_private(path.parent.parent)
            _mkdir_private(path.parent)
            _write_atomic(path, blob)
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

    def _own_files(self) -> Iterator[tuple[Path, os.stat_result]]:
        """bafctl's own files: entries, packs and temporary files, by the names it gives."""
        uid = _euid()
        folders: list[tuple[Path, re.Pattern[str] | None]] = [
            (Path(sub.path), _ENTRY_NAME)
            for sub in _scan(self.root / "entries")
            if _ENTRY_DIR_NAME.fullmatch(sub.name) and sub.is_dir(follow_symlinks=False)
        ]
        folders += [(self.root / "packs", _PACK_NAME), (self.root, None)]
        for folder, pattern in folders:
            for entry in _scan(folder):
                name = entry.name
                if not (_TEMP_NAME.fullmatch(name) or (pattern is not None and pattern.fullmatch(name))):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode) and (uid is None or st.st_uid == uid):
                    yield folder / name, st

    def evict(self) -> int:
        """Remove the least recently used entries and packs until they fit ``max_bytes``.

        Also removes temporary files left by killed writers. Only bafctl's own files are
        ever removed. Returns files removed.
        """
        self._written_since_evict = 0
        if not self.usable:
            return 0
        now = time.time()
        removed = 0
        files: list[tuple[float, int, Path]] = []
        for path, st in self._own_files():
            if path.name.startswith(_TEMP_PREFIX):
                if now - st.st_mtime > _STALE_TEMP_SECONDS:
                    _remove(path)
                    removed += 1
                continue
            files.append((st.st_mtime, st.st_size, path))
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
        """Bytes bafctl's own files in the cache folder hold now."""
        return sum(st.st_size for _, st in self._own_files()) if self.usable else 0

    def clear(self) -> None:
        """Remove every entry and pack (the folders and the secret stay)."""
        if self.usable:
            for path, _ in list(self._own_files()):
                _remove(path)
