"""Repeated merge keys in a patched object (patch/strategic.py: collapse_repeated_items),
case by case against `kubectl kustomize`, plus properties.

Kustomize's strategic merge rebuilds every merge list of the object it patches, also the
lists the patch does not name: one item per key, at the first one's place, holding the
last one as written. Each case is a base object with repeated keys and a patch that only
adds a label; the object must come out as Kustomize's.
"""

from __future__ import annotations

import copy
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcompile.patch.schema import default_schemas
from kcompile.patch.strategic import collapse_repeated_items, strategic_merge
from kcompile.yaml.read import load_documents, load_one
from kcompile.yaml.write import dump

from .test_strategic import deployments

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
"""

# name -> (base object, the paths reported as collapsed)
CASES = {
    "env-repeated-last-wins-first-place": (POD + """\
  - name: app
    image: app:1
    env:
    - {name: A, value: "1"}
    - {name: B, value: "2"}
    - {name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
""", ["spec.containers[name=app].env[name=A]"]),
    "containers-repeated-kept-one-not-walked": (POD + """\
  - name: app
    image: app:1
    env: [{name: X, value: "1"}]
  - name: side
    image: side:1
  - name: app
    image: app:2
    env: [{name: Y, value: "1"}, {name: Y, value: "2"}]
""", ["spec.containers[name=app]"]),
    "volume-mounts-by-mount-path": (POD + """\
  - name: app
    image: app:1
    volumeMounts:
    - {name: a, mountPath: /data}
    - {name: b, mountPath: /cache}
    - {name: c, mountPath: /data, readOnly: true}
""", ["spec.containers[name=app].volumeMounts[mountPath=/data]"]),
    "container-ports-two-keys": (POD + """\
  - name: app
    image: app:1
    ports:
    - {containerPort: 80, protocol: TCP, name: a}
    - {containerPort: 80, protocol: UDP, name: b}
    - {containerPort: 80, protocol: TCP, name: c}
""", ["spec.containers[name=app].ports[containerPort=80,protocol=TCP]"]),
    "finalizers-scalars-once": ("""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  finalizers: [a, b, a, c, b]
data: {k: v}
""", ["metadata.finalizers"]),
    "service-ports-and-volumes": ("""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: db:1}]
      volumes:
      - {name: data, emptyDir: {}}
      - {name: conf, configMap: {name: conf}}
      - {name: data, persistentVolumeClaim: {claimName: data}}
      tolerations: [{key: a}, {key: a}]
""", ["spec.template.spec.volumes[name=data]"]),
    "nothing-repeated": (POD + """\
  - name: app
    image: app:1
    args: [--a, --a]
    env: [{name: A, value: "1"}, {name: B, value: "1"}]
""", []),
    "custom-kind-lists-untouched": ("""\
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  items: [{name: a, v: 1}, {name: a, v: 2}]
""", []),
}


def _ours(base: dict) -> tuple[dict, list[str]]:
    t = default_schemas().type_for(base["apiVersion"], base["kind"])
    body = copy.deepcopy(base)
    collapsed = collapse_repeated_items(body, t)
    patch = {"apiVersion": base["apiVersion"], "kind": base["kind"],
             "metadata": {"name": base["metadata"]["name"], "labels": {"patched": "yes"}}}
    return strategic_merge(body, patch, t), collapsed


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_object_as_kustomize(name, ref_tools, tmp_path):
    text, paths = CASES[name]
    base = load_one(text)
    (tmp_path / "base.yaml").write_text(text)
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [base.yaml]\npatches:\n- patch: |\n"
        f"    apiVersion: {base['apiVersion']}\n    kind: {base['kind']}\n"
        f"    metadata: {{name: {base['metadata']['name']}, labels: {{patched: 'yes'}}}}\n")
    proc = subprocess.run([str(ref_tools.kubectl), "kustomize", "."], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got, collapsed = _ours(base)
    assert [got] == [d.data for d in load_documents(proc.stdout)]
    assert collapsed == paths


@settings(max_examples=100, deadline=None)
@given(deployments())
def test_no_repeated_key_no_change(obj):
    t = default_schemas().type_for("apps/v1", "Deployment")
    body = copy.deepcopy(obj)
    assert collapse_repeated_items(body, t) == []
    assert body == obj


@settings(max_examples=100, deadline=None)
@given(deployments(), st.data())
def test_collapsed_once_is_collapsed(obj, data):
    t = default_schemas().type_for("apps/v1", "Deployment")
    containers = obj["spec"]["template"]["spec"]["containers"]
    twin = copy.deepcopy(data.draw(st.sampled_from(containers)))
    twin["image"] = "twin:1"
    containers.insert(data.draw(st.integers(0, len(containers))), twin)
    last = [c for c in containers if c["name"] == twin["name"]][-1]
    assert collapse_repeated_items(obj, t)
    once = dump(obj)
    kept = obj["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in kept] == list(dict.fromkeys(c["name"] for c in containers))
    assert next(c for c in kept if c["name"] == twin["name"]) == last
    assert collapse_repeated_items(obj, t) == []
    assert dump(obj) == once
