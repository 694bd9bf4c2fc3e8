"""Crash tests of rescore writes (docs/reliability.md R11; T8, T9).

- ``SIGKILL`` at random moments while a writer loops ``bafctl rescore`` on a large
  file: every state of the file anyone can observe, during and after the kills, is
  exactly the old or the new content (0 corrupt or truncated files), and the next run
  cleans up the stale lock and temporary files the kills left.
- An exception, a failing rename or a full disk (``ENOSPC``, mocked, and a real small
  tmpfs when running as root) during the write leave the original byte-identical.

The writer is forked from a "zygote" process that has already imported bafctl, so a
kill round costs milliseconds, not an interpreter start-up.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.yamlio import MAX_FILE_BYTES, parse_yaml
from conftest import FIXTURES, SCALE

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux (fork, /proc)")

KILLS = 100 * SCALE
RISK = "TEST-BIG"
ON = "2026-03-02"

ZYGOTE = textwrap.dedent(
    """
    import os, sys, time
    import typer.main
    from bafctl.cli import app

    command = typer.main.get_command(app)
    os.chdir(sys.argv[1])
    # A slow disk: each fsync takes 10 ms more, so the write itself (lock, temp file,
    # replace) lasts long enough for many kills to land inside it.
    real_fsync = os.fsync

    def slow_fsync(fd):
        time.sleep(0.01)
        real_fsync(fd)

    os.fsync = slow_fsync
    # The protocol keeps the original stdout; what rescore prints goes nowhere.
    proto = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    risk, on = sys.argv[2], sys.argv[3]

    def rescore(cxl):
        try:
            command.main(["rescore", risk, "--current", cxl, "--on", on, "register"], standalone_mode=False)
        except BaseException:  # a held lock or a changed file: try again
            pass

    started = time.perf_counter()
    rescore("4x4")
    rescore("5x4")
    print("ready", (time.perf_counter() - started) / 2, file=proto, flush=True)
    for line in sys.stdin:
        word, *rest = line.split()
        if word == "fork":
            pid = os.fork()
            if pid == 0:
                os.dup2(null, 2)
                i = 0
                while True:
                    rescore("4x4" if i % 2 else "5x4")
                    i += 1
            print(pid, file=proto, flush=True)
        elif word == "reap":
            os.waitpid(int(rest[0]), 0)
            print("reaped", file=proto, flush=True)
    """
)


def big_risk(consequence: int) -> str:
    """A risk file of about 52 KiB (seven times a long BAF entry; the cap is 128 KiB)."""
    threads = []
    for n in range(48):
        controls = "\n".join(
            f"      - Control {n}.{i} – weekly staffing huddle with the matron – log {i}" for i in range(12)
        )
        threads.append(
            f"  - description: Cause {n} – vacancies in registered nursing posts across the directorates\n"
            f"    controls:\n{controls}\n"
            f"    progress:\n"
            f"      - |\n"
            f"        Progress note {n} – agency use down, bank fill rate up; café sessions held 📉.\n"
            f"        Second line of the note {n}, kept as the author typed it.\n"
        )
    return (
        "# A deliberately large risk for the crash test.\n"
        f"id: {RISK}\n"
        "title: If we cannot staff the wards, then patients wait longer\n"
        "status: approved\n"
        "strategic_link: V\n"
        "oversight: [PCC]\n"
        "executive_lead: CPO\n"
        "date_included: 2025-04-01\n"
        "last_updated: 2026-01-19\n"
        "assessments:\n"
        "  initial: {consequence: 5, likelihood: 4}\n"
        f"  current:\n    consequence: {consequence}\n    likelihood: 4\n"
        "  target: {consequence: 4, likelihood: 3}\n"
        "appetite: {level: open}\n"
        "causes:\n" + "".join(threads)
    )


@pytest.fixture
def big_register(tmp_path: Path) -> Path:
    register = tmp_path / "register"
    shutil.copytree(FIXTURES / "rescore" / "register", register)
    path = register / "risks" / "big.yaml"
    path.write_bytes(big_risk(5).encode("utf-8"))
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".lock")))


def traces(folder: Path) -> set[tuple[str, bytes]]:
    """Leftover lock and temporary files, a lock told apart by its owner's process ID."""
    found = set()
    for name in leftovers(folder):
        try:
            found.add((name, (folder / name).read_bytes() if name.endswith(".lock") else b""))
        except FileNotFoundError:  # pragma: no cover - removed while listing
            continue
    return found


def _locked_by(lock: Path, pid: int) -> bool:
    try:
        return f'"pid": {pid},'.encode() in lock.read_bytes()
    except FileNotFoundError:
        return False


class Zygote:
    """The pre-imported writer factory, driven over its stdin and stdout."""

    def __init__(self, workdir: Path) -> None:
        script = workdir / "zygote.py"
        script.write_text(ZYGOTE)
        env = {**os.environ, "BAFCTL_TODAY": ON, "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(workdir), RISK, ON],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[str] = self.process.stdin
        self.stdout: IO[str] = self.process.stdout
        word, seconds = self.stdout.readline().split()
        assert word == "ready"
        self.iteration = float(seconds)

    def ask(self, line: str) -> str:
        self.stdin.write(line + "\n")
        self.stdin.flush()
        return self.stdout.readline().strip()

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=10)
        self.stdout.close()


@pytest.fixture
def zygote(big_register: Path) -> Iterator[Zygote]:
    process = Zygote(big_register.parent.parent.parent)
    yield process
    process.close()


@pytest.mark.slow
def test_sigkill_during_rescore_writes_never_corrupts(
    big_register: Path, zygote: Zygote, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_register
    lock = path.with_name(path.name + ".lock")
    old, new = path.read_bytes(), path.read_bytes().replace(b"consequence: 5\n", b"consequence: 4\n", 1)
    assert old != new and 48 * 1024 < len(old) < MAX_FILE_BYTES
    assert parse_yaml(old).ok and parse_yaml(new).ok
    states = {old: "old", new: "new"}
    rng = random.Random(20260302)
    observed = finals = in_write = 0
    seen_finals: set[str] = set()
    for kill in range(KILLS):
        before = traces(path.parent)
        pid = int(zygote.ask("fork"))
        if kill % 2:
            # Half the kills land at a random moment of the whole loop (load, verify, write)...
            deadline = time.perf_counter() + rng.uniform(0, 1.2 * zygote.iteration)
            while time.perf_counter() < deadline:
                assert path.read_bytes() in states
                observed += 1
        else:
            # ...and half just after the writer takes its lock, inside the write itself.
            deadline = time.perf_counter() + 20 * zygote.iteration + 1.0
            while not _locked_by(lock, pid) and time.perf_counter() < deadline:
                pass
            time.sleep(rng.uniform(0, 0.025))
        os.kill(pid, signal.SIGKILL)
        assert zygote.ask(f"reap {pid}") == "reaped"
        data = path.read_bytes()
        assert data in states, f"kill {kill}: the file is neither the old nor the new content ({len(data)} bytes)"
        seen_finals.add(states[data])
        finals += 1
        in_write += bool(traces(path.parent) - before)
    assert finals == KILLS and observed > 0
    assert seen_finals == {"old", "new"}  # the writers really wrote
    assert in_write >= KILLS // 4  # many kills landed inside a write (leaving a new lock or temp file)

    # The next run removes what the kills left, and writes.
    runner = CliRunner()
    monkeypatch.chdir(path.parent.parent.parent)
    target = "4x4" if path.read_bytes() == old else "5x4"
    result = runner.invoke(app, ["rescore", RISK, "--current", target, "--on", ON, "register"])
    assert result.exit_code == 0, result.stderr
    assert all(line.startswith("bafctl: note: removed ") for line in result.stderr.splitlines())
    assert path.read_bytes() in states
    assert leftovers(path.parent) == []


# ---------------------------------------------------------------------------
# Exceptions and full disks through the command (T9)
# ---------------------------------------------------------------------------


@pytest.fixture
def small_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    register = tmp_path / "register"
    shutil.copytree(FIXTURES / "rescore" / "register", register)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAFCTL_TODAY", ON)
    return register / "risks" / "realistic_bom.yaml"


def _fail_writes_to(suffix: str, error: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write

    def fake(fd: int, data: bytes | memoryview) -> int:
        if str(Path(f"/proc/self/fd/{fd}").readlink()).endswith(suffix):
            raise error
        return real(fd, data)

    monkeypatch.setattr(os, "write", fake)


def test_exception_during_the_write_leaves_the_original(
    runner: CliRunner, small_register: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = small_register.read_bytes()
    _fail_writes_to(".tmp", RuntimeError("the controller caught fire"), monkeypatch)
    result = runner.invoke(app, ["rescore", "TEST-WORKFORCE", "--current", "4x4", "register"])
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "bafctl: internal error (please report): RuntimeError: the controller caught fire "
        "(run with --debug for the traceback)\n"
    )
    assert small_register.read_bytes() == before
    assert leftovers(small_register.parent) == []


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_enospc_leaves_the_original(
    runner: CliRunner, small_register: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    before = small_register.read_bytes()
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if where == "write":
        _fail_writes_to(".tmp", full, monkeypatch)
    else:

        def fail(fd: int) -> None:
            raise full

        monkeypatch.setattr(os, "fsync", fail)
    result = runner.invoke(app, ["rescore", "TEST-WORKFORCE", "--current", "4x4", "register"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"bafctl: error: cannot write {small_register}: No space left on device; the file is unchanged\n"
    )
    assert small_register.read_bytes() == before
    assert leftovers(small_register.parent) == []


def _mount_tmpfs(mountpoint: Path, size: str) -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("a real full disk needs root to mount a small tmpfs")
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")


def test_a_real_full_disk_leaves_the_original(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mountpoint = tmp_path / "small"
    _mount_tmpfs(mountpoint, "64k")
    try:
        shutil.copytree(FIXTURES / "rescore" / "register", mountpoint / "register")
        path = mountpoint / "register" / "risks" / "realistic_bom.yaml"
        before = path.read_bytes()
        filler = mountpoint / "filler"
        with filler.open("wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        monkeypatch.chdir(mountpoint)
        monkeypatch.setenv("BAFCTL_TODAY", ON)
        result = runner.invoke(app, ["rescore", "TEST-WORKFORCE", "--current", "4x4", "register"])
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.startswith("bafctl: error: cannot ")
        assert result.stderr.endswith(": No space left on device; the file is unchanged\n")
        assert path.read_bytes() == before
        assert leftovers(path.parent) == []
        # With room again, the same command succeeds.
        filler.unlink()
        result = runner.invoke(app, ["rescore", "TEST-WORKFORCE", "--current", "4x4", "register"])
        assert (result.exit_code, result.stderr) == (0, "")
        assert path.read_bytes() == (FIXTURES / "rescore" / "expected" / "realistic_bom.yaml").read_bytes().replace(
            b"  # rescored 2026-03-02: agency spend down", b""
        )
    finally:
        monkeypatch.chdir(tmp_path)
        subprocess.run(["umount", str(mountpoint)], check=False, capture_output=True)
