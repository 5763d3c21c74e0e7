#!/usr/bin/env python3
"""Benchmark: JSON-schema engines on Kubernetes objects (why kcompile uses jsonschema-rs).

Validates N Deployments + N Services + N ConfigMaps (the bench_build tree's objects)
against kubernetes-validate's strict schemas with each engine installed:
- jsonschema (Python; what kubernetes-validate itself uses), with a referencing Registry
- fastjsonschema (Python code generation; draft-07, so the schema's external refs are
  inlined; the compiled code could be cached on disk, so compile time is shown apart)
- jsonschema-rs (Rust)
and prints import time (fresh interpreter), compile time and validation time.

Usage: python bench/bench_schema_engines.py [--n 1000]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = {"Deployment": "deployment-apps-v1.json", "Service": "service-v1.json", "ConfigMap": "configmap-v1.json"}
DEFS_ID = "https://kubernetes.io/api/_definitions.json"


def objects(n: int) -> list[dict]:
    out = []
    for i in range(n):
        name = f"app-{i:04d}"
        labels = {"app": name}
        out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
                    "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {
                        "metadata": {"labels": labels}, "spec": {"containers": [{
                            "name": "app", "image": f"registry.example.com/{name}:1.0",
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "envFrom": [{"configMapRef": {"name": f"{name}-config"}}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                          "limits": {"cpu": "500m", "memory": "256Mi"}}}]}}}})
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
                    "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-config"},
                    "data": {"LOG_LEVEL": "info", "INDEX": str(i)}})
    return out


def schema_dir() -> Path:
    from kcompile.patch.schema import _schema_root, normalize_version

    return _schema_root() / f"v{normalize_version(None)}-local-strict"


def import_ms(module: str) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print((time.perf_counter()-t)*1000)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(3)]
    return sorted(runs)[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    objs = objects(args.n)
    d = schema_dir()
    defs = json.loads((d / "_definitions.json").read_text())
    schemas = {k: json.loads((d / f).read_text()) for k, f in KINDS.items()}
    print(f"{len(objs)} objects, schemas {d.name}")
    print(f"{'engine':<16} {'import':>9} {'compile':>9} {'validate':>10} {'per object':>11}")

    def measure(engine: str, module: str, build: Callable[[], Callable[[dict], Any]]) -> None:
        """Time ``build()`` (compile every kind's validator) and running the validator it
        returns over every object; an engine that is not installed is skipped."""
        try:
            t = time.perf_counter()
            check = build()
            c = time.perf_counter() - t
        except ImportError:
            print(f"{engine:<16} not installed")
            return
        t = time.perf_counter()
        for o in objs:
            check(o)
        v = time.perf_counter() - t
        print(f"{engine:<16} {import_ms(module):>7.0f}ms {c * 1000:>7.0f}ms {v * 1000:>8.1f}ms "
              f"{v / len(objs) * 1e6:>9.1f}µs", flush=True)

    def jsonschema_rs_engine() -> Callable[[dict], Any]:
        import jsonschema_rs

        reg = jsonschema_rs.Registry([(DEFS_ID, defs)])
        vs = {k: jsonschema_rs.validator_for(s, registry=reg) for k, s in schemas.items()}
        return lambda o: vs[o["kind"]].validate(o)

    def fastjsonschema_engine() -> Callable[[dict], Any]:
        # one self-contained schema per kind (external refs made local)
        import fastjsonschema

        def inline(schema: dict) -> dict:
            text = json.dumps(schema).replace("/api/_definitions.json#/$defs/", "#/definitions/")
            text = re.sub(r'"\$schema": "[^"]*",?', "", text)
            out = json.loads(text)
            out["definitions"] = json.loads(json.dumps(defs["$defs"]).replace("#/$defs/", "#/definitions/"))
            return out

        fs = {k: fastjsonschema.compile(inline(s)) for k, s in schemas.items()}
        return lambda o: fs[o["kind"]](o)

    def jsonschema_engine() -> Callable[[dict], Any]:
        import jsonschema
        import referencing

        reg = referencing.Registry().with_resource(
            DEFS_ID, referencing.Resource.from_contents(defs, default_specification=referencing.jsonschema.DRAFT202012))
        js = {k: jsonschema.Draft202012Validator(s, registry=reg) for k, s in schemas.items()}
        return lambda o: js[o["kind"]].validate(o)

    measure("jsonschema-rs", "jsonschema_rs", jsonschema_rs_engine)
    measure("fastjsonschema", "fastjsonschema", fastjsonschema_engine)
    measure("jsonschema", "jsonschema", jsonschema_engine)

if __name__ == "__main__":
    main()
