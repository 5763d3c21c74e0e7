"""vars (kcompile/transform/vars.py): Kustomize's $(VAR) expansion, field look-up, binding
and resolution."""

from __future__ import annotations

import pytest

from kcompile.errors import KcompileError
from kcompile.model import Resource
from kcompile.transform.config import DEFAULT
from kcompile.transform.vars import Var, _field_value, declare_vars, expand, resolve_vars
from kcompile.yaml.read import load_documents

VALUES = {"PORT": 8080, "HOST": "db", "ON": True, "RATIO": 0.5, "MAP": {"a": 1}}

# text -> expanded value
EXPAND_CASES = {
    "whole-keeps-type": ("$(PORT)", 8080),
    "whole-bool": ("$(ON)", True),
    "inside-text": ("--port=$(PORT)", "--port=8080"),
    "two-vars": ("$(HOST):$(PORT)", "db:8080"),
    "bool-inside-text": ("on=$(ON)", "on=true"),
    "float-inside-text": ("r=$(RATIO)", "r=0.5"),
    "escaped": ("$$(PORT)", "$(PORT)"),
    "double-dollar": ("cost $$5", "cost $5"),
    "unknown-stays": ("$(NOPE)", "$(NOPE)"),
    "unknown-inside": ("a $(NOPE) b $(HOST)", "a $(NOPE) b db"),
    "map-value-stays": ("$(MAP)", "$(MAP)"),
    "unclosed": ("$(HOST", "$(HOST"),
    "lone-dollar-at-end": ("cost $", "cost $"),
    "dollar-letter": ("$HOST", "$HOST"),
    "no-dollar": ("plain", "plain"),
}


@pytest.mark.parametrize("name", sorted(EXPAND_CASES))
def test_expand(name):
    text, expected = EXPAND_CASES[name]
    assert expand(text, VALUES) == expected


BODY = {"spec": {"ports": [{"name": "http", "port": 80}, {"name": "grpc", "port": 90}], "flag": False},
        "metadata": {"name": "svc"}}

FIELD_CASES = {
    "default": ("metadata.name", (True, "svc")),
    "index": ("spec.ports[1].port", (True, 90)),
    "by-key": ("spec.ports.[name=grpc].port", (True, 90)),
    "false-is-a-value": ("spec.flag", (True, False)),
    "missing": ("spec.clusterIP", (False, None)),
    "index-out-of-range": ("spec.ports[5].port", (False, None)),
}


@pytest.mark.parametrize("name", sorted(FIELD_CASES))
def test_field_value(name):
    path, expected = FIELD_CASES[name]
    assert _field_value(BODY, path) == expected


def _objects(text: str) -> list[Resource]:
    return [Resource(d.data) for d in load_documents(text, "r.yaml")]


OBJECTS = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{port: 8080, targetPort: $(PORT)}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {note: "$(PORT)"}}
spec:
  template:
    spec:
      containers:
      - name: web
        args: ["--listen=$(PORT)", "$(NS)"]
        env: [{name: P, value: $(PORT)}]
        image: $(PORT)
"""

VARS = [{"name": "PORT", "objref": {"kind": "Service", "name": "web", "apiVersion": "v1"},
         "fieldref": {"fieldPath": "spec.ports[0].port"}},
        {"name": "NS", "objref": {"kind": "Service", "name": "web", "apiVersion": "v1"},
         "fieldref": {"fieldpath": "metadata.namespace"}}]


def test_declared_vars_are_resolved_at_var_reference_fields_only():
    resources = _objects(OBJECTS)
    declared: dict = {}
    declare_vars(resources, VARS, declared, "k.yaml", lambda *i: None)
    assert resources[0].vars == ["PORT", "NS"]
    resources[0].rename(name="web-v2")  # the value is read at the end: the final object
    resolve_vars(resources, declared, DEFAULT)
    svc, deploy = resources[0].body, resources[1].body
    assert svc["spec"]["ports"][0]["targetPort"] == 8080
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    assert c["args"] == ["--listen=8080", "shop"]
    assert c["env"][0]["value"] == 8080
    assert c["image"] == "$(PORT)"  # not a varReference field
    assert deploy["metadata"]["annotations"]["note"] == "8080"  # annotations stay strings, as in Kustomize


# (objref, what fails, message fragment)
ERROR_CASES = {
    "no-version": ({"kind": "Service", "name": "web"}, "resolve", "give its apiVersion"),
    "no-object": ({"kind": "Service", "name": "gone", "apiVersion": "v1"}, "resolve", "names no object"),
    "wrong-namespace": ({"kind": "Service", "name": "web", "apiVersion": "v1", "namespace": "other"}, "resolve",
                        "names no object"),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_var_errors(name):
    objref, _, fragment = ERROR_CASES[name]
    resources = _objects(OBJECTS)
    declared: dict = {}
    declare_vars(resources, [{"name": "X", "objref": objref}], declared, "k.yaml", lambda *i: 3)
    with pytest.raises(KcompileError, match=fragment) as e:
        resolve_vars(resources, declared, DEFAULT)
    assert (e.value.file, e.value.line) == ("k.yaml", 3)


def test_a_var_matching_two_objects_is_an_error():
    resources = _objects(OBJECTS + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: b}\n")
    with pytest.raises(KcompileError, match="matches 2 objects"):
        declare_vars(resources, [VARS[0]], {}, "k.yaml", lambda *i: None)


def test_a_var_field_missing_is_an_error():
    resources = _objects(OBJECTS)
    declared: dict = {}
    declare_vars(resources, [{"name": "X", "objref": VARS[0]["objref"], "fieldref": {"fieldPath": "spec.type"}}],
                 declared, "k.yaml", lambda *i: None)
    with pytest.raises(KcompileError, match="field 'spec.type' not found"):
        resolve_vars(resources, declared, DEFAULT)


def test_a_var_declared_twice_is_an_error():
    with pytest.raises(KcompileError, match="declared twice"):
        declare_vars(_objects(OBJECTS), [VARS[0], VARS[0]], {}, "k.yaml", lambda *i: None)


def test_var_defaults():
    v = Var({"name": "A", "objref": {"kind": "Certificate", "apiVersion": "cert-manager.io/v1", "name": "c"}}, None, None)
    assert (v.group, v.version, v.field_path) == ("cert-manager.io", "v1", "metadata.name")
