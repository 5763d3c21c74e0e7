#!/usr/bin/env python3
"""Benchmark: the default `kcompile build` (validation on) against `kubectl kustomize`,
side by side, on a small, a medium and a large tree.

Validation has a fixed start-up cost (schemas); this shows it no longer makes the
default build slower than Kustomize on small overlays. Each size is timed as whole
processes, alternating, medians printed. kcompile runs with --no-cache (cold: every
file parsed, every object validated) and with its caches (warm).

Usage: python bench/bench_default_build.py [--runs 11] [--sizes 3 100 1000] [--shape patches]

``--shape plain`` (no per-app patches) is for the 5-12 MB trees (``--sizes 5000 12000``):
with one patch per app Kustomize needs hours there. Trees of 1000 apps or more are timed
once per tool (Kustomize takes minutes on them).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import ALL_SHAPES, alternating_medians, generate_tree, kcompile_cmd, run_timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.reference import reference_tools  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--sizes", type=int, nargs="+", default=[3, 100, 1000])
    ap.add_argument("--shape", choices=ALL_SHAPES, default="patches")
    args = ap.parse_args()
    kubectl = reference_tools().kubectl
    print(f"{'apps':>6} {'size':>8} {'kustomize':>10} {'kc cold':>9} {'kc warm':>9} {'cold/ku':>8} {'warm/ku':>8}")
    for n in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-default-{n}-"))
        try:
            overlay = generate_tree(n, tmp, args.shape)
            size = sum(f.stat().st_size for f in tmp.rglob("*.yaml"))
            size_text = f"{size / 1024:>6.0f}kB" if size < 1024 * 1024 else f"{size / 1024 / 1024:>6.1f}MB"
            kc = kcompile_cmd() + ["build", str(overlay)]
            ku = [str(kubectl), "kustomize", str(overlay)]
            run_timed(kc, tmp)  # fills the caches; fails loudly if validation finds an error
            runs = args.runs if n < 1000 else 1
            t_ku, t_cold, t_warm = alternating_medians([ku, kc + ["--no-cache"], kc], runs, tmp)
            print(f"{n:>6} {size_text} {t_ku:>9.3f}s {t_cold:>8.3f}s {t_warm:>8.3f}s"
                  f" {t_cold / t_ku:>8.2f} {t_warm / t_ku:>8.2f}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("target: cold/ku <= 1.0 at every size (validation included)")


if __name__ == "__main__":
    main()
