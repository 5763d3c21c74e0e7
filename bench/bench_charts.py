#!/usr/bin/env python3
"""Benchmark: kcompile charts vs `helm template` on charts in the shape of popular public ones.

The two charts are the Helm/Jinja pairs of ``tests/charts/ports`` (the differential tests
check that both render the same objects): ``webstack`` (13 templates, a large helpers file,
``range``, conditionals, ``tpl``, ``.Capabilities``) and ``platform`` (an umbrella chart with
a library chart and subcharts, ``global``, conditions, tags). Each is rendered with values
that enable every template, as whole processes, alternating, and timed five ways:

- ``helm``: ``helm template``;
- ``cold``: kcompile with an empty cache directory (nothing cached);
- ``compiled``: the compiled-template cache warm, every render cache cold: a value that
  every template reads (``nameOverride``: every object's name) changes every run, so
  every template renders again;
- ``one``: one image tag changes every run (the usual overlay edit): the templates that
  read it render, the others come from the per-template cache;
- ``warm``: everything cached (the same build again).

kcompile runs as installed (``kcompile`` beside this Python, or ``python -m kcompile``);
an editable install adds its import hook to every start, so measure a regular install
(``pip install .``) for figures.

Usage: python bench/bench_charts.py [--runs 7] [--cpu]
Targets: compiled <= 1.0x helm, cold <= 2.0x, warm <= 0.5x.
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

PORTS = ROOT / "tests" / "charts" / "ports"
# chart -> (values file, --set, --api-versions, the value every template reads, an image tag),
# the values enabling every template
CHARTS = {
    "webstack": ("full-values.yaml", [], ["monitoring.coreos.com/v1"], "nameOverride", "image.tag"),
    "platform": ("prod-values.yaml", [], [], "global.labels.tier", "api.image.tag"),
}
TPL_SPELLING = {"{{ .Release.Name }}": "{{ release.name }}", "{{ .Values.global.domain }}": "{{ values.global.domain }}"}
TARGETS = {"compiled": 1.0, "cold": 2.0, "warm": 0.5}


def setup(name: str, root: Path) -> tuple[Path, Path]:
    """The Jinja port under root/chart with an overlay root/overlay rendering it."""
    values = CHARTS[name][0]
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PORTS / name / "jinja", root / "chart")
    overlay = root / "overlay"
    overlay.mkdir()
    text = (PORTS / name / values).read_text()
    for helm_spelling, jinja_spelling in TPL_SPELLING.items():
        text = text.replace(helm_spelling, jinja_spelling)
    (overlay / values).write_text(text)
    (overlay / "kcompile.yaml").write_text(
        f"charts:\n- chart: ../chart\n  release: web\n  namespace: bench\n  valuesFiles: [{values}]\n")
    return root / "chart", overlay


CPU = False  # --cpu: CPU seconds (user + system) of the process instead of wall time


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if CPU:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        elapsed = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr}")
    return elapsed, proc.stdout


def kcompile_cmd() -> list[str]:
    exe = shutil.which("kcompile")
    if exe and Path(exe).resolve().parent == Path(sys.executable).resolve().parent:
        return [exe]
    return [sys.executable, "-m", "kcompile"]


def object_count(text: str) -> int:
    from kcompile.yaml.read import load_documents

    return sum(1 for d in load_documents(text) if d.data)


def bench(name: str, runs: int, helm: Path) -> dict[str, float]:
    values, sets, apis, every, image = CHARTS[name]
    tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-bench-charts-{name}-"))
    try:
        _, overlay = setup(name, tmp)
        h = [str(helm), "template", "web", str(PORTS / name / "helm"), "-f", str(PORTS / name / values),
             "--namespace", "bench"]
        for a in apis:
            h += ["--api-versions", a]
        k = kcompile_cmd() + ["build", str(overlay), "--no-validate"]
        for a in apis:
            k += ["--api-versions", a]
        # as an installed package runs: with its modules' bytecode (pip writes it; a
        # PYTHONDONTWRITEBYTECODE environment would recompile kcompile on every run)
        base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm_env = {**base_env, "KCOMPILE_CACHE_DIR": str(tmp / "cache-warm")}
        _, ho = timed(h, tmp, base_env)
        _, ko = timed(k, tmp, warm_env)  # fills the caches
        if object_count(ho) != object_count(ko):
            raise SystemExit(f"{name}: helm renders {object_count(ho)} objects, kcompile {object_count(ko)}")
        times: dict[str, list[float]] = {"helm": [], "cold": [], "compiled": [], "one": [], "warm": []}
        for i in range(runs):
            times["helm"].append(timed(h, tmp, base_env)[0])
            # a fresh copy (no .kcompile above it) and a fresh cache directory: nothing of
            # earlier runs is reused
            fresh = Path(tempfile.mkdtemp(prefix="kcompile-bench-cold-"))
            try:
                _, cold_overlay = setup(name, fresh)
                cold_env = {**base_env, "KCOMPILE_CACHE_DIR": str(fresh / "cache")}
                cold_cmd = [str(cold_overlay) if a == str(overlay) else a for a in k]
                times["cold"].append(timed(cold_cmd, fresh, cold_env)[0])
            finally:
                shutil.rmtree(fresh, ignore_errors=True)
            # a value every template reads, new every run: every render cache misses
            times["compiled"].append(timed(k + ["--set", f"web.{every}=bench{i}"], tmp, warm_env)[0])
            # one image tag, new every run: only what reads it renders
            times["one"].append(timed(k + ["--set", f"web.{image}=9.{i}.0"], tmp, warm_env)[0])
            times["warm"].append(timed(k, tmp, warm_env)[0])
        return {mode: statistics.median(t) for mode, t in times.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--charts", nargs="+", default=list(CHARTS), choices=list(CHARTS))
    ap.add_argument("--cpu", action="store_true",
                    help="compare CPU time (user + system) instead of wall time: steadier on a busy machine")
    args = ap.parse_args()
    global CPU
    CPU = args.cpu
    helm = reference_tools().helm
    print(f"{'chart':<10} {'helm':>8} {'cold':>8} {'compiled':>9} {'one':>8} {'warm':>8} "
          f"{'cold/helm':>10} {'compiled/helm':>14} {'one/helm':>9} {'warm/helm':>10}")
    for name in args.charts:
        m = bench(name, args.runs, helm)
        print(f"{name:<10} {m['helm']:>7.3f}s {m['cold']:>7.3f}s {m['compiled']:>8.3f}s {m['one']:>7.3f}s "
              f"{m['warm']:>7.3f}s {m['cold'] / m['helm']:>10.2f} {m['compiled'] / m['helm']:>14.2f} "
              f"{m['one'] / m['helm']:>9.2f} {m['warm'] / m['helm']:>10.2f}", flush=True)
    print("targets: " + ", ".join(f"{mode}/helm <= {x}" for mode, x in TARGETS.items()))
    # The floor of any render that runs a template: Python's start and Jinja2's import.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    floor = {what: statistics.median(timed([sys.executable, *cmd], ROOT, env)[0] for _ in range(args.runs))
             for what, cmd in (("python -c pass", ["-c", "pass"]),
                               ("python -c 'import jinja2.sandbox'", ["-c", "import jinja2.sandbox"]))}
    print("floor: " + ", ".join(f"{what} {t:.3f}s" for what, t in floor.items()))


if __name__ == "__main__":
    main()
