#!/usr/bin/env python3
"""Benchmark: building many overlays at once, cold and warm.

Generates the bench_build tree of N apps (default 100) with M overlays (default 50) over
one base, each with its own namespace, prefix and patches. Times:
  - `kubectl kustomize` run once per overlay (M processes, one after another),
  - `kcompile build overlays/*` with empty caches (cold),
  - warm: nothing changed; one overlay's file touched (mtime only); the first overlay's
    patch edited; the last overlay's patch edited (every other overlay from the cache).
Each for stdout and for ``-o rendered/``. Prints the ratios. Targets: cold kcompile / M
kustomize runs <= 0.2; warm <= 0.05 of cold.

Usage: python bench/bench_multi.py [--n 100] [--overlays 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import generate_tree, kcompile_cmd, reference_tools  # noqa: E402


def make_overlays(root: Path, n: int, m: int) -> list[str]:
    first = generate_tree(n, root)
    text = (first / "kustomization.yaml").read_text()
    names = []
    for i in range(m):
        d = root / "overlays" / f"env{i:02d}"
        if d != first:
            shutil.copytree(first, d, dirs_exist_ok=True)
        (d / "kustomization.yaml").write_text(text.replace("namespace: bench", f"namespace: env{i:02d}"))
        names.append(str(d.relative_to(root)))
    shutil.rmtree(first)
    return names


_ONE_BUILD = """
import os, sys
from kcompile.build import build
from kcompile.output.emit import render
result = build(sys.argv[1])
os.write(1, render([r.body for r in result.resources]).encode())
"""


def timed(cmd: list[str], cwd: Path, cache_dir: Path | None = None) -> float:
    """Seconds one process takes; ``cache_dir`` becomes its KCOMPILE_CACHE_DIR."""
    env = None if cache_dir is None else dict(os.environ, KCOMPILE_CACHE_DIR=str(cache_dir))
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.decode())
    return time.perf_counter() - start


def edit(path: Path, k: int) -> None:
    """Change one patch's content (a new replica count each time)."""
    text = path.read_text()
    start = text.index("replicas: ") + len("replicas: ")
    end = text.index("\n", start)
    path.write_text(text[:start] + str(10 + k) + text[end:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--overlays", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5, help="runs per warm figure (median); cold: max(3, runs // 2)")
    args = ap.parse_args()
    kubectl = reference_tools().kubectl
    tmp = Path(tempfile.mkdtemp(prefix="kcompile-multi-"))
    # Caches outside the measured tree, one fresh directory per cold run (never the user's).
    caches = Path(tempfile.mkdtemp(prefix="kcompile-multi-caches-"))
    median = statistics.median
    try:
        overlays = make_overlays(tmp, args.n, args.overlays)
        t_ku = sum(timed([str(kubectl), "kustomize", o], tmp) for o in overlays)
        print(f"{args.overlays} overlays of N={args.n} (medians of {args.runs} runs; cold of {max(3, args.runs // 2)}):")
        print(f"  kubectl kustomize x{args.overlays} (stdout): {t_ku:.2f}s")
        first = tmp / overlays[0] / "patches" / "app0000.yaml"
        last = tmp / overlays[-1] / "patches" / "app0000.yaml"
        for label, to_dir in (("stdout", False), ("-o rendered/", True)):
            colds = []
            for k in range(max(3, args.runs // 2)):
                # A new output directory for each cold run: deleting the last run's 15,000
                # files just before creating as many makes this machine's disk stall for
                # seconds. A new, empty cache directory too: caches live in the user's cache
                # directory (KCOMPILE_CACHE_DIR), not in the tree, so only this makes a run cold.
                extra = ["-o", f"rendered{k}/"] if to_dir else []
                cmd = kcompile_cmd() + ["build", *overlays, "--no-validate", *extra]
                cache = caches / f"{'dir' if to_dir else 'stdout'}-{k}"
                colds.append(timed(cmd, tmp, cache))
            t_cold = median(colds)
            # The warm runs reuse the last cold run's cache.
            cached = median([timed(cmd, tmp, cache) for _ in range(args.runs)])
            touched = []
            for k in range(args.runs):
                os.utime(first)  # mtime only: the content digest still matches
                touched.append(timed(cmd, tmp, cache))
            first_edits = []
            for k in range(args.runs):
                edit(first, k)
                first_edits.append(timed(cmd, tmp, cache))
            last_edits = []
            for k in range(args.runs):
                edit(last, k)
                last_edits.append(timed(cmd, tmp, cache))
            print(f"  kcompile build overlays/* ({label}), cold caches: {t_cold:.3f}s  "
                  f"ratio {t_cold / t_ku:.3f} (target <= 0.2)")
            if not to_dir:
                # The least a rebuild after an edit can cost: a fresh interpreter building
                # only the edited overlay (parse cache warm), no CLI, no cache checks.
                floor = median([timed([sys.executable, "-c", _ONE_BUILD, overlays[0]], tmp, cache)
                                for _ in range(args.runs)])
                print(f"    floor: a bare process building only the edited overlay: {floor:.3f}s "
                      f"= {floor / t_cold:.3f} of cold")
            for what, times in (("nothing changed", [cached]), ("one overlay's file touched (mtime)", touched),
                                ("first overlay edited", first_edits), ("last overlay edited", last_edits)):
                t = median(times)
                print(f"    warm, {what}: {t:.3f}s = {t / t_cold:.3f} of cold (target <= 0.05)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(caches, ignore_errors=True)


if __name__ == "__main__":
    main()
