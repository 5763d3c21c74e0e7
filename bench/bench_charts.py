#!/usr/bin/env python3
"""Benchmark: kcompile charts vs `helm template` on equivalent charts with N app entries.

Both charts loop over ``values.apps`` and emit a Deployment, a Service and a ConfigMap
per entry. The script checks both produce the same objects, then times
``helm template`` and ``kcompile build`` (an overlay holding the chart instance) as whole
processes, alternating, and prints medians and the ratio kcompile/helm.

Usage: python bench/bench_charts.py [--n 10 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
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

HELM_TEMPLATE = """{{- range .Values.apps }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:
    app: {{ .name }}
    release: {{ $.Release.Name }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      app: {{ .name }}
  template:
    metadata:
      labels:
        app: {{ .name }}
    spec:
      containers:
      - name: main
        image: "{{ .image }}:{{ .tag }}"
        ports:
        - containerPort: {{ .port }}
        envFrom:
        - configMapRef:
            name: {{ .name }}-config
        resources:
{{ toYaml .resources | indent 10 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
spec:
  selector:
    app: {{ .name }}
  ports:
  - port: 80
    targetPort: {{ .port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}-config
data:
{{ toYaml .config | indent 2 }}
{{- end }}
"""

KCOMPILE_TEMPLATE = """{% for app in values.apps %}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ app.name }}
  labels: {app: {{ app.name }}, release: {{ release.name }}}
spec:
  replicas: {{ app.replicas }}
  selector:
    matchLabels: {app: {{ app.name }}}
  template:
    metadata:
      labels: {app: {{ app.name }}}
    spec:
      containers:
      - name: main
        image: "{{ app.image }}:{{ app.tag }}"
        ports: [{containerPort: {{ app.port }}}]
        envFrom: [{configMapRef: {name: {{ app.name }}-config}}]
        resources: {{ app.resources | to_json }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ app.name }}
spec:
  selector: {app: {{ app.name }}}
  ports: [{port: 80, targetPort: {{ app.port }}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ app.name }}-config
data: {{ app.config | to_json }}
{% endfor %}
"""


def values_text(n: int) -> str:
    lines = ["apps:"]
    for i in range(n):
        lines += [
            f"- name: app{i:04d}",
            "  replicas: 2",
            "  image: ghcr.io/example/app",
            f"  tag: \"1.{i % 10}.0\"",
            "  port: 8080",
            "  resources:",
            "    requests: {cpu: 50m, memory: 64Mi}",
            "    limits: {cpu: 200m, memory: 128Mi}",
            "  config:",
            f"    APP_NAME: app{i:04d}",
            "    LOG_LEVEL: info",
        ]
    return "\n".join(lines) + "\n"


def setup(n: int, root: Path) -> tuple[Path, Path, Path]:
    helm_chart = root / "helm-chart"
    (helm_chart / "templates").mkdir(parents=True)
    (helm_chart / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
    (helm_chart / "values.yaml").write_text("apps: []\n")
    (helm_chart / "templates" / "apps.yaml").write_text(HELM_TEMPLATE)
    kc_chart = root / "charts" / "bench"
    (kc_chart / "templates").mkdir(parents=True)
    (kc_chart / "Chart.yaml").write_text("name: bench\nversion: 0.1.0\n")
    (kc_chart / "values.yaml").write_text("apps: []\n")
    (kc_chart / "templates" / "apps.yaml.j2").write_text(KCOMPILE_TEMPLATE)
    values = root / "values.yaml"
    values.write_text(values_text(n))
    overlay = root / "overlays" / "bench"
    overlay.mkdir(parents=True)
    shutil.copy(values, overlay / "values.yaml")
    (overlay / "kcompile.yaml").write_text(
        "charts:\n- chart: ../../charts/bench\n  release: bench\n  valuesFiles: [values.yaml]\n"
    )
    (root / ".kcompile").mkdir()
    return helm_chart, values, overlay


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{proc.stderr}")
    return elapsed, proc.stdout


def kcompile_cmd() -> list[str]:
    exe = shutil.which("kcompile")
    if exe and Path(exe).resolve().parent == Path(sys.executable).resolve().parent:
        return [exe]
    return [sys.executable, "-m", "kcompile"]


def objects(text: str) -> list:
    from kcompile.yaml.read import load_documents

    docs = [d.data for d in load_documents(text)]
    return sorted(docs, key=lambda d: (d["kind"], d["metadata"]["name"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10, 1000])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    helm = reference_tools().helm
    print(f"{'N':>6} {'helm':>9} {'kc cold':>9} {'kc warm':>9} {'cold/helm':>10} {'warm/helm':>10}")
    for n in args.n:
        tmp = Path(tempfile.mkdtemp(prefix=f"kcompile-charts-{n}-"))
        try:
            chart, values, overlay = setup(n, tmp)
            h = [str(helm), "template", "bench", str(chart), "-f", str(values)]
            k = kcompile_cmd() + ["build", str(overlay), "--no-validate"]
            kc = k + ["--no-cache"]
            _, ho = timed(h, tmp)
            _, ko = timed(k, tmp)
            if objects(ho) != objects(ko):
                raise SystemExit(f"N={n}: helm and kcompile render different objects")
            th, tc, tw = [], [], []
            for _ in range(args.runs):
                th.append(timed(h, tmp)[0])
                tc.append(timed(kc, tmp)[0])
                tw.append(timed(k, tmp)[0])
            mh, mc, mw = statistics.median(th), statistics.median(tc), statistics.median(tw)
            print(f"{n:>6} {mh:>8.3f}s {mc:>8.3f}s {mw:>8.3f}s {mc / mh:>10.3f} {mw / mh:>10.3f}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("target: kcompile <= 1.0x helm at N=10 and N=1000")


if __name__ == "__main__":
    main()
