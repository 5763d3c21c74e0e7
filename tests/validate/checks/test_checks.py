"""Validation as a whole: valid objects have no findings; findings in text and JSON; the
table of checks names every check module."""

from __future__ import annotations

import pkgutil

from kcompile.model import Resource
from kcompile.validate import format_findings, validate
from kcompile.validate import checks

from ..helpers import deployment, load


def test_valid_deployment_service_configmap_have_no_findings(tmp_path):
    rs = load(tmp_path, deployment() + """---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {a: "1"}
""")
    assert validate(rs) == []


def test_text_and_json_formats(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rs = load(tmp_path, deployment(cpu="300m"))
    findings = validate(rs)
    text = format_findings(findings)
    assert text == ("r.yaml:18: error: Deployment/shop/web: spec.template.spec.containers[name=web].resources"
                    ".requests.cpu: request 300m is more than the limit 200m\n")
    import json

    (d,) = json.loads(format_findings(findings, "json"))
    assert d == {"severity": "error", "object": "Deployment/shop/web",
                 "path": "spec.template.spec.containers[name=web].resources.requests.cpu",
                 "file": "r.yaml", "line": 18, "message": "request 300m is more than the limit 200m"}


def test_objects_without_origin_still_get_findings():
    r = Resource(body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad"}})
    (f,) = validate([r])
    assert (f.file, f.line, f.path) == (None, None, "metadata.name")
    assert format_findings([f]).startswith("error: ConfigMap/Bad: metadata.name:")


def test_every_check_module_is_registered_once():
    modules = {m.name for m in pkgutil.iter_modules(checks.__path__)} - {"pods", "syntax"}
    registered = [name for name, _ in checks.CHECKS]
    assert sorted(registered) == sorted(modules)
    for name, fn in checks.CHECKS:
        assert fn.__module__ == f"kcompile.validate.checks.{name}"
