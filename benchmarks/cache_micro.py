"""Micro-benchmark of bafctl.cache: cold vs warm cost per risk, per-entry files vs packs.

The value cached per risk file here is ``(LazyModel, findings)``: the model kept as its
JSON until read, as :func:`bafctl.loader.load_workspace` caches it (plain data under an
HMAC, never a pickle; positions are not cached: the loader rebuilds them from the file's
bytes when a finding needs one).

    python benchmarks/cache_micro.py --count 5000 [--json out.json]

It prints per-risk costs (medians of ``--repeat`` runs) and one whole-process figure:
a fresh Python that imports bafctl, reads every file, and takes every risk from the
pack (what a warm ``bafctl check`` would do before its rules run).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - the sibling module, after the path is set

CONTEXT = "risk"


def _read(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "risks").glob("*.yaml"))}


def _cold(data: bytes) -> Any:
    from bafctl.cache import LazyModel
    from bafctl.models import Risk
    from bafctl.yamlio import parse_yaml

    parsed = parse_yaml(data)
    risk = Risk.model_validate(parsed.value)
    return (LazyModel.of(risk), [])


def _timed(fn: Callable[[], object], repeat: int, *, gc_off: bool) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        if gc_off:
            gc.disable()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        gc.enable()
    return statistics.median(times)


def measure(folder: Path, cache_dir: Path, repeat: int) -> dict[str, Any]:  # noqa: C901 - one closure a figure
    """Per-risk costs in microseconds for the register in ``folder``."""
    from bafctl.cache import ValidationCache, code_fingerprint

    files = _read(folder)
    count = len(files)
    results: dict[str, Any] = {"risks": count, "bytes_per_risk": sum(map(len, files.values())) / count}
    values: dict[str, Any] = {}

    def cold() -> None:
        for name, data in files.items():
            values[name] = _cold(data)

    for label in ("gc on", "gc off"):
        results[f"cold parse+validate ({label})"] = _timed(cold, 1, gc_off=label == "gc off") / count * 1e6

    shutil.rmtree(cache_dir, ignore_errors=True)
    cache: ValidationCache[Any] = ValidationCache(cache_dir, fingerprint=code_fingerprint())

    def put_entries() -> None:
        for name, data in files.items():
            cache.put(data, CONTEXT, values[name])

    results["put, one file per entry"] = _timed(put_entries, 1, gc_off=True) / count * 1e6

    def get_entries() -> None:
        for data in files.values():
            assert cache.get(data, CONTEXT) is not None

    def put_pack() -> None:
        with cache.pack(str(folder)) as pack:
            for name, data in files.items():
                pack.put(data, CONTEXT, values[name])

    results["put, one pack"] = _timed(put_pack, 1, gc_off=True) / count * 1e6

    def get_pack() -> None:
        with cache.pack(str(folder)) as pack:
            for data in files.values():
                assert pack.get(data, CONTEXT) is not None

    def read_only() -> None:
        _read(folder)

    def read_and_get_pack() -> None:
        fresh = _read(folder)
        with cache.pack(str(folder)) as pack:
            for data in fresh.values():
                assert pack.get(data, CONTEXT) is not None

    for label in ("gc on", "gc off"):
        off = label == "gc off"
        results[f"warm get, one file per entry ({label})"] = _timed(get_entries, repeat, gc_off=off) / count * 1e6
        results[f"warm get, one pack ({label})"] = _timed(get_pack, repeat, gc_off=off) / count * 1e6
    results["read the files only"] = _timed(read_only, repeat, gc_off=True) / count * 1e6
    results["read the files + warm get from the pack (gc off)"] = (
        _timed(read_and_get_pack, repeat, gc_off=True) / count * 1e6
    )
    results["cache size, MB"] = cache.size() / 1e6
    results["whole process, warm load from the pack, s"] = whole_process(folder, cache_dir, repeat)
    return results


_CHILD = """
import gc, sys
from pathlib import Path
gc.disable()
from bafctl.cache import ValidationCache
from bafctl.models import Risk  # what the loader imports anyway
folder = Path(sys.argv[1])
files = {p.name: p.read_bytes() for p in sorted((folder / "risks").glob("*.yaml"))}
# The parent's fingerprint: the package source may change while the benchmark runs.
with ValidationCache(Path(sys.argv[2]), fingerprint=sys.argv[3]).pack(str(folder)) as pack:
    risks = [pack.get(data, "risk") for data in files.values()]
assert all(r is not None for r in risks), "cache miss in the warm child"
"""


def whole_process(folder: Path, cache_dir: Path, repeat: int) -> float:
    """Median wall time of a fresh interpreter that loads every risk from the pack."""
    from bafctl.cache import code_fingerprint

    times = []
    for _ in range(max(3, repeat)):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", _CHILD, str(folder), str(cache_dir), code_fingerprint()], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Run the micro-benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="risks in the register (default 5000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each warm measurement")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--work", type=Path, default=HERE / "work", help="where to generate (default benchmarks/work)")
    args = parser.parse_args(argv)
    folder = args.work / f"micro-baf-{args.count}"
    if not (folder / "register.yaml").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        generate.write_register(folder, args.count, "baf")
    with tempfile.TemporaryDirectory(prefix="bafctl-cache-micro-") as tmp:
        results = measure(folder, Path(tmp) / "cache", args.repeat)
    print(f"Cache micro-benchmark: {results['risks']} BAF-sized risks, {results['bytes_per_risk']:.0f} bytes each")
    print()
    print("| what | per risk |")
    print("| --- | --- |")
    for name, value in results.items():
        if name in ("risks", "bytes_per_risk") or ("," in name and name.endswith(("MB", "s"))):
            continue
        print(f"| {name} | {value:,.0f} µs |")
    print(f"| cache size | {results['cache size, MB']:.1f} MB |")
    print(
        f"| whole process: start, import, read {results['risks']} files, take every risk from the pack "
        f"| {results['whole process, warm load from the pack, s']:.2f} s (total) |"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
