#!/usr/bin/env python3
"""Benchmark: `kcompile build` vs `kubectl kustomize` on generated trees of N apps.

Each app is a Deployment + Service + ConfigMap in a base, with one strategic-merge
patch per app in the overlay; the overlay sets namespace, namePrefix, labels,
commonAnnotations and images. For each N the script checks both tools produce the same
objects, then times both as whole processes, alternating, and prints medians, the
ratio kcompile/kustomize, peak memory, and kcompile's growth from N=100 to N=1000.

kcompile is timed twice: "cold" (--no-cache: every file parsed) and "warm" (its
parsed-file cache in .kcompile/cache filled, the normal case when re-building).

Usage: python bench/bench_build.py [--n 10 100 1000] [--shape patches images ...] [--runs 5] [--kustomize-runs-1000 1]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reference import reference_tools  # noqa: E402


SHAPES = ("patches", "images", "json6902", "replacements", "generators")
ALL_SHAPES = (*SHAPES, "plain")  # plain: not measured by default (see generate_tree)


def generate_tree(n: int, root: Path, shape: str = "patches") -> Path:
    """A Kustomize-compatible tree of ``n`` apps; returns the overlay directory.

    Every shape has the same base (Deployment + Service + ConfigMap per app) and an overlay
    with namespace, namePrefix, labels and commonAnnotations; what varies is the part real
    repositories grow long:

    - ``patches``: one strategic-merge patch file per app, one ``images`` entry;
    - ``images``: one ``images`` entry per 3 apps (each trio has its own image);
    - ``json6902``: one inline JSON 6902 patch per app, targeting it by name;
    - ``replacements``: one replacement per app (ConfigMap value into its Deployment's env);
    - ``generators``: one configMapGenerator per app (hash-suffixed, referenced by envFrom);
    - ``plain``: nothing per app (one ``images`` entry): large trees, where Kustomize's
      per-entry passes would take hours, for the default build's size figures.
    """
    base = root / "base"
    overlay = root / "overlays" / "bench"
    (overlay / "patches").mkdir(parents=True)
    base.mkdir(parents=True, exist_ok=True)
    (root / ".kcompile").mkdir(exist_ok=True)  # marks the repository root
    resources = []
    patches = []
    extra: list[str] = []
    images = ["- name: nginx\n  newTag: '1.25'"]
    for i in range(n):
        name = f"app{i:04d}"
        extra_env = f", {{configMapRef: {{name: {name}-extra}}}}" if shape == "generators" else ""
        image = f"registry.example/team{i // 3:04d}/app:1.0" if shape == "images" else "nginx:1.21"
        (base / f"{name}.yaml").write_text(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: main
        image: {image}
        ports: [{{containerPort: 8080}}]
        envFrom: [{{configMapRef: {{name: {name}-config}}}}{extra_env}]
        resources:
          requests: {{cpu: 50m, memory: 64Mi}}
          limits: {{cpu: 200m, memory: 128Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
data:
  APP_NAME: {name}
  FEATURE_FLAG: "on"
""")
        resources.append(f"- {name}.yaml")
        if shape == "patches":
            (overlay / "patches" / f"{name}.yaml").write_text(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: main
        env:
        - name: ENVIRONMENT
          value: bench
""")
            patches.append(f"- path: patches/{name}.yaml")
        elif shape == "json6902":
            patches.append(
                f"- target: {{kind: Deployment, name: {name}}}\n  patch: |-\n"
                f"    - op: replace\n      path: /spec/replicas\n      value: 3\n"
                f"    - op: add\n      path: /spec/template/spec/containers/0/env\n"
                f"      value: [{{name: ENVIRONMENT, value: bench}}]")
        elif shape == "replacements":
            extra.append(
                f"- source: {{kind: ConfigMap, name: {name}-config, fieldPath: data.APP_NAME}}\n"
                f"  targets:\n  - select: {{kind: Deployment, name: {name}}}\n"
                f"    fieldPaths: [spec.template.metadata.annotations.app-name]\n"
                f"    options: {{create: true}}")
        elif shape == "generators":
            extra.append(f"- name: {name}-extra\n  literals: [APP={name}, MODE=bench]")
        if shape == "images" and i % 3 == 0:
            images.append(f"- name: registry.example/team{i // 3:04d}/app\n  newTag: '2.0'")
    (base / "kustomization.yaml").write_text("resources:\n" + "\n".join(resources) + "\n")
    text = ("resources: [../../base]\nnamespace: bench\nnamePrefix: b-\n"
            "labels:\n- pairs: {env: bench}\n  includeSelectors: true\n"
            "commonAnnotations: {team: platform}\n"
            "images:\n" + "\n".join(images) + "\n")
    if patches:
        text += "patches:\n" + "\n".join(patches) + "\n"
    if shape == "replacements":
        text += "replacements:\n" + "\n".join(extra) + "\n"
    if shape == "generators":
        text += "configMapGenerator:\n" + "\n".join(extra) + "\n"
    (overlay / "kustomization.yaml").write_text(text)
    return overlay


def run_timed(cmd: list[str], cwd: Path) -> tuple[float, int, bytes]:
    """Wall time (s), an unused slot, and stdout of one process."""
    # `python -m kcompile` from a checkout runs this repository's code
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{err.decode(errors='replace')}")
    return elapsed, 0, out


def alternating_medians(cmds: list[list[str]], runs: int, cwd: Path) -> list[float]:
    """Run each command ``runs`` times, alternating between them so that drift on the
    machine affects all alike; the median wall time of each."""
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            times[i].append(run_timed(cmd, cwd)[0])
    return [statistics.median(t) for t in times]


def peak_rss(cmd: list[str], cwd: Path) -> int:
    """Peak resident memory (KiB) of one run of ``cmd``."""
    pid = os.fork()
    if pid == 0:  # child: run the command with output discarded
        os.chdir(cwd)
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f"{cmd[0]} failed (status {status})")
    return usage.ru_maxrss


def kcompile_cmd() -> list[str]:
    exe = shutil.which("kcompile")
    if exe and Path(exe).resolve().parent == Path(sys.executable).resolve().parent:
        return [exe]
    return [sys.executable, "-m", "kcompile"]


def same_objects(a: bytes, b: bytes) -> bool:
    from kcompile.yaml.read import load_documents

    return [d.data for d in load_documents(a.decode())] == [d.data for d in load_documents(b.decode())]


def bench(n: int, runs: int, kustomize_runs: int, kubectl: Path, shape: str = "patches") -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-bench-{n}-"))
    try:
        overlay = generate_tree(n, tmp, shape)
        kc = kcompile_cmd() + ["build", str(overlay), "--no-validate"]
        kc_cold = kc + ["--no-cache"]
        ku = [str(kubectl), "kustomize", str(overlay)]
        _, _, ref = run_timed(ku, tmp)
        _, _, ours = run_timed(kc, tmp)  # also fills the cache
        if not same_objects(ours, ref):
            raise SystemExit(f"{shape} N={n}: kcompile and kustomize outputs differ")
        t_ku, t_cold, t_warm = [], [], []
        for i in range(max(runs, kustomize_runs)):
            if i < kustomize_runs:
                t_ku.append(run_timed(ku, tmp)[0])
            if i < runs:
                t_cold.append(run_timed(kc_cold, tmp)[0])
                t_warm.append(run_timed(kc, tmp)[0])
        return {
            "n": n,
            "shape": shape,
            "kustomize": statistics.median(t_ku),
            "cold": statistics.median(t_cold),
            "warm": statistics.median(t_warm),
            "rss_kustomize": peak_rss(ku, tmp),
            "rss_cold": peak_rss(kc_cold, tmp),
            "objects": ref.count(b"\napiVersion:") + 1 if ref.startswith(b"apiVersion") else 0,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--shape", nargs="+", choices=ALL_SHAPES, default=list(SHAPES),
                    help="tree shapes to measure (default: all)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kustomize-runs-1000", type=int, default=1,
                    help="timed kustomize runs at N>=1000 (each takes about a minute)")
    args = ap.parse_args()
    kubectl = reference_tools().kubectl
    print(f"{'shape':>12} {'N':>6} {'kustomize':>10} {'kc cold':>9} {'kc warm':>9} {'cold/ku':>8}"
          f" {'warm/ku':>8} {'RSS ku':>9} {'RSS kc':>9}")
    for shape in args.shape:
        by_n = {}
        for n in args.n:
            kr = args.runs if n < 1000 else args.kustomize_runs_1000
            r = by_n[n] = bench(n, args.runs, kr, kubectl, shape)
            print(f"{shape:>12} {n:>6} {r['kustomize']:>9.3f}s {r['cold']:>8.3f}s {r['warm']:>8.3f}s"
                  f" {r['cold'] / r['kustomize']:>8.3f} {r['warm'] / r['kustomize']:>8.3f}"
                  f" {r['rss_kustomize'] / 1024:>7.0f}MB {r['rss_cold'] / 1024:>7.0f}MB", flush=True)
        if 100 in by_n and 1000 in by_n:
            print(f"{shape:>12} growth N=100 -> N=1000: cold {by_n[1000]['cold'] / by_n[100]['cold']:.1f}x, "
                  f"warm {by_n[1000]['warm'] / by_n[100]['warm']:.1f}x (target <= 12x)", flush=True)
    print("targets: N=10 ratio <= 1.0, N=100 <= 0.5, N=1000 <= 0.05; growth <= 12x;"
          " peak memory below kustomize's")


if __name__ == "__main__":
    main()
