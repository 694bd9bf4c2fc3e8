"""Packs: the cache entries of one group (a register folder) in one file, under one HMAC.

A pack maps keys to encoded payloads (:mod:`bafctl.cache.codec`), so a 5,000-risk
register's entries load with one read and one HMAC check. Safety (SECURITY.md): the
HMAC-SHA256, keyed by the per-user secret, covers the format version, the pack's name
and the whole body, and is checked with :func:`hmac.compare_digest` before anything is
decoded; a bad tag, a truncated file, a wrong version or an index out of range is a
miss and the pack is removed. The file is read and written through
:mod:`bafctl.cache.files` (the user's own regular files only; written atomically).
Packs are made by :meth:`bafctl.cache.ValidationCache.pack`, which also evicts them.
"""

from __future__ import annotations

import array
import hmac
import itertools
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

from bafctl.cache.codec import _U32, CacheCorruptError, decode, encode
from bafctl.cache.files import _VERSION, CACHE_FORMAT, _mkdir_private, _read_trusted, _remove, _Untrusted, _write_atomic

if TYPE_CHECKING:
    from bafctl.cache import ValidationCache

T = TypeVar("T")

_PACK_MAGIC = b"BAFCPACK"
# magic, format version, body length, HMAC-SHA256 tag (32 bytes)
_PACK_HEADER = struct.Struct(">8sHQ32s")


class CachePack(Generic[T]):
    """The entries of one group (a register folder), read and written as one file.

    A pack holds key -> encoded payload under one HMAC of the whole body (and the
    pack's name), checked before anything is decoded.

    Use as a context manager: the pack is read on entry (one read, one HMAC) and
    written back on exit when anything was added, keeping only the entries used in
    this run, so a pack follows its register and never grows without bound.
    """

    def __init__(self, cache: ValidationCache[T], path: Path) -> None:
        self.cache = cache
        self.path = path
        self._entries: _PackIndex | None = None
        self._fresh: dict[bytes, bytes | memoryview] = {}
        self._used: dict[bytes, bytes | memoryview] = {}
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
        """Read the pack file; a missing, untrusted or corrupt one is an empty pack."""
        self._loaded = True
        if self.cache.disabled:
            return
        secret = self.cache._load_secret(create=False)
        if secret is None:
            return
        try:
            blob = _read_trusted(self.path, touch=True)
        except _Untrusted:
            self.cache.stats.untrusted += 1
            return
        if blob is None:
            return
        try:
            self._entries = _unpack(secret, self.path.name, blob)
        except CacheCorruptError:
            self.cache.stats.corrupt += 1
            _remove(self.path)

    def get(self, data: bytes, context: str, *, digest: bytes | None = None) -> T | None:
        """The cached value for ``data`` in ``context``, or None (also when corrupt)."""
        if self.cache.disabled:
            return None
        if not self._loaded:
            self.load()
        key = self.cache.key(data, context, digest=digest)
        payload = self._fresh.get(key)
        if payload is None and self._entries is not None:
            payload = self._entries.get(key)
        if payload is None:
            self.cache.stats.misses += 1
            return None
        try:
            # The pack's tag covered this payload when it was read.
            value: T = decode(payload)
        except CacheCorruptError:
            self.cache.stats.corrupt += 1
            self.cache.stats.misses += 1
            self._fresh.pop(key, None)
            if self._entries is not None:
                self._entries.discard(key)
            self._used.pop(key, None)
            self._added += 1  # rewrite the pack without the bad entry
            return None
        self._used[key] = payload
        self.cache.stats.hits += 1
        return value

    def put(self, data: bytes, context: str, value: T, *, digest: bytes | None = None) -> None:
        """Add ``value`` for ``data`` in ``context`` (written by :meth:`save`).

        Raises TypeError for a value that is neither plain data nor registered.
        """
        if self.cache.disabled:
            return
        try:
            payload = encode(value)
        except ValueError:
            self.cache.stats.unencodable += 1
            return
        key = self.cache.key(data, context, digest=digest)
        self._fresh[key] = payload
        self._used[key] = payload
        self._added += 1

    def save(self) -> None:
        """Write the pack when entries were added or removed. Failures are ignored."""
        if self.cache.disabled or not self._added:
            return
        secret = self.cache._load_secret(create=True)
        if secret is None:
            return
        blob = _pack(secret, self.path.name, self._used)
        if len(blob) > self.cache.max_bytes:
            # Written, it would evict itself: keep the time and the disk, and drop the stale pack.
            self.cache.stats.too_large += 1
            _remove(self.path)
            return
        try:
            _mkdir_private(self.path.parent)
            _write_atomic(self.path, blob)
        except OSError:
            return
        self.cache.stats.writes += 1
        self._added = 0
        self.cache.evict()


# A pack's body: the entry count N (4 bytes), N keys of 32 bytes, N + 1 offsets (8 bytes
# each, little-endian) into the payloads, then the payloads end to end.


class _PackIndex:
    """The entries of a pack read from disk, sliced from its bytes only when asked for."""

    __slots__ = ("_index", "_offsets", "_payloads")

    def __init__(self, index: dict[bytes, int], offsets: array.array[int], payloads: memoryview) -> None:
        self._index = index
        self._offsets = offsets
        self._payloads = payloads

    def get(self, key: bytes) -> memoryview | None:
        i = self._index.get(key)
        if i is None:
            return None
        return self._payloads[self._offsets[i] : self._offsets[i + 1]]

    def discard(self, key: bytes) -> None:
        self._index.pop(key, None)

    def items(self) -> Iterator[tuple[bytes, memoryview]]:
        for key in self._index:
            payload = self.get(key)
            assert payload is not None
            yield key, payload


def _pack_tag(secret: bytes, name: str, body: bytes | memoryview) -> bytes:
    mac = hmac.new(secret, b"bafctl cache pack\0" + _VERSION + name.encode() + b"\0", "sha256")
    mac.update(body)
    return mac.digest()


def _pack_body(entries: dict[bytes, bytes | memoryview]) -> bytes:
    offsets = array.array("Q", [0])
    for payload in entries.values():
        offsets.append(offsets[-1] + len(payload))
    if sys.byteorder != "little":  # pragma: no cover - big-endian machines
        offsets.byteswap()
    return b"".join([_U32.pack(len(entries)), *entries, offsets.tobytes(), *entries.values()])


def _pack(secret: bytes, name: str, entries: dict[bytes, bytes | memoryview]) -> bytes:
    body = _pack_body(entries)
    return _PACK_HEADER.pack(_PACK_MAGIC, CACHE_FORMAT, len(body), _pack_tag(secret, name, body)) + body


def _unpack(secret: bytes, name: str, blob: bytes) -> _PackIndex:
    if len(blob) < _PACK_HEADER.size:
        raise CacheCorruptError("not a bafctl cache pack")
    magic, version, length, tag = _PACK_HEADER.unpack_from(blob)
    if magic != _PACK_MAGIC:
        raise CacheCorruptError("not a bafctl cache pack")
    if version != CACHE_FORMAT:
        raise CacheCorruptError(f"pack format {version}, expected {CACHE_FORMAT}")
    body = memoryview(blob)[_PACK_HEADER.size :]
    if len(body) != length:
        raise CacheCorruptError("truncated pack")
    if not hmac.compare_digest(_pack_tag(secret, name, body), tag):
        raise CacheCorruptError("pack fails authentication")
    # Authenticated: what follows was written by this user's bafctl, so it is well formed
    # unless bafctl has a bug; the bounds are checked all the same.
    if len(body) < 4:
        raise CacheCorruptError("pack without a count")
    (count,) = _U32.unpack_from(body, 0)
    keys_end = 4 + 32 * count
    offsets_end = keys_end + 8 * (count + 1)
    if offsets_end > len(body):
        raise CacheCorruptError("pack index out of range")
    offsets = array.array("Q")
    offsets.frombytes(body[keys_end:offsets_end])
    if sys.byteorder != "little":  # pragma: no cover - big-endian machines
        offsets.byteswap()
    payloads = body[offsets_end:]
    if offsets[0] != 0 or offsets[-1] != len(payloads) or any(a > b for a, b in itertools.pairwise(offsets)):
        raise CacheCorruptError("pack offsets out of range")
    keys = bytes(body[4:keys_end])
    index = {keys[i : i + 32]: n for n, i in enumerate(range(0, 32 * count, 32))}
    return _PackIndex(index, offsets, payloads)
