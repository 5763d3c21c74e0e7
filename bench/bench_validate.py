#!/usr/bin/env python3
"""Benchmark: what validation adds to a build, on the bench_build tree of N apps.

Times, as whole processes, alternating: `kcompile build --no-validate` (build and
print), `kcompile build` (build, validate, print) and `kcompile validate` (build and
validate, prints no manifests); prints medians and the ratios to the unvalidated build,
then validate() in one process split into schemas and apply-time checks.
Target: validation adds at most 50% to the build time at N=1000.

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


def in_process_breakdown(overlay: Path) -> str:
    """validate() split into schema and apply-time checks (median of 5, one process)."""
    import statistics
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from kcompile.build import build
    from kcompile.validate import validate
    from kcompile.validate.checks import semantic_checks
    from kcompile.validate.schemas import schema_findings

    resources = build(str(overlay)).resources

    def median(fn) -> float:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1000

    total = median(lambda: validate(resources))
    schemas = median(lambda: schema_findings(resources, None, None))
    checks = median(lambda: semantic_checks(resources))
    return (f"validate() {total:.0f} ms for {len(resources)} objects "
            f"(schemas {schemas:.0f} ms, apply-time checks {checks:.0f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"{'N':>6} {'build --no-validate':>20} {'build':>17} {'validate':>17}")
    for n in args.n:
        tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-validate-{n}-"))
        try:
            overlay = generate_tree(n, tmp)
            # --no-cache on both: an unchanged build is otherwise answered from the
            # build-output cache, and the comparison would be with a cache lookup.
            b = kcompile_cmd() + ["build", str(overlay), "--no-validate", "--no-cache"]
            bv = kcompile_cmd() + ["build", str(overlay), "--no-cache"]
            v = kcompile_cmd() + ["validate", str(overlay), "--no-cache"]
            run_timed(v, tmp)  # warm the OS file cache and the schema index
            mb, mbv, mv = alternating_medians([b, bv, v], args.runs, tmp)
            print(f"{n:>6} {mb:>19.3f}s {mbv:>7.3f}s (x{mbv / mb:.2f}) {mv:>7.3f}s (x{mv / mb:.2f})", flush=True)
            print("       in-process: " + in_process_breakdown(overlay), flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("target: validation adds at most 50% at N=1000")


if __name__ == "__main__":
    main()
