#!/usr/bin/env python3
"""Benchmark: building many overlays at once, cold and warm.

Generates the bench_build tree of N apps (default 100) with M overlays (default 50) over
one base, each with its own namespace, prefix and patches. Times:
  - `kubectl kustomize` run once per overlay (M processes, one after another),
  - `kcompile build overlays/*` with empty caches (cold),
  - the same after touching one overlay (warm: every other overlay comes from the cache).
Prints the ratios. Targets: cold kcompile / M kustomize runs <= 0.2; warm <= 0.05 of cold.

Usage: python bench/bench_multi.py [--n 100] [--overlays 50]
"""

from __future__ import annotations

import argparse
import shutil
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


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.decode())
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--overlays", type=int, default=50)
    args = ap.parse_args()
    kubectl = reference_tools().kubectl
    tmp = Path(tempfile.mkdtemp(prefix="kcompile-multi-"))
    try:
        overlays = make_overlays(tmp, args.n, args.overlays)
        t_ku = sum(timed([str(kubectl), "kustomize", o], tmp) for o in overlays)
        print(f"{args.overlays} overlays of N={args.n}:")
        print(f"  kubectl kustomize x{args.overlays} (stdout): {t_ku:.2f}s")
        touched = tmp / overlays[0] / "patches" / "app0000.yaml"
        for label, extra in (("stdout", []), ("-o rendered/", ["-o", "rendered/"])):
            cmd = kcompile_cmd() + ["build", *overlays, "--no-validate", *extra]
            shutil.rmtree(tmp / ".kcompile" / "cache", ignore_errors=True)
            t_cold = timed(cmd, tmp)
            touched.write_text(touched.read_text().replace("replicas: 3", "replicas: 4").replace("replicas: 4\n", "replicas: 5\n", 0))
            t_warm = timed(cmd, tmp)
            touched.write_text(touched.read_text().replace("replicas: 4", "replicas: 3"))
            print(f"  kcompile build overlays/* ({label}), cold caches: {t_cold:.2f}s  "
                  f"ratio {t_cold / t_ku:.3f} (target <= 0.2)")
            print(f"  kcompile build overlays/* ({label}), one overlay touched: {t_warm:.2f}s  "
                  f"= {t_warm / t_cold:.3f} of cold (target <= 0.05)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
