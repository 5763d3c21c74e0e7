#!/usr/bin/env python3
"""Benchmark: `kcompile plan` vs `kcompile build` on the bench_build tree of N apps
(Deployment + Service + ConfigMap each), with a revision applied and then 10% of the
apps changed (replicas and a ConfigMap value, so Deployments update and hash-named
ConfigMaps are replaced).

Both run as whole processes of this worktree's kcompile (`python -m kcompile`), with the
same flags (--no-validate: validation is the same work in both and is benchmarked by
bench_validate.py); the script prints the medians, the ratio plan/build and the number
of changes. Target: plan takes at most 2x the build time at N=1000.

Then the state backends: `apply` (recording the N=1000 tree as a new revision, 3000 objects)
and `plan` (reading the latest revision back and comparing) with `--state` an SQLite file
and a PostgreSQL database on a throwaway local server (tests/pgserver.py: loopback TCP,
as a shared server would be reached). The build cache is warm (the default), so the figure
is the store's cost plus a cached build. Target: PostgreSQL <= 1.5x SQLite for both.

Usage: python bench/bench_plan.py [--n 100 1000] [--runs 5] [--backends-only]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import alternating_medians, generate_tree, run_timed  # noqa: E402

KCOMPILE = [sys.executable, "-m", "kcompile"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--backends-only", action="store_true", help="only the SQLite/PostgreSQL comparison")
    args = ap.parse_args()
    if not args.backends_only:
        plan_vs_build(args)
    backends(args)


def plan_vs_build(args) -> None:
    print(f"{'N':>6} {'build':>9} {'plan':>9} {'plan/build':>11} {'changes':>8}")
    for n in args.n:
        tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-plan-{n}-"))
        try:
            overlay = generate_tree(n, tmp)
            state = tmp / "state.db"
            run_timed(KCOMPILE + ["apply", str(overlay), "--state", str(state), "--no-validate"], tmp)
            for i in range(0, n, 10):  # 10% of the apps change
                p = overlay / "patches" / f"app{i:04d}.yaml"
                p.write_text(p.read_text().replace("replicas: 3", "replicas: 4").replace("value: bench", "value: changed"))
            # --no-cache on both: a build whose inputs did not change is answered from the
            # build-output cache, which would make "the build time" a cache lookup.
            build = KCOMPILE + ["build", str(overlay), "--no-validate", "--no-cache"]
            plan = KCOMPILE + ["plan", str(overlay), "--state", str(state), "--no-validate", "--format", "json",
                               "--no-cache"]
            changes = len(json.loads(run_timed(plan, tmp)[2])["changes"])
            mb, mp = alternating_medians([build, plan], args.runs, tmp)
            print(f"{n:>6} {mb:>8.3f}s {mp:>8.3f}s {mp / mb:>11.2f} {changes:>8}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("target: plan <= 2x build at N=1000")


def backends(args) -> None:
    import base64
    import os

    sys.path.insert(0, str(ROOT))
    from tests.pgserver import PgServer

    os.environ["KCOMPILE_STATE_KEY"] = base64.b64encode(os.urandom(32)).decode()  # same key handling for both
    server = PgServer().start()
    try:
        print(f"{'N':>6} {'':>6} {'sqlite':>9} {'postgres':>9} {'pg/sqlite':>10}")
        for n in args.n:
            tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-backends-{n}-"))
            try:
                overlay = generate_tree(n, tmp)
                stores = [str(tmp / "state.db"), server.new_database()]
                for store in stores:  # a first revision in each, and a warm build cache
                    run_timed(KCOMPILE + ["apply", str(overlay), "--state", store, "--no-validate"], tmp)
                for verb in ("apply", "plan"):
                    cmds = [KCOMPILE + [verb, str(overlay), "--state", store, "--no-validate"] for store in stores]
                    ms, mp = alternating_medians(cmds, args.runs, tmp)
                    print(f"{n:>6} {verb:>6} {ms:>8.3f}s {mp:>8.3f}s {mp / ms:>10.2f}", flush=True)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        server.destroy()
    print("target: postgres <= 1.5x sqlite for apply and plan at N=1000")


if __name__ == "__main__":
    main()
