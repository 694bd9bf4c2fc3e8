"""The cache's files: whose they are, and how they are read and written.

Safety (SECURITY.md): the cache folder and its ``v{CACHE_FORMAT}`` subfolder must belong
to the effective user and must not be writable by the group or others, and the secret
must be readable by the user alone; otherwise the cache is bypassed (no reads, no
writes) and the reason is recorded, once, for the CLI's one warning, as ssh refuses
loose key files (:func:`cache_folder_problem`, :func:`take_refusal`). Every cache file is
opened without following links and without blocking, and used only when it is a regular
file of the user's that nobody else may write (:func:`_read_trusted`): anything else is
a miss. Writers write a temporary file (mode 0600) in the same folder and
``os.replace`` it into place, so a reader sees the old file, the new one or none, never
a partial one.

What the files hold, and the HMAC that authenticates them, is :mod:`bafctl.cache`'s and
:mod:`bafctl.cache.packs`'s business.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import struct
import threading
from pathlib import Path

#: Bump when the on-disk layout, the entry header or the encoding changes. Format 1
#: pickled its values; its ``v1`` folder is never read (nor removed).
CACHE_FORMAT = 2

# The format version as it is written into every header and covered by every HMAC.
_VERSION = struct.pack(">H", CACHE_FORMAT)
_TEMP_PREFIX = ".tmp-bafctl-"
_SECRET_FILE = "secret.key"
# No links followed, no waiting on a FIFO or a device, not inherited by children.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class _Untrusted(Exception):
    """A cache file that is not a regular file of the user's, or that others may write."""


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
_REFUSALS_LOCK = threading.Lock()


def _record_refusal(reason: str) -> None:
    with _REFUSALS_LOCK:
        if reason not in _REFUSALS:
            _REFUSALS.append(reason)


def take_refusal() -> str | None:
    """The oldest reason a cache was bypassed that nobody has taken yet: for the CLI's warning.

    Taking a reason removes it, so several cache objects refusing the same folder before
    the CLI asks give one warning, and a later run in the same process warns afresh.
    """
    with _REFUSALS_LOCK:
        return _REFUSALS.pop(0) if _REFUSALS else None


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
# Writing, removing and listing
# ---------------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    import tempfile  # only writers need it, and a warm run writes nothing

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
