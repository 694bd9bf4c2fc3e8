"""atomic.replace_file: lock, re-hash, temp + fsync + replace, refusals (docs/reliability.md R11)."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bafctl import atomic
from bafctl.atomic import lock_path_for, replace_file
from bafctl.errors import FileChangedError, LockHeldError, UnsafeTargetError, WriteFailedError

OLD = b"\xef\xbb\xbfid: R1\r\nlast_updated: 2026-01-19\r\n"
NEW = b"\xef\xbb\xbfid: R1\r\nlast_updated: 2026-03-02\r\n"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "risk.yaml"
    path.write_bytes(OLD)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".lock")))


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def write_lock(path: Path, owner: dict[str, object] | None, age: float = 0.0) -> Path:
    lock = lock_path_for(path)
    lock.write_text("" if owner is None else json.dumps(owner))
    stamp = time.time() - age
    os.utime(lock, (stamp, stamp))
    return lock


def test_replaces_the_content_and_keeps_the_mode(target: Path) -> None:
    target.chmod(0o640)
    assert replace_file(target, NEW, expected=OLD) == []
    assert target.read_bytes() == NEW
    assert target.stat().st_mode & 0o777 == 0o640
    assert leftovers(target.parent) == []


def test_lock_path_follows_git() -> None:
    assert lock_path_for(Path("a/risk.yaml")) == Path("a/risk.yaml.lock")


def test_refuses_a_symbolic_link(target: Path) -> None:
    link = target.with_name("link.yaml")
    link.symlink_to(target.name)
    with pytest.raises(UnsafeTargetError, match="is a symbolic link"):
        replace_file(link, NEW, expected=OLD)
    assert (link.is_symlink(), target.read_bytes()) == (True, OLD)


def test_refuses_a_file_with_two_hard_links(target: Path) -> None:
    os.link(target, target.with_name("other.yaml"))
    with pytest.raises(UnsafeTargetError, match="has 2 hard links"):
        replace_file(target, NEW, expected=OLD)
    assert target.read_bytes() == OLD


def test_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UnsafeTargetError, match="is not a regular file"):
        replace_file(tmp_path, NEW, expected=OLD)


def test_refuses_an_empty_write(target: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        replace_file(target, b"", expected=OLD)
    assert target.read_bytes() == OLD


def test_refuses_a_file_changed_since_it_was_read(target: Path) -> None:
    target.write_bytes(OLD + b"# edited in an editor\r\n")
    with pytest.raises(FileChangedError, match="changed since it was read; nothing written"):
        replace_file(target, NEW, expected=OLD)
    assert target.read_bytes() == OLD + b"# edited in an editor\r\n"
    assert leftovers(target.parent) == []


def test_refuses_a_file_removed_since_it_was_read(target: Path) -> None:
    target.unlink()
    with pytest.raises(FileChangedError, match="was removed after it was read"):
        replace_file(target, NEW, expected=OLD)


def test_a_change_while_writing_the_temporary_file_is_caught(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = atomic._write_temp

    def write_then_edit(path: Path, data: bytes, mode: int) -> Path:
        temp = real(path, data, mode)
        target.write_bytes(b"edited meanwhile\n")
        return temp

    monkeypatch.setattr(atomic, "_write_temp", write_then_edit)
    with pytest.raises(FileChangedError):
        replace_file(target, NEW, expected=OLD)
    assert target.read_bytes() == b"edited meanwhile\n"
    assert leftovers(target.parent) == []


def test_a_live_lock_is_respected(target: Path) -> None:
    lock = write_lock(target, {"pid": os.getpid(), "host": socket.gethostname()})
    with pytest.raises(LockHeldError, match=rf"locked by another bafctl \(process {os.getpid()} on "):
        replace_file(target, NEW, expected=OLD)
    assert (target.read_bytes(), lock.exists()) == (OLD, True)


def test_a_fresh_empty_lock_is_respected(target: Path) -> None:
    write_lock(target, None)
    with pytest.raises(LockHeldError, match=r"delete .*risk\.yaml\.lock if no bafctl is running"):
        replace_file(target, NEW, expected=OLD)


@pytest.mark.parametrize(
    ("owner", "age", "reason"),
    [
        ("dead", 0.0, "its process {pid} is no longer running"),
        (None, 10.0, "it was left empty by an interrupted bafctl"),
        ("self", 3600.0, "it is 60 minutes old"),
        ("other-host", 3600.0, "it is 60 minutes old"),
    ],
)
def test_a_stale_lock_is_removed_with_a_note(target: Path, owner: str | None, age: float, reason: str) -> None:
    pid = dead_pid() if owner == "dead" else os.getpid()
    host = "elsewhere.invalid" if owner == "other-host" else socket.gethostname()
    lock = write_lock(target, None if owner is None else {"pid": pid, "host": host}, age)
    notes = replace_file(target, NEW, expected=OLD)
    assert notes == [f"removed a stale lock {lock} ({reason.format(pid=pid)})"]
    assert (target.read_bytes(), leftovers(target.parent)) == (NEW, [])


def test_a_lock_on_another_host_is_respected_while_fresh(target: Path) -> None:
    write_lock(target, {"pid": dead_pid(), "host": "elsewhere.invalid"})
    with pytest.raises(LockHeldError, match=r"process .* on elsewhere\.invalid"):
        replace_file(target, NEW, expected=OLD)


def test_orphaned_temporary_files_are_removed_under_the_lock(target: Path) -> None:
    orphan = target.with_name(".risk.yaml.a1b2c3d4.tmp")
    orphan.write_bytes(b"half a fi")
    unrelated = target.with_name(".other.yaml.a1b2c3d4.tmp")
    unrelated.write_bytes(b"x")
    notes = replace_file(target, NEW, expected=OLD)
    assert notes == [f"removed {orphan}, left by an interrupted write"]
    assert (orphan.exists(), unrelated.exists(), target.read_bytes()) == (False, True, NEW)


def _fail_on_temp(error: BaseException) -> Callable[..., int]:
    real = os.write

    def fake(fd: int, data: bytes | memoryview) -> int:
        if str(Path(f"/proc/self/fd/{fd}").readlink()).endswith(".tmp"):
            raise error
        return real(fd, data)

    return fake


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to tell the temporary file's descriptor")
def test_enospc_while_writing_leaves_the_original(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "write", _fail_on_temp(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    with pytest.raises(WriteFailedError, match="No space left on device; the file is unchanged"):
        replace_file(target, NEW, expected=OLD)
    assert (target.read_bytes(), leftovers(target.parent)) == (OLD, [])


def test_enospc_on_fsync_leaves_the_original(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(WriteFailedError, match="No space left on device; the file is unchanged"):
        replace_file(target, NEW, expected=OLD)
    assert (target.read_bytes(), leftovers(target.parent)) == (OLD, [])


def test_enospc_on_the_lock_leaves_no_lock(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write

    def fake(fd: int, data: bytes | memoryview) -> int:
        if str(Path(f"/proc/self/fd/{fd}").readlink()).endswith(".lock"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", fake)
    with pytest.raises(WriteFailedError, match=r"cannot lock .*: No space left on device; the file is unchanged"):
        replace_file(target, NEW, expected=OLD)
    assert (target.read_bytes(), leftovers(target.parent)) == (OLD, [])


def test_an_exception_while_writing_leaves_the_original(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "write", _fail_on_temp(RuntimeError("the controller caught fire")))
    with pytest.raises(RuntimeError, match="caught fire"):
        replace_file(target, NEW, expected=OLD)
    assert (target.read_bytes(), leftovers(target.parent)) == (OLD, [])


def test_a_failing_rename_leaves_the_original(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(WriteFailedError, match="Invalid cross-device link; the file is unchanged"):
        replace_file(target, NEW, expected=OLD)
    assert (target.read_bytes(), leftovers(target.parent)) == (OLD, [])
