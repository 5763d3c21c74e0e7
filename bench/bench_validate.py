#!/usr/bin/env python3
"""Benchmark: what validation adds to a build, on the bench_build tree of N apps.

Times `kcompile build --no-validate` against `kcompile validate` (build + schemas +
apply-time checks) as whole processes, alternating, and prints medians and the ratio.
Target: validate adds at most 50% to the build time at N=1000.

Usage: python bench/bench_validate.py [--n 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import alternating_medians, generate_tree, kcompile_cmd, run_timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"{'N':>6} {'build':>9} {'validate':>9} {'added':>7}")
    for n in args.n:
        tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-validate-{n}-"))
        try:
            overlay = generate_tree(n, tmp)
            # --no-cache on both: an unchanged build is otherwise answered from the
            # build-output cache, and the comparison would be with a cache lookup.
            b = kcompile_cmd() + ["build", str(overlay), "--no-validate", "--no-cache"]
            v = kcompile_cmd() + ["validate", str(overlay), "--no-cache"]
            run_timed(v, tmp)  # warm the OS file cache and the schema index
            mb, mv = alternating_medians([b, v], args.runs, tmp)
            print(f"{n:>6} {mb:>8.3f}s {mv:>8.3f}s {100 * (mv - mb) / mb:>6.0f}%", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("target: validation adds at most 50% at N=1000")


if __name__ == "__main__":
    main()
