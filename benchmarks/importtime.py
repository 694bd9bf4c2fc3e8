"""What bafctl's start-up spends its time importing, and who imports it.

    python benchmarks/importtime.py                       # --help and a one-file check
    python benchmarks/importtime.py -- check --help       # any bafctl arguments

Runs ``python -X importtime -m bafctl ARGS`` several times and prints, as Markdown, the
median self time of every top-level package (summed over its modules) with the module
that first imported it: the list of what to make lazy.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - the sibling module, after the path is set

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


@dataclass
class Import:
    """One line of ``-X importtime``."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None


def parse(stderr: str) -> list[Import]:
    """The imports of one run, each with the module that imported it."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match:
            rows.append((match.group(4), int(match.group(1)), int(match.group(2)), len(match.group(3)) // 2))
    # importtime prints children before their parent; the parent is the next line
    # with a smaller depth.
    imports: list[Import] = []
    for index, (module, self_us, cumulative, depth) in enumerate(rows):
        parent = next((m for m, _, _, d in rows[index + 1 :] if d < depth), None)
        imports.append(Import(module, self_us, cumulative, depth, parent))
    return imports


def run(args: list[str], cwd: Path, repeat: int) -> tuple[list[list[Import]], list[float]]:
    """``repeat`` runs of ``python -X importtime -m bafctl ARGS``: imports and wall times."""
    runs: list[list[Import]] = []
    walls: list[float] = []
    env = {**os.environ, "BAFCTL_TODAY": generate.AS_OF.isoformat(), "NO_COLOR": "1"}
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "bafctl", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        runs.append(parse(done.stderr))
    return runs, walls


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def summarise(runs: list[list[Import]], walls: list[float], title: str, limit: int) -> str:
    """A Markdown section: wall time, import time, and the heaviest packages."""
    per_package: dict[str, list[float]] = defaultdict(list)
    first_by: dict[str, str] = {}
    totals = []
    for imports in runs:
        sums: dict[str, float] = defaultdict(float)
        for item in imports:
            sums[_top(item.module)] += item.self_us / 1000
            # The first importer outside the package itself: where laziness has to start.
            top = _top(item.module)
            if item.parent is not None and _top(item.parent) != top and top not in first_by:
                first_by[top] = item.parent
        for package, ms in sums.items():
            per_package[package].append(ms)
        totals.append(sum(i.self_us for i in imports) / 1000)
    lines = [
        f"### `bafctl {title}`",
        "",
        f"Wall time {statistics.median(walls) * 1000:.0f} ms with `-X importtime` (which adds overhead); "
        f"imports {statistics.median(totals):.0f} ms (medians of {len(runs)} runs).",
        "",
        "| package | self time of its modules (ms) | first imported by |",
        "| --- | --- | --- |",
    ]
    ranked = sorted(per_package.items(), key=lambda kv: -statistics.median(kv[1]))
    for package, values in ranked[:limit]:
        lines.append(f"| `{package}` | {statistics.median(values):.1f} | `{first_by.get(package, '(top level)')}` |")
    bafctl_modules = sorted(
        {(i.module, i.cumulative_us) for i in runs[-1] if i.module.startswith("bafctl")}, key=lambda mc: -mc[1]
    )
    lines += ["", "bafctl modules by cumulative import time (last run):", ""]
    lines += [f"- `{module}`: {cumulative / 1000:.1f} ms" for module, cumulative in bafctl_modules[:limit]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the import-time report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--limit", type=int, default=15, help="rows per table (default 15)")
    parser.add_argument("args", nargs="*", help="bafctl arguments (default: --help, then a one-file check)")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bafctl-importtime-") as tmp:
        register = generate.write_register(Path(tmp) / "register", 12, "baf")
        plans = (
            [(opts.args, " ".join(opts.args))]
            if opts.args
            else [(["--help"], "--help"), (["check", "risks/BAF00001.yaml"], "check risks/BAF00001.yaml (12-risk BAF)")]
        )
        for args, title in plans:
            runs, walls = run(args, register, opts.repeat)
            print(summarise(runs, walls, title, opts.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
