"""Benchmark bafctl at scale, against check-jsonschema and yamllint on the same files.

    python benchmarks/run.py                      # 50, 500, 5,000 and 20,000 risks
    python benchmarks/run.py --sizes 50,500 --repeat 3 --json out.json
    python benchmarks/run.py --quick              # a smoke test: tiny sizes, one run each

Generates (deterministically, into ``benchmarks/work/``, gitignored):

* for each size and kind (``baf``: BAF-sized entries of about 7 KB; ``ops``: operational
  register entries of about 1.5 KB), a git repository holding a valid register in two
  revisions (the second rescores 1 % of the risks and adds one);
* a 1,000-commit history of a 200-risk register, each commit rescoring a few risks.

Then measures, whole process (start-up included), medians of ``--repeat`` runs,
hyperfine-style (wall time by ``time.perf_counter`` around the child, peak RSS of that
child from ``os.wait4``): ``python -c pass``, ``bafctl --help``, a one-file ``check``,
``check`` cold (``--no-cache`` when bafctl has it, else with the cache folder emptied
before each run) and warm, ``rescore`` (one risk, ``--dry-run`` and for real on a copy),
``diff`` of the two revisions, ``history`` of one risk over the 1,000 commits,
``summary``, ``report``, and the peers: ``check-jsonschema --schemafile`` (the output of
``bafctl schema risk``) and ``yamllint`` with its default settings, installed on demand
into ``benchmarks/work/peers-venv`` (never project dependencies). A command bafctl does
not have yet is reported as "not available".

Prints Markdown: the machine, medians, ratios against the peers and the targets of issue
7 with pass/fail. Runs longer than ``--budget`` seconds are not repeated.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - the sibling module, after the path is set

DEFAULT_SIZES = (50, 500, 5000, 20000)
QUICK_SIZES = (5, 50)
PEERS = ("check-jsonschema", "yamllint")
#: Exit codes that mean "the command ran" (1: findings, e.g. a risk out of appetite).
RAN = (0, 1)
#: The history measurement the target is about (a --quick run measures a shorter one).
HISTORY_TARGET_NAME = "history, 1000 commits of 200 risks"
BAFCTL_COMMANDS = ("check", "diff", "summary", "report", "rescore")

# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    """One measured command: its runs, or why it has none."""

    name: str
    argv: list[str]
    size: int | None = None
    kind: str | None = None
    times: list[float] = dataclasses.field(default_factory=list)
    cpu: list[float] = dataclasses.field(default_factory=list)
    """User + system CPU seconds of each run (less sensitive than wall time to a busy machine)."""
    rss_kb: list[int] = dataclasses.field(default_factory=list)
    exit_codes: list[int] = dataclasses.field(default_factory=list)
    status: str = "ok"
    """``ok``, ``not available`` or ``failed: ...``."""

    @property
    def median(self) -> float | None:
        """Median wall time in seconds, None when nothing ran."""
        return statistics.median(self.times) if self.times else None

    @property
    def cpu_median(self) -> float | None:
        """Median CPU seconds (user + system), None when nothing ran."""
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def peak_rss_mb(self) -> float | None:
        """Largest peak RSS of the runs, in MB."""
        return max(self.rss_kb) / 1024 if self.rss_kb else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            **dataclasses.asdict(self),
            "median": self.median,
            "cpu_median": self.cpu_median,
            "peak_rss_mb": self.peak_rss_mb,
        }


#: GNU time reports the peak RSS of the command alone. ``ru_maxrss`` from ``wait4`` does
#: not: Linux carries the high-water mark of the forking parent (this script, holding
#: generated registers) across ``exec``, so small commands would show the parent's size.
GNU_TIME = Path("/usr/bin/time")


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, int, str]:
    """Run ``argv``; return wall seconds, CPU seconds, peak RSS (KiB), exit code and the end of stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as rss:
        command = list(argv)
        if GNU_TIME.exists():
            command = [str(GNU_TIME), "-f", "%M", "-o", rss.name, *command]
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode(errors="replace").strip().splitlines()
        reported = Path(rss.name).read_text().split()
    # wait4 counts the CPU time of the children a process reaped: GNU time's child, git's.
    cpu = usage.ru_utime + usage.ru_stime
    peak = int(reported[-1]) if reported and reported[-1].isdigit() else usage.ru_maxrss
    return elapsed, cpu, peak, proc.returncode, (tail[-1] if tail else "")


def measure(
    result: Result,
    cwd: Path,
    env: dict[str, str],
    repeat: int,
    budget: float,
    *,
    before_each: Callable[[], object] | None = None,
    warmup: int = 0,
    ok_codes: Sequence[int] = RAN,
) -> Result:
    """Fill ``result`` with ``repeat`` timed runs (fewer when one run exceeds ``budget``)."""
    for _ in range(warmup):
        if before_each:
            before_each()
        _, _, _, code, tail = run_once(result.argv, cwd, env)
        if code not in ok_codes:
            result.status = f"failed: exit {code}: {tail}"
            return result
    for _ in range(repeat):
        if before_each:
            before_each()
        elapsed, cpu, rss, code, tail = run_once(result.argv, cwd, env)
        if code not in ok_codes:
            result.status = f"failed: exit {code}: {tail}"
            return result
        result.times.append(elapsed)
        result.cpu.append(cpu)
        result.rss_kb.append(rss)
        result.exit_codes.append(code)
        if elapsed > budget:
            break
    return result


# ---------------------------------------------------------------------------
# The workspace: generated registers, histories and the peers' venv
# ---------------------------------------------------------------------------


def _generator_stamp(**params: Any) -> str:
    digest = hashlib.sha256((HERE / "generate.py").read_bytes())
    digest.update(json.dumps(params, sort_keys=True).encode())
    return digest.hexdigest()


def ensure_generated(folder: Path, build: Callable[[Path], object], **params: Any) -> Path:
    """Build ``folder`` unless it was built by this generator with these parameters."""
    stamp_file = folder / ".bench-stamp"
    stamp = _generator_stamp(**params)
    if stamp_file.is_file() and stamp_file.read_text() == stamp:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    build(folder)
    stamp_file.write_text(stamp)
    (folder / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (folder / ".git" / "info" / "exclude").write_text(".bench-stamp\n")
    return folder


def ensure_peers(work: Path, log: Callable[[str], None]) -> dict[str, Path]:
    """Executables of the peers, installed on demand into their own venv."""
    venv = work / "peers-venv"
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    wanted = {name: bin_dir / name for name in PEERS}
    if all(p.exists() for p in wanted.values()):
        return wanted
    log(f"installing {', '.join(PEERS)} into {venv} (once) ...")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *PEERS],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"could not install {', '.join(PEERS)}:\n{done.stderr}")
    return wanted


def peer_versions(peers: dict[str, Path]) -> dict[str, str]:
    """``--version`` of each peer."""
    versions = {}
    for name, exe in peers.items():
        done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
        versions[name] = (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"
    return versions


# ---------------------------------------------------------------------------
# What bafctl offers (commands land while the benchmark is written)
# ---------------------------------------------------------------------------


class Bafctl:
    """The bafctl under test: its executable, environment and the commands it has."""

    def __init__(self, exe: Path, env: dict[str, str]) -> None:
        self.exe = exe
        # The console script beside this Python (a venv), else `python -m bafctl`.
        self.command = [str(exe)] if exe.exists() else [sys.executable, "-m", "bafctl"]
        self.env = env
        self._help: dict[str, str | None] = {}

    def help(self, command: str) -> str | None:
        """The plain ``--help`` text of ``command``, None when bafctl has no such command."""
        if command not in self._help:
            env = {**self.env, "TYPER_USE_RICH": "0", "COLUMNS": "200"}
            done = subprocess.run(
                [*self.command, command, "--help"], capture_output=True, text=True, env=env, check=False
            )
            self._help[command] = done.stdout if done.returncode == 0 else None
        return self._help[command]

    def has(self, command: str) -> bool:
        """True when bafctl has ``command``."""
        return self.help(command) is not None

    def has_option(self, command: str, option: str) -> bool:
        """True when ``command --help`` lists ``option``."""
        text = self.help(command)
        return text is not None and re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None

    def version(self) -> str:
        """``bafctl --version``."""
        done = subprocess.run([*self.command, "--version"], capture_output=True, text=True, env=self.env, check=False)
        return done.stdout.strip()


# ---------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------


def snapshot(revision: str, work: Path) -> tuple[Path, str]:
    """Extract ``src/`` of ``revision`` (committed files only) and return it with a label."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    target = work / f"snapshot-{commit[:12]}"
    if not (target / "src" / "bafctl" / "cli.py").is_file():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit, "src"], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src", f"commit {commit[:12]} ({revision})"


def describe_machine(bafctl: Bafctl) -> dict[str, str]:
    """nproc, CPU model, memory, OS, Python, bafctl and git versions, and the tree's commit."""
    cpu = "?"
    if Path("/proc/cpuinfo").exists():
        models = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = models[0].split(":", 1)[1].strip() if models else "?"
    memory = "?"
    if Path("/proc/meminfo").exists():
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "bafctl": bafctl.version(),
        "git": git_version,
        "tree": commit or "?",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # Shared machines: the load average says how much the wall times can be trusted.
        "load average at end (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class Options:
    """Parsed command-line options."""

    sizes: list[int]
    kinds: list[str]
    repeat: int
    budget: float
    peers: bool
    peer_max: int
    history_risks: int
    history_commits: int
    work: Path
    only: set[str] | None
    snapshot: str | None = None
    """A git revision to benchmark instead of the working tree (others may be mid-edit)."""


class Bench:
    """Generates the inputs and runs every measurement."""

    def __init__(self, opts: Options, log: Callable[[str], None]) -> None:
        self.opts = opts
        self.log = log
        self.work = opts.work
        self.cache_dir = self.work / "cache"
        env = {
            k: v
            for k, v in os.environ.items()
            if (not k.startswith(("GIT_", "BAFCTL_")) or k == "BAFCTL_CACHE_MAX_MB")
            # An installed package has its bytecode compiled; without it (this sandbox sets
            # PYTHONDONTWRITEBYTECODE) every run would compile bafctl's source again.
            and k not in ("PYTHONPATH", "TYPER_USE_RICH", "PYTHONDONTWRITEBYTECODE")
        }
        env.update(
            {
                "BAFCTL_TODAY": generate.AS_OF.isoformat(),
                "BAFCTL_CACHE_DIR": str(self.cache_dir),
                "NO_COLOR": "1",
                "COLUMNS": "100",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
            }
        )
        self.source = "working tree"
        if opts.snapshot:
            src, self.source = snapshot(opts.snapshot, self.work)
            # The venv's editable install is a plain path entry: PYTHONPATH comes first.
            env["PYTHONPATH"] = str(src)
        self.env = env
        self.bafctl = Bafctl(Path(sys.executable).parent / "bafctl", env)
        self.results: list[Result] = []
        self.peers: dict[str, Path] = {}

    def wanted(self, name: str) -> bool:
        """True when ``--only`` selects this measurement (by its first word)."""
        return self.opts.only is None or name.split(maxsplit=1)[0] in self.opts.only

    def add(self, result: Result) -> Result:
        """Record a result and log it."""
        self.results.append(result)
        where = f" [{result.kind} {result.size}]" if result.size else ""
        shown = f"{result.median:.3f} s" if result.median is not None else result.status
        self.log(f"  {result.name}{where}: {shown}")
        return result

    # -- inputs ---------------------------------------------------------------

    def register_repo(self, kind: str, size: int) -> Path:
        """The git repository holding the ``kind`` register of ``size`` risks (two revisions)."""
        folder = self.work / f"{kind}-{size}"
        return ensure_generated(
            folder, lambda f: generate.write_register_repo(f, size, kind), kind=kind, size=size, what="repo"
        )

    def history_repo(self) -> Path:
        """The repository with the long history."""
        risks, commits = self.opts.history_risks, self.opts.history_commits
        folder = self.work / f"history-{risks}x{commits}"
        return ensure_generated(
            folder,
            lambda f: generate.write_history_repo(f, risks, commits),
            risks=risks,
            commits=commits,
            what="history",
        )

    def clear_cache(self) -> None:
        """Empty bafctl's cache folder (for cold runs when there is no --no-cache)."""
        shutil.rmtree(self.cache_dir, ignore_errors=True)

    # -- measurements -----------------------------------------------------------

    def bafctl_argv(self, *args: str) -> list[str]:
        """The argv running bafctl."""
        return [*self.bafctl.command, *args]

    def unavailable(self, name: str, command: str, size: int | None = None, kind: str | None = None) -> Result:
        """A result for a command bafctl does not have."""
        return self.add(Result(name, [command], size, kind, status="not available"))

    def start_up(self) -> None:
        """Bare Python, --help, and the one-file check (the pre-commit case)."""
        o = self.opts
        if self.wanted("python"):
            self.add(
                measure(
                    Result("python -c pass", [sys.executable, "-c", "pass"]), REPO, self.env, max(o.repeat, 5), o.budget
                )
            )
        if self.wanted("help"):
            self.add(measure(Result("help", self.bafctl_argv("--help")), REPO, self.env, max(o.repeat, 5), o.budget))
        if self.wanted("one-file"):
            repo = self.register_repo("baf", min(o.sizes))
            first = f"risks/{generate.risk_id(1, 'baf')}.yaml"
            cold, warm = self._cold_warm_args("check")
            self.add(
                measure(
                    Result(
                        f"one-file check, cold ({min(o.sizes)}-risk register)", self.bafctl_argv("check", *cold, first)
                    ),
                    repo,
                    self.env,
                    max(o.repeat, 5),
                    o.budget,
                    before_each=None if cold else self.clear_cache,
                )
            )
            self.add(
                measure(
                    Result(
                        f"one-file check, warm ({min(o.sizes)}-risk register)", self.bafctl_argv("check", *warm, first)
                    ),
                    repo,
                    self.env,
                    max(o.repeat, 5),
                    o.budget,
                    warmup=1,
                )
            )

    def _cold_warm_args(self, command: str) -> tuple[list[str], list[str]]:
        return (["--no-cache"] if self.bafctl.has_option(command, "--no-cache") else []), []

    def per_size(self, kind: str, size: int) -> None:
        """Every per-register measurement for one register."""
        o = self.opts
        repo = self.register_repo(kind, size)
        cold_args, _ = self._cold_warm_args("check")
        if self.wanted("check"):
            self.add(
                measure(
                    Result("check cold", self.bafctl_argv("check", *cold_args, "."), size, kind),
                    repo,
                    self.env,
                    o.repeat,
                    o.budget,
                    before_each=None if cold_args else self.clear_cache,
                )
            )
            self.add(
                measure(
                    Result("check warm", self.bafctl_argv("check", "."), size, kind),
                    repo,
                    self.env,
                    o.repeat,
                    o.budget,
                    warmup=1,
                )
            )
        if kind == "baf":
            self.rescore(repo, size)
            if self.wanted("diff"):
                if self.bafctl.has("diff"):
                    self.add(
                        measure(
                            Result("diff HEAD~1 HEAD warm", self.bafctl_argv("diff", "HEAD~1", "HEAD"), size, kind),
                            repo,
                            self.env,
                            o.repeat,
                            o.budget,
                            warmup=1,
                        )
                    )
                else:
                    self.unavailable("diff HEAD~1 HEAD warm", "diff", size, kind)
            for command in ("summary", "report"):
                if not self.wanted(command):
                    continue
                if self.bafctl.has(command):
                    extra: list[str] = []
                    if self.bafctl.has_option(command, "--output"):  # report writes a file (HTML by default)
                        extra = ["--output", str(self.work / f"{command}-{kind}-{size}.html")]
                    self.add(
                        measure(
                            Result(command, self.bafctl_argv(command, ".", *extra), size, kind),
                            repo,
                            self.env,
                            o.repeat,
                            o.budget,
                        )
                    )
                else:
                    self.unavailable(command, command, size, kind)
        if o.peers and size <= o.peer_max:
            self.run_peers(repo, kind, size)

    def rescore(self, repo: Path, size: int) -> None:
        """``rescore`` of one risk: --dry-run, and for real on a copy of the file."""
        o = self.opts
        if not self.wanted("rescore"):
            return
        if not self.bafctl.has("rescore"):
            self.unavailable("rescore --dry-run", "rescore", size, "baf")
            self.unavailable("rescore", "rescore", size, "baf")
            return
        rid = generate.risk_id(1, "baf")
        risk = generate.make_risk(1, "baf", size)
        consequence = risk["assessments"]["current"]["consequence"]
        current = risk["assessments"]["current"]["likelihood"]
        likelihood = current + 1 if current < 5 else current - 1  # a real change: the file is written
        args = ["rescore", rid, ".", "--current", f"{consequence}x{likelihood}", "--on", generate.AS_OF.isoformat()]
        self.add(
            measure(
                Result("rescore --dry-run", self.bafctl_argv(*args, "--dry-run"), size, "baf"),
                repo,
                self.env,
                o.repeat,
                o.budget,
            )
        )
        # For real on a copy of the register, restored before each run so every run writes.
        with tempfile.TemporaryDirectory(prefix="bafctl-bench-") as tmp:
            copy = Path(tmp) / "register"
            shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git"))
            target = copy / "risks" / f"{rid}.yaml"
            original = target.read_bytes()
            self.add(
                measure(
                    Result("rescore", self.bafctl_argv(*args), size, "baf"),
                    copy,
                    self.env,
                    o.repeat,
                    o.budget,
                    before_each=lambda: target.write_bytes(original),
                )
            )

    def history(self) -> None:
        """``history`` of one risk over the long history."""
        o = self.opts
        if not self.wanted("history"):
            return
        name = f"history, {o.history_commits} commits of {o.history_risks} risks"
        if not self.bafctl.has("history"):
            self.unavailable(name, "history")
            return
        repo = self.history_repo()
        rid = generate.risk_id(7, "baf")
        self.add(measure(Result(name, self.bafctl_argv("history", rid)), repo, self.env, o.repeat, o.budget, warmup=1))

    def run_peers(self, repo: Path, kind: str, size: int) -> None:
        """check-jsonschema and yamllint on the same risk files."""
        o = self.opts
        if not self.peers:
            self.peers = ensure_peers(self.work, self.log)
        schema = self.work / "risk.schema.json"
        if not schema.exists() or schema.stat().st_mtime < time.time() - 3600:
            done = subprocess.run(
                self.bafctl_argv("schema", "risk"), capture_output=True, env=self.env, check=True, cwd=REPO
            )
            schema.write_bytes(done.stdout)
        files = sorted(str(p.relative_to(repo)) for p in (repo / "risks").glob("*.yaml"))
        if self.wanted("check-jsonschema"):
            argv = [str(self.peers["check-jsonschema"]), "--schemafile", str(schema), *files]
            self.add(measure(Result("check-jsonschema", argv, size, kind), repo, self.env, o.repeat, o.budget))
        if self.wanted("yamllint"):
            argv = [str(self.peers["yamllint"]), "risks"]
            self.add(measure(Result("yamllint", argv, size, kind), repo, self.env, o.repeat, o.budget))

    def run(self) -> None:
        """Generate everything, then measure everything."""
        o = self.opts
        self.work.mkdir(parents=True, exist_ok=True)
        self.log("generating inputs (reused when unchanged) ...")
        for kind in o.kinds:
            for size in o.sizes:
                self.register_repo(kind, size)
        if self.wanted("history"):
            self.history_repo()
        self.log("measuring ...")
        self.start_up()
        self.history()
        for kind in o.kinds:
            for size in o.sizes:
                self.per_size(kind, size)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _cell(result: Result | None) -> str:
    if result is None:
        return ""
    if result.median is None:
        return result.status.split(":")[0] if result.status.startswith("failed") else result.status
    return f"{_fmt(result.median)} (cpu {_fmt(result.cpu_median)}, {result.peak_rss_mb:.0f} MB, n={len(result.times)})"


def find(results: list[Result], name: str, kind: str | None = None, size: int | None = None) -> Result | None:
    """The result with this name (and kind and size)."""
    for result in results:
        if result.name == name and result.kind == kind and result.size == size:
            return result
    return None


def _startswith(results: list[Result], prefix: str) -> Result | None:
    return next((r for r in results if r.name.startswith(prefix)), None)


Row = tuple[str, str, str, str]
"""A target row: the target, what was measured, the verdict on wall time, the verdict on CPU time."""


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("pass" if ok else "**fail**")


def targets(results: list[Result], sizes: list[int]) -> list[Row]:
    """The targets of issue 7, judged on wall time (the target) and on CPU time.

    On a busy shared machine the wall time of a child includes time spent waiting for a
    core; its user + system CPU time does not, so both verdicts are given.
    """
    rows: list[Row] = []

    def at_most(label: str, result: Result | None, limit: float, offset: Result | None = None) -> None:
        wall, cpu = (result.median, result.cpu_median) if result else (None, None)
        if wall is None or cpu is None:
            rows.append((label, result.status if result else "–", _verdict(None), _verdict(None)))
            return
        base_wall = offset.median or 0.0 if offset else 0.0
        base_cpu = offset.cpu_median or 0.0 if offset else 0.0
        shown = f"{_fmt(wall)} (cpu {_fmt(cpu)})"
        if offset:
            shown += f"; over bare Python: {_fmt(wall - base_wall)} (cpu {_fmt(cpu - base_cpu)})"
        rows.append((label, shown, _verdict(wall - base_wall <= limit), _verdict(cpu - base_cpu <= limit)))

    def ratio(label: str, ours: Result | None, theirs: Result | None, limit: float) -> None:
        if not (ours and theirs and ours.median and theirs.median and ours.cpu_median and theirs.cpu_median):
            rows.append((label, "–", _verdict(None), _verdict(None)))
            return
        wall, cpu = ours.median / theirs.median, ours.cpu_median / theirs.cpu_median
        rows.append((label, f"{wall:.2f}× (cpu {cpu:.2f}×)", _verdict(wall <= limit), _verdict(cpu <= limit)))

    big = 5000
    at_most("check of 5,000 BAF risks, cold: ≤ 5 s", find(results, "check cold", "baf", big), 5.0)
    at_most("check of 5,000 BAF risks, warm: ≤ 1 s", find(results, "check warm", "baf", big), 1.0)
    ratio(
        "check cold ≤ ⅓ of check-jsonschema (5,000)",
        find(results, "check cold", "baf", big),
        find(results, "check-jsonschema", "baf", big),
        1 / 3,
    )
    at_most("one-file check (pre-commit case, warm): ≤ 250 ms", _startswith(results, "one-file check, warm"), 0.25)
    at_most("`bafctl --help`: ≤ 150 ms over bare Python", find(results, "help"), 0.150, _startswith(results, "python"))
    at_most("history over 1,000 commits of 200 risks: ≤ 1 s", find(results, HISTORY_TARGET_NAME), 1.0)
    at_most(
        "diff of two revisions of 5,000 risks, warm: ≤ 2 s", find(results, "diff HEAD~1 HEAD warm", "baf", big), 2.0
    )
    mem = [
        r.peak_rss_mb
        for r in results
        if r.size == big and r.kind == "baf" and r.name.split()[0] in BAFCTL_COMMANDS and r.peak_rss_mb
    ]
    verdict = _verdict(None if not mem else max(mem) <= 500)
    rows.append(
        (
            "peak memory, any bafctl command on 5,000 risks: ≤ 500 MB",
            f"{max(mem):.0f} MB" if mem else "–",
            verdict,
            verdict,
        )
    )
    for kind in ("baf", "ops"):
        for small, large in itertools.pairwise(sorted(sizes)):
            a, b = find(results, "check cold", kind, small), find(results, "check cold", kind, large)
            if not (a and b and a.median and b.median and a.cpu_median and b.cpu_median):
                continue
            factor = large / small
            wall, cpu = b.median / a.median, b.cpu_median / a.cpu_median
            limit = 1.1 * factor
            rows.append(
                (
                    f"growth, check cold {kind} {small:,} → {large:,} ({factor:g}× risks): ≤ {limit:g}×",
                    f"{wall:.2f}× (cpu {cpu:.2f}×)",
                    _verdict(wall <= limit),
                    _verdict(cpu <= limit),
                )
            )
    return rows


def report(results: list[Result], opts: Options, machine: dict[str, str], peers: dict[str, str]) -> str:
    """The whole report as Markdown."""
    lines = ["## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += [f"- {name}: {version}" for name, version in peers.items()]
    lines += [
        "",
        "## Start-up and history (whole process, medians)",
        "",
        "| command | wall median (CPU median, peak RSS, runs) |",
        "| --- | --- |",
    ]
    for result in results:
        if result.size is None:
            lines.append(f"| `{result.name}` | {_cell(result)} |")
    for kind in opts.kinds:
        sizes = list(opts.sizes)
        names = list(dict.fromkeys(r.name for r in results if r.kind == kind))
        if not names:
            continue
        label = "BAF-sized risks (~7 KB)" if kind == "baf" else "operational-register risks (~1.5 KB)"
        lines += ["", f"## {label}: wall medians (CPU median, peak RSS, runs)", ""]
        lines.append("| command | " + " | ".join(f"{s:,} risks" for s in sizes) + " |")
        lines.append("| --- |" + " --- |" * len(sizes))
        for name in names:
            cells = [_cell(find(results, name, kind, s)) for s in sizes]
            lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
        ratio_rows = []
        for peer in PEERS:
            cells = []
            for size in sizes:
                ours, theirs = find(results, "check cold", kind, size), find(results, peer, kind, size)
                if ours and theirs and ours.median and theirs.median:
                    cells.append(f"{ours.median / theirs.median:.2f}× ({theirs.median / ours.median:.1f}× faster)")
                else:
                    cells.append("–")
            if any(c != "–" for c in cells):
                ratio_rows.append(f"| `check cold` / `{peer}` | " + " | ".join(cells) + " |")
        if ratio_rows:
            lines += ["", f"Ratios ({label}): bafctl's time over the peer's.", ""]
            lines.append("| ratio | " + " | ".join(f"{s:,}" for s in sizes) + " |")
            lines.append("| --- |" + " --- |" * len(sizes))
            lines += ratio_rows
    lines += [
        "",
        "## Targets (issue 7)",
        "",
        "| target | measured: wall (CPU) | verdict on wall time | verdict on CPU time |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in targets(results, opts.sizes)]
    failed = [r for r in results if r.status.startswith("failed")]
    if failed:
        lines += ["", "## Failed runs", ""]
        lines += [f"- `{r.name}` [{r.kind} {r.size}]: {r.status}" for r in failed]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, Path | None]:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Benchmark bafctl on generated registers against check-jsonschema and yamllint.",
    )
    parser.add_argument("--sizes", help="comma-separated register sizes (default 50,500,5000,20000)")
    parser.add_argument("--kinds", default=",".join(generate.KINDS), help="baf, ops or both (default baf,ops)")
    parser.add_argument("--repeat", type=int, help="timed runs per measurement (default 5; --quick 1)")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="a run longer than this many seconds is not repeated (default 30)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: sizes 5,50, one run, short history")
    parser.add_argument("--no-peers", dest="peers", action="store_false", help="skip check-jsonschema and yamllint")
    parser.add_argument(
        "--peer-max", type=int, default=5000, help="largest size the peers are run on (default 5000: yamllint is slow)"
    )
    parser.add_argument("--history", default=None, help="RISKSxCOMMITS of the history repository (default 200x1000)")
    parser.add_argument("--only", help="comma-separated measurements to run, by first word (e.g. check,help)")
    parser.add_argument("--work", type=Path, default=HERE / "work", help="where inputs are generated")
    parser.add_argument("--json", type=Path, help="also write every run as JSON to this file")
    parser.add_argument(
        "--snapshot",
        metavar="REV",
        help="benchmark bafctl as committed at REV (e.g. HEAD), not the working tree with its uncommitted edits",
    )
    args = parser.parse_args(argv)
    sizes = (
        [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    )
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    for kind in kinds:
        if kind not in generate.KINDS:
            parser.error(f"unknown kind {kind!r}: use baf, ops or both")
    history = args.history or ("20x30" if args.quick else "200x1000")
    match = re.fullmatch(r"(\d+)x(\d+)", history)
    if not match:
        parser.error("--history must look like 200x1000")
    return Options(
        sizes=sorted(sizes),
        kinds=kinds,
        repeat=args.repeat or (1 if args.quick else 5),
        budget=args.budget,
        peers=args.peers,
        peer_max=args.peer_max,
        history_risks=int(match.group(1)),
        history_commits=int(match.group(2)),
        work=args.work.resolve(),
        only={w.strip() for w in args.only.split(",")} if args.only else None,
        snapshot=args.snapshot,
    ), args.json


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the Markdown report."""
    opts, json_path = parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    bench = Bench(opts, log)
    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.perf_counter()
    bench.run()
    versions = peer_versions(bench.peers) if bench.peers else {}
    machine = describe_machine(bench.bafctl)
    machine["bafctl source"] = bench.source
    machine["load average at start"] = load_before
    machine["benchmark duration"] = f"{time.perf_counter() - started:.0f} s"
    print(report(bench.results, opts, machine, versions))
    if json_path:
        payload = {
            "machine": machine,
            "peers": versions,
            "options": {**dataclasses.asdict(opts), "work": str(opts.work), "only": sorted(opts.only or [])},
            "results": [r.to_dict() for r in bench.results],
            "targets": [
                dict(zip(("target", "measured", "verdict_wall", "verdict_cpu"), row, strict=True))
                for row in targets(bench.results, opts.sizes)
            ],
        }
        json_path.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
