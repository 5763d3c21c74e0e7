#!/usr/bin/env python3
"""Benchmark: `kcompile plan` vs `kcompile build` on the bench_build tree of N apps,
with a revision applied and then 10% of the apps changed (image and replicas).

Prints medians of both as whole processes and the ratio plan/build. Target: plan takes at
most 2x the build time at N=1000.

Usage: python bench/bench_plan.py [--n 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import generate_tree, kcompile_cmd, run_timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"{'N':>6} {'build':>9} {'plan':>9} {'plan/build':>11} {'changes':>8}")
    for n in args.n:
        tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-plan-{n}-"))
        try:
            overlay = generate_tree(n, tmp)
            state = tmp / "state.db"
            kc = kcompile_cmd()
            run_timed(kc + ["apply", str(overlay), "--state", str(state), "--no-validate"], tmp)
            for i in range(0, n, 10):  # 10% of the apps change
                p = overlay / "patches" / f"app{i:04d}.yaml"
                p.write_text(p.read_text().replace("replicas: 3", "replicas: 4").replace("value: bench", "value: changed"))
            b = kc + ["build", str(overlay), "--no-validate"]
            pl = kc + ["plan", str(overlay), "--state", str(state), "--no-validate", "--format", "json"]
            _, _, out = run_timed(pl, tmp)
            import json

            changes = len(json.loads(out)["changes"])
            tb, tp = [], []
            for _ in range(args.runs):
                tb.append(run_timed(b, tmp)[0])
                tp.append(run_timed(pl, tmp)[0])
            mb, mp = statistics.median(tb), statistics.median(tp)
            print(f"{n:>6} {mb:>8.3f}s {mp:>8.3f}s {mp / mb:>11.2f} {changes:>8}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("target: plan <= 2x build at N=1000")


if __name__ == "__main__":
    main()
