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
"""

from __future__ import annotations

import array
import contextlib
import datetime as dt
import errno
import functools
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

from bafctl import __version__

T = TypeVar("T")

#: Bump when the on-disk layout, the entry header or the encoding changes. Format 1
#: pickled its values; its ``v1`` folder is never read (nor removed).
CACHE_FORMAT = 2
#: Default bound on the cache folder's size.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: Environment variable naming the cache folder (else the platform's user cache folder).
CACHE_DIR_ENV = "BAFCTL_CACHE_DIR"
#: Environment variable overriding the bound, in MB (a 20,000-risk BAF register's pack is
#: about 260 MB: such a group raises the bound rather than lose its cache).
CACHE_MAX_ENV = "BAFCTL_CACHE_MAX_MB"

_MAGIC = b"BAFCACHE"
_PACK_MAGIC = b"BAFCPACK"
# magic, format version, key (32 bytes), payload length, HMAC-SHA256 tag (32 bytes)
_HEADER = struct.Struct(">8sH32sQ32s")
# magic, format version, body length, HMAC-SHA256 tag (32 bytes)
_PACK_HEADER = struct.Struct(">8sHQ32s")
_U32 = struct.Struct(">I")
_VERSION = struct.pack(">H", CACHE_FORMAT)
_ENTRY_SUFFIX = ".entry"
_PACK_SUFFIX = ".pack"
_TEMP_PREFIX = ".tmp-bafctl-"
_SECRET_FILE = "secret.key"
_SECRET_BYTES = 32
# The names bafctl gives its files: eviction and clear() touch nothing else.
_ENTRY_DIR_NAME = re.compile(r"[0-9a-f]{2}")
_ENTRY_NAME = re.compile(r"[0-9a-f]{62}\.entry")
_PACK_NAME = re.compile(r"[0-9a-f]{40}\.pack")
_TEMP_NAME = re.compile(r"\.tmp-bafctl-[a-z0-9_]{8}")
#: Temporary files older than this are left-overs of a killed writer.
_STALE_TEMP_SECONDS = 3600
# No links followed, no waiting on a FIFO or a device, not inherited by children.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class CacheCorruptError(ValueError):
    """An entry failed its integrity checks (only raised inside this module)."""


class _Untrusted(Exception):
    """A cache file that is not a regular file of the user's, or that others may write."""


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
    pydantic-core's version is included because it writes and reads the models' JSON.
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

    ``diff`` also compares risks by it, so an unchanged file is never decoded.
    """
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------
# Trust: whose files these are
# ---------------------------------------------------------------------------


def _euid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def _loose(st: os.stat_result, what: str, path: Path | str, *, private: bool = False) -> str | None:
    """Why a file or folder with this status must not be trusted, or None.

    ``private``: nobody else may even read it (the secret).
    """
    uid = _euid()
    if uid is not None and st.st_uid != uid:
        return f"{what} {path} belongs to another user (uid {st.st_uid}, not {uid}); the cache is bypassed"
    mode = stat.S_IMODE(st.st_mode)
    if private and mode & 0o077:
        return f"{what} {path} is readable or writable by other users (mode {mode:04o}); the cache is bypassed"
    if mode & 0o022:
        return f"{what} {path} is writable by other users (mode {mode:04o}); the cache is bypassed"
    return None


def cache_folder_problem(directory: Path) -> str | None:
    """Why the cache in ``directory`` must not be used, in one line, or None when it may.

    The folder (links followed: it may be a link the user made), its ``v{CACHE_FORMAT}``
    subfolder (not a link) and the secret must belong to the effective user and must
    not be writable by anyone else (the secret not even readable). A folder that does
    not exist yet is no problem: it is created with mode 0700.
    """
    root = directory / f"v{CACHE_FORMAT}"
    for path, what, follow in ((directory, "cache folder", True), (root, "cache folder", False)):
        try:
            st = path.stat(follow_symlinks=follow)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"cache folder {path} cannot be read ({exc.strerror or exc}); the cache is bypassed"
        if stat.S_ISLNK(st.st_mode):
            return f"cache folder {path} is a symbolic link; the cache is bypassed"
        if not stat.S_ISDIR(st.st_mode):
            return f"cache folder {path} is not a folder; the cache is bypassed"
        if problem := _loose(st, what, path):
            return problem
    secret = root / _SECRET_FILE
    try:
        st = os.lstat(secret)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cache key {secret} cannot be read ({exc.strerror or exc}); the cache is bypassed"
    if not stat.S_ISREG(st.st_mode):
        return f"cache key {secret} is not a regular file; the cache is bypassed"
    return _loose(st, "cache key", secret, private=True)


_REFUSALS: list[str] = []
_REFUSALS_TAKEN: set[str] = set()
_REFUSALS_LOCK = threading.Lock()


def _record_refusal(reason: str) -> None:
    with _REFUSALS_LOCK:
        if reason not in _REFUSALS:
            _REFUSALS.append(reason)


def take_refusal() -> str | None:
    """The reason a cache was bypassed in this process, once: for the CLI's one warning.

    Returns each reason the first time it is asked for, then None (several cache objects
    refusing the same folder give one warning).
    """
    with _REFUSALS_LOCK:
        for reason in _REFUSALS:
            if reason not in _REFUSALS_TAKEN:
                _REFUSALS_TAKEN.add(reason)
                return reason
    return None


def _read_trusted(path: Path, *, private: bool = False, touch: bool = False) -> bytes | None:
    """The bytes of a cache file, None when it does not exist.

    Raises _Untrusted for a link, a FIFO or device, another user's file, or one others may
    write (``private``: or read). Never blocks: a FIFO is opened non-blocking and refused.
    ``touch`` marks it used (least recently *used* is evicted first).
    """
    try:
        handle = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENXIO, errno.EACCES, errno.EPERM):
            raise _Untrusted(str(path)) from None
        return None
    try:
        st = os.fstat(handle)
        if not stat.S_ISREG(st.st_mode) or _loose(st, "cache file", path, private=private):
            raise _Untrusted(str(path))
        with open(handle, "rb", buffering=0, closefd=False) as stream:
            data = stream.readall()
        if touch:
            with contextlib.suppress(OSError):
                os.utime(handle)
        return data
    except OSError:
        return None
    finally:
        os.close(handle)


# ---------------------------------------------------------------------------
# Encoding: plain data only
# ---------------------------------------------------------------------------
#
# A payload is a 4-byte length, a JSON document (ASCII), then raw blobs (models' JSON,
# bytes) that the document refers to by offset and length. Every JSON object in the
# document is a tag with one value: {"t": [...]} a tuple, {"d": [[k, v], ...]} a dict,
# {"date": "2026-01-31"}, {"b": [offset, length]} bytes, {"lazy": [model, offset,
# length]} a LazyModel, {"model": [...]} a model restored now, or a registered codec's
# tag. Tags name entries of fixed tables, never a class to import.


@dataclass(frozen=True)
class _Codec:
    cls: type[Any]
    tag: str
    encode: Callable[[Any, Callable[[Any], Any]], Any]
    decode: Callable[[Any], Any]


_BUILTIN_TAGS = frozenset({"t", "d", "date", "b", "lazy", "model"})
_CODECS_BY_TYPE: dict[type[Any], _Codec] = {}
_CODECS_BY_TAG: dict[str, _Codec] = {}
_MODELS_BY_TAG: dict[str, type[Any]] = {}
_MODEL_TAGS: dict[type[Any], str] = {}


def register_codec(
    cls: type[Any], tag: str, encode: Callable[[Any, Callable[[Any], Any]], Any], decode: Callable[[Any], Any]
) -> None:
    """Let values of exactly ``cls`` be cached, as ``{tag: encode(value, enc)}``.

    ``encode`` returns JSON values (lists, not dicts) and passes anything else through
    ``enc``; ``decode`` receives that with every ``enc``-encoded part already decoded.
    """
    taken = _CODECS_BY_TAG.get(tag)
    if tag in _BUILTIN_TAGS or (taken is not None and taken.cls is not cls):
        raise ValueError(f"cache codec tag {tag!r} is taken")
    codec = _Codec(cls, tag, encode, decode)
    _CODECS_BY_TYPE[cls] = codec
    _CODECS_BY_TAG[tag] = codec


def register_model(cls: type[Any], tag: str | None = None) -> None:
    """Let instances of the pydantic model ``cls`` (and LazyModels of one) be cached.

    Stored as the model's JSON (by alias, unset fields left out) and restored by
    validating it again, which gives an equal model with the same fields set. The
    model's validators must not depend on a validation context (none of bafctl's do).
    """
    name = tag or cls.__name__
    if _MODELS_BY_TAG.get(name, cls) is not cls:
        raise ValueError(f"cache model tag {name!r} is taken")
    _MODELS_BY_TAG[name] = cls
    _MODEL_TAGS[cls] = name


def _model_json(model: Any) -> bytes:
    data: bytes = model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_unset=True)
    return data


def _model_tag(cls: type[Any]) -> str:
    tag = _MODEL_TAGS.get(cls)
    if tag is None:
        raise TypeError(f"cannot cache a {cls.__name__}: not registered with register_model()")
    return tag


class _Encoder:
    __slots__ = ("blobs", "size")

    def __init__(self) -> None:
        self.blobs: list[bytes | memoryview] = []
        self.size = 0

    def blob(self, data: bytes | memoryview) -> tuple[int, int]:
        start = self.size
        self.blobs.append(data)
        self.size += len(data)
        return start, len(data)

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            return value
        if kind is list:
            return [self.encode(item) for item in value]
        if kind is tuple:
            return {"t": [self.encode(item) for item in value]}
        codec = _CODECS_BY_TYPE.get(kind)
        if codec is not None:
            return {codec.tag: codec.encode(value, self.encode)}
        if kind is LazyModel:
            return {"lazy": [_model_tag(value.model_class), *self.blob(value.packed())]}
        if kind in _MODEL_TAGS:
            return {"model": [_MODEL_TAGS[kind], *self.blob(_model_json(value))]}
        if kind is dict:
            return {"d": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if kind is dt.date:
            return {"date": value.isoformat()}
        if kind is bytes:
            return {"b": list(self.blob(value))}
        raise TypeError(f"cannot cache a {kind.__name__}: only plain data and registered types")


def encode(value: Any) -> bytes:
    """``value`` as plain data: a length, a JSON document, then the blobs it refers to.

    Raises TypeError for a type that is neither plain data nor registered, ValueError
    for one that cannot be written (a model that does not serialise).
    """
    encoder = _Encoder()
    document = json.dumps(encoder.encode(value), separators=(",", ":"), allow_nan=True).encode("ascii")
    return b"".join([_U32.pack(len(document)), document, *encoder.blobs])


_DECODING = threading.local()


def _blob(start: Any, length: Any) -> memoryview:
    blobs: memoryview = _DECODING.blobs
    if type(start) is not int or type(length) is not int or start < 0 or length < 0 or start + length > len(blobs):
        raise CacheCorruptError("blob out of range")
    return blobs[start : start + length]


def _model_class(tag: Any) -> type[Any]:
    cls = _MODELS_BY_TAG.get(tag) if type(tag) is str else None
    if cls is None:
        raise CacheCorruptError(f"unknown model {tag!r}")
    return cls


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        raise CacheCorruptError("untagged object")
    ((tag, data),) = obj.items()
    codec = _CODECS_BY_TAG.get(tag)
    if codec is not None:
        return codec.decode(data)
    if tag == "t":
        return tuple(data)
    if tag == "lazy":
        tag, start, length = data
        return LazyModel(_blob(start, length), cls=_model_class(tag))
    if tag == "model":
        tag, start, length = data
        return _model_class(tag).model_validate_json(bytes(_blob(start, length)))
    if tag == "d":
        return {k: v for k, v in data}  # noqa: C416 - pairs are lists, not tuples
    if tag == "date":
        return dt.date.fromisoformat(data)
    if tag == "b":
        return bytes(_blob(*data))
    raise CacheCorruptError(f"unknown tag {tag!r}")


_DECODER = json.JSONDecoder(object_hook=_object_hook)
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def decode(payload: bytes | memoryview) -> Any:
    """The value :func:`encode` gave ``payload``; CacheCorruptError for anything else."""
    view = memoryview(payload)
    try:
        (length,) = _U32.unpack_from(view, 0)
        if 4 + length > len(view):
            raise CacheCorruptError("truncated document")
        document = str(view[4 : 4 + length], "ascii")
        _DECODING.blobs = view[4 + length :]
        # The C scanner itself: the document is compact JSON, with no white space around it.
        value, end = _SCAN(document, 0)
        if end != len(document):
            raise CacheCorruptError("trailing data")
        return value
    except CacheCorruptError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoding failure (bad JSON, bad shape) is a miss
        raise CacheCorruptError(f"cannot decode: {type(exc).__name__}") from None
    finally:
        _DECODING.blobs = None


# ---------------------------------------------------------------------------
# Models kept encoded until read
# ---------------------------------------------------------------------------


class LazyModel:
    """A validated model kept as its JSON until something reads it.

    A cached risk restores in about 0.1 ms, and most commands over a large register need
    only a few models: ``check`` reads cached rule findings, ``diff`` compares the risks
    whose files changed, ``rescore`` edits one. The rest stay bytes (warm
    ``check`` and ``diff`` of 5,000 risks, and their memory). Pickled only to cross a
    worker process's pipe (in memory), as the model's JSON.
    """

    __slots__ = ("_cls", "_model", "_packed")

    def __init__(
        self, packed: bytes | memoryview | None = None, model: Any = None, cls: type[Any] | None = None
    ) -> None:
        self._packed = packed
        self._model = model
        self._cls = cls if cls is not None else type(model)

    @classmethod
    def of(cls, model: Any) -> LazyModel:
        """Wrap a model already in memory (encoded only if the wrapper is)."""
        return cls(None, model)

    @property
    def model_class(self) -> type[Any]:
        """The model's class."""
        return self._cls

    def packed(self) -> bytes | memoryview:
        """The model's JSON (written now if the model was never encoded)."""
        if self._packed is None:
            self._packed = _model_json(self._model)
        return self._packed

    def get(self) -> Any:
        """The model, restored on first use."""
        if self._model is None:
            self._model = self.peek()
        return self._model

    def peek(self) -> Any:
        """The model, without keeping it: for a one-off read of a large register's risk."""
        if self._model is not None:
            return self._model
        assert self._packed is not None
        packed = self._packed
        return self._cls.model_validate_json(packed if isinstance(packed, bytes) else bytes(packed))

    @property
    def is_loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def __reduce__(self) -> tuple[Any, ...]:
        try:
            packed = self.packed()
        except (TypeError, ValueError):  # pragma: no cover - a model that does not serialise
            return (LazyModel.of, (self._model,))
        return (LazyModel, (bytes(packed), None, self._cls))

    def __repr__(self) -> str:
        return f"LazyModel({'loaded' if self.is_loaded else 'packed'})"


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


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile  # only writers need it (a warm run writes nothing): about 2 ms of import

    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)  # mode 0600
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # No fsync: a torn write after a power cut fails authentication and is a miss.
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _mkdir_private(path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)


def _scan(folder: Path | str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


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
