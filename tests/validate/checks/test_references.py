"""References from pods to ConfigMaps and Secrets that are not in the build.

Through :func:`kcompile.validate.validate`: each finding's severity, object, field path
and the file line it points at."""

from __future__ import annotations

import pytest

from kcompile.validate import validate

from ..helpers import load, only


POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  containers:
  - name: app
    image: busybox
{container}
{volumes}
"""


@pytest.mark.parametrize("container, volumes, kind_name, path", [
    ("    env:\n    - name: A\n      valueFrom:\n        configMapKeyRef: {name: cfg, key: a}", "",
     "ConfigMap 'cfg'", "spec.containers[name=app].env[name=A].valueFrom.configMapKeyRef.name"),
    ("    env:\n    - name: A\n      valueFrom:\n        secretKeyRef: {name: db, key: a}", "",
     "Secret 'db'", "spec.containers[name=app].env[name=A].valueFrom.secretKeyRef.name"),
    ("    envFrom:\n    - configMapRef: {name: cfg}", "", "ConfigMap 'cfg'",
     "spec.containers[name=app].envFrom[0].configMapRef.name"),
    ("    envFrom:\n    - secretRef: {name: db}", "", "Secret 'db'", "spec.containers[name=app].envFrom[0].secretRef.name"),
    ("", "  volumes:\n  - name: v\n    configMap: {name: cfg}", "ConfigMap 'cfg'", "spec.volumes[name=v].configMap.name"),
    ("", "  volumes:\n  - name: v\n    secret: {secretName: db}", "Secret 'db'", "spec.volumes[name=v].secret.secretName"),
    ("", "  volumes:\n  - name: v\n    projected:\n      sources:\n      - configMap: {name: cfg}", "ConfigMap 'cfg'",
     "spec.volumes[name=v].projected.sources[0].configMap.name"),
    ("", "  volumes:\n  - name: v\n    projected:\n      sources:\n      - secret: {name: db}", "Secret 'db'",
     "spec.volumes[name=v].projected.sources[0].secret.name"),
])
def test_dangling_references_warn_and_strict_makes_them_errors(tmp_path, container, volumes, kind_name, path):
    text = POD.format(container=container, volumes=volumes)
    rs = load(tmp_path, text)
    f = only(validate(rs), kind_name)
    assert (f.severity, f.path) == ("warning", path)
    assert f.line == next(i for i, ln in enumerate(text.splitlines(), 1) if "name: cfg" in ln or "db" in ln)
    assert only(validate(rs, strict=True), kind_name).severity == "error"
    # present in the build: no finding
    kind, name = kind_name.split()
    rs += load(tmp_path, f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: {name.strip(chr(39))}}}\n", "extra.yaml")
    assert [f for f in validate(rs) if kind_name in f.message] == []


def test_optional_reference_is_fine(tmp_path):
    text = POD.format(container="    envFrom:\n    - configMapRef: {name: cfg, optional: true}", volumes="")
    assert validate(load(tmp_path, text)) == []


def test_reference_into_another_namespace_dangles(tmp_path):
    text = POD.format(container="    envFrom:\n    - configMapRef: {name: cfg}", volumes="").replace(
        "metadata: {name: p}", "metadata: {name: p, namespace: a}")
    text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: b}\n"
    only(validate(load(tmp_path, text)), "ConfigMap 'cfg'")
