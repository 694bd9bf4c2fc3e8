"""Atomic, durable, locked replacement of one file (docs/reliability.md R11).

A risk file is often the board's only copy of its record, so a write must leave either
the old bytes or the new bytes on disk, whatever happens: a crash, ``kill -9``, a full
disk, a second bafctl, or an editor saving the file while bafctl works. The recipe is
git's lock-file discipline:

1. take ``<file>.lock`` with ``O_CREAT | O_EXCL`` (a second writer is refused; a lock
   left by a process that no longer runs is removed, with a note);
2. remove temporary files left by interrupted writes (safe: only the lock holder
   creates them);
3. re-hash the file and refuse if it changed since it was read (lost-update protection);
4. write a temporary file in the same folder (``O_EXCL``), with the original's mode,
   and ``fsync`` it, then read it back;
5. re-hash the original once more, ``os.replace`` the temporary file over it, then
   ``fsync`` the folder so the rename itself survives a power cut;
6. release the lock.

Symbolic links and files with several hard links are refused: replacing them would
silently detach the name from the file other names still point at.

The module never prints: notes about what was cleaned up are returned to the caller.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import socket
import stat
import tempfile
import time
from pathlib import Path

from bafctl.errors import FileChangedError, LockHeldError, UnsafeTargetError, WriteFailedError

#: A lock whose owner cannot be shown to have died is still broken after this long
#: (a rescore takes well under a second).
STALE_LOCK_SECONDS = 600.0
#: A lock file that is still empty this long after it was created was left by a writer
#: killed between creating it and writing its process ID (which takes microseconds).
EMPTY_LOCK_GRACE_SECONDS = 2.0


def lock_path_for(path: Path) -> Path:
    """``risk.yaml`` -> ``risk.yaml.lock`` (git's convention)."""
    return path.with_name(path.name + ".lock")


def _temp_pattern(path: Path) -> re.Pattern[str]:
    # tempfile.mkstemp(prefix=".<name>.", suffix=".tmp") inserts 8 characters.
    return re.compile(re.escape(f".{path.name}.") + r"[A-Za-z0-9_]{8}\.tmp")


def sha256(data: bytes) -> str:
    """The SHA-256 of ``data`` as hex."""
    return hashlib.sha256(data).hexdigest()


def check_target(path: Path) -> os.stat_result:
    """Refuse anything but a regular file with a single name; return its ``lstat``."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise FileChangedError(f"{path}: the file was removed after it was read; nothing written") from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeTargetError(f"{path}: is a symbolic link; bafctl only rewrites real files (edit the link's target)")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeTargetError(f"{path}: is not a regular file")
    if info.st_nlink > 1:
        raise UnsafeTargetError(
            f"{path}: has {info.st_nlink} hard links; replacing it would split them (copy the file first)"
        )
    return info


def _read_bytes(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _stale_reason(lock: Path) -> str | None:
    """Why the existing lock can be broken, or None when it must be respected."""
    try:
        info = os.lstat(lock)
        raw = _read_bytes(lock)
    except FileNotFoundError:
        return "it has just been released"
    age = time.time() - info.st_mtime
    owner: dict[str, object] = {}
    with contextlib.suppress(ValueError):
        loaded = json.loads(raw.decode("utf-8", errors="replace"))
        if isinstance(loaded, dict):
            owner = loaded
    pid = owner.get("pid")
    if isinstance(pid, int) and owner.get("host") == socket.gethostname() and not _pid_alive(pid):
        return f"its process {pid} is no longer running"
    if not owner and age > EMPTY_LOCK_GRACE_SECONDS:
        return "it was left empty by an interrupted bafctl"
    if age > STALE_LOCK_SECONDS:
        return f"it is {int(age // 60)} minutes old"
    return None


def _lock_owner(lock: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        owner = json.loads(_read_bytes(lock).decode("utf-8", errors="replace"))
        if isinstance(owner, dict) and isinstance(owner.get("pid"), int):
            return f" (process {owner['pid']} on {owner.get('host', '?')})"
    return ""


def acquire_lock(path: Path, notes: list[str]) -> Path:
    """Create ``<path>.lock`` exclusively, breaking a stale one (noted in ``notes``)."""
    lock = lock_path_for(path)
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            reason = _stale_reason(lock) if attempt == 0 else None
            if reason is None:
                raise LockHeldError(
                    f"{path} is locked by another bafctl{_lock_owner(lock)}: wait for it to finish, "
                    f"or delete {lock} if no bafctl is running"
                ) from None
            lock.unlink(missing_ok=True)
            notes.append(f"removed a stale lock {lock} ({reason})")
            continue
        try:
            owner = {"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()}
            _write_all(fd, json.dumps(owner).encode("utf-8"))
        except BaseException:
            lock.unlink(missing_ok=True)  # a full disk must not leave a lock behind
            raise
        finally:
            os.close(fd)
        return lock
    raise LockHeldError(f"{path} is locked by another bafctl: try again")  # pragma: no cover - lost a race twice


def release_lock(lock: Path) -> None:
    """Remove the lock file (missing is fine)."""
    lock.unlink(missing_ok=True)


def remove_orphans(path: Path, notes: list[str]) -> None:
    """Remove temporary files of ``path`` left by interrupted writes (hold the lock first)."""
    pattern = _temp_pattern(path)
    try:
        entries = sorted(path.parent.iterdir())
    except OSError:
        return
    for orphan in entries:
        if not pattern.fullmatch(orphan.name):
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(orphan).st_mode):
                orphan.unlink()
                notes.append(f"removed {orphan}, left by an interrupted write")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - os.write raises rather than returning 0
            raise OSError(errno.EIO, "write returned no progress")
        view = view[written:]


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    try:
        try:
            _write_all(fd, data)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        if _read_bytes(temp) != data:  # pragma: no cover - a broken file system
            raise OSError(errno.EIO, "the temporary file does not read back as written")
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return temp


def _fsync_dir(folder: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # pragma: no cover - some file systems refuse fsync on folders
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def replace_file(path: Path, data: bytes, *, expected: bytes) -> list[str]:
    """Replace ``path`` with ``data`` if it still holds ``expected``; atomic and durable.

    Args:
        path: The file to replace; it must exist and be a regular file with one name.
        data: The new content (never empty: an empty write is a bug upstream).
        expected: The bytes that were read and edited; the write is refused if the file
            no longer holds them.

    Returns:
        Notes about stale locks or temporary files that were cleaned up.

    Raises:
        LockHeldError: another bafctl is writing the file.
        FileChangedError: the file changed (or vanished) since it was read.
        UnsafeTargetError: a symbolic link, a special file or a multiply-linked file.
        WriteFailedError: the operating system refused the write; the file is unchanged.
    """
    if not data:
        raise ValueError("refusing to write an empty file")
    notes: list[str] = []
    check_target(path)
    want = sha256(expected)
    try:
        lock = acquire_lock(path, notes)
    except OSError as exc:
        raise WriteFailedError(f"cannot lock {path}: {exc.strerror or exc}; the file is unchanged") from None
    replaced = False
    try:
        remove_orphans(path, notes)
        info = check_target(path)
        if sha256(_read_bytes(path)) != want:
            raise FileChangedError(f"{path} changed since it was read; nothing written: run the command again")
        temp = _write_temp(path, data, stat.S_IMODE(info.st_mode))
        try:
            # Once more, as late as possible: an editor may have saved in the meantime.
            check_target(path)
            if sha256(_read_bytes(path)) != want:
                raise FileChangedError(f"{path} changed since it was read; nothing written: run the command again")
            temp.replace(path)
            replaced = True
        finally:
            if not replaced:
                with contextlib.suppress(OSError):
                    temp.unlink()
        _fsync_dir(path.parent)
    except OSError as exc:
        state = "the new content is in place but may not be on disk yet" if replaced else "the file is unchanged"
        raise WriteFailedError(f"cannot write {path}: {exc.strerror or exc}; {state}") from None
    finally:
        release_lock(lock)
    return notes
