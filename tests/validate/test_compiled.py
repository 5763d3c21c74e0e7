"""The compiled schema check (validate/compiled.py) against jsonschema-rs.

It may only skip jsonschema-rs for objects jsonschema-rs finds valid: a generated
mutation of real objects (wrong types, unknown fields, missing required fields, nulls,
integral floats, booleans for numbers) must get the same verdict from both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcompile.yaml import read as yamlio
from kcompile.model import split_api_version
from kcompile.validate import compiled
from kcompile.validate.schemas import SchemaValidator, _kind_file

# more with KCOMPILE_COMPILED_EXAMPLES=20000 locally
EXAMPLE_COUNT = int(os.environ.get("KCOMPILE_COMPILED_EXAMPLES", "400"))
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def schemas():
    sv = SchemaValidator(None)
    return sv, compiled.load(sv.directory)


def sample_objects() -> list[dict]:
    objs = []
    for f in sorted(EXAMPLES.rglob("*.yaml")):
        for d in yamlio.load_documents(f.read_text()):
            if isinstance(d.data, dict) and d.data.get("kind") and d.data.get("apiVersion") \
                    and not str(d.data.get("kind")).startswith("Kustomization"):
                objs.append(d.data)
    return objs


SAMPLES = sample_objects()

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.floats(-2, 2, allow_nan=False),
                    st.sampled_from([1.0, 2.0, 0.5]), st.text(max_size=4),
                    st.sampled_from(["Always", "TCP", "RollingUpdate", "100m", "1Gi", ""]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["name", "x", "port", "image"]), inner, max_size=2)),
    max_leaves=4)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


@st.composite
def mutated(draw):
    obj = json.loads(json.dumps(draw(st.sampled_from(SAMPLES))))
    for _ in range(draw(st.integers(1, 3))):
        spots = [p for p in paths(obj) if len(p) >= 2]  # keep apiVersion/kind
        if not spots:
            break
        where = draw(st.sampled_from(spots))
        parent = obj
        for k in where[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[where[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["name", "extraField", "ports", "replicas", "value"]))] = draw(values)
        else:
            parent[where[-1]] = draw(values)
    return obj


def rs_valid(sv: SchemaValidator, obj: dict) -> bool:
    return sv.validator(obj["apiVersion"], obj["kind"]).is_valid(obj)


def test_the_samples_cover_several_kinds_and_are_valid(schemas):
    sv, comp = schemas
    kinds = {(o["apiVersion"], o["kind"]) for o in SAMPLES}
    assert len(kinds) >= 6
    for o in SAMPLES:
        assert comp.is_valid(o["apiVersion"], o["kind"], o) and rs_valid(sv, o), o["kind"]


@settings(max_examples=EXAMPLE_COUNT, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_same_verdict_as_jsonschema_rs(schemas, obj):
    sv, comp = schemas
    assert comp.is_valid(obj["apiVersion"], obj["kind"], obj) == rs_valid(sv, obj)


@pytest.mark.parametrize("value, valid", [
    ({"replicas": 2}, True),
    ({"replicas": 2.0}, True),          # an integral number is an integer in JSON Schema
    ({"replicas": 2.5}, False),
    ({"replicas": True}, False),        # a boolean is not a number
    ({"replicas": "2"}, False),
    ({"replicas": None}, True),         # the schemas allow null for optional fields
    ({"unknownField": 1}, False),       # strict schemas: no unknown fields
    ({"strategy": {"type": "Recreate"}}, True),
    ({"strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}}, True),
    ({"strategy": {"rollingUpdate": {"maxSurge": None}}}, False),  # int-or-string: null matches both branches
    ({"strategy": {"rollingUpdate": {"maxSurge": 1.5}}}, False),
])
def test_table_of_deployment_specs(schemas, value, valid):
    sv, comp = schemas
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c"}]}},
                    **value}}
    assert rs_valid(sv, obj) is valid  # the table itself is right
    assert comp.is_valid("apps/v1", "Deployment", obj) is valid


def test_values_it_cannot_judge_go_to_jsonschema_rs(schemas):
    _, comp = schemas
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {1: "x"}}
    assert comp.is_valid("v1", "ConfigMap", obj) is False  # not judged here: the slow path decides


def test_every_compiled_kind_is_the_schema_file_jsonschema_rs_would_use(schemas):
    sv, comp = schemas
    assert len(comp.kinds) > 100
    for (api, kind) in comp.kinds:
        path = _kind_file(sv.directory, api, kind)
        assert path.is_file(), (api, kind)
        gvks = json.loads(path.read_text()).get("x-kubernetes-group-version-kind") or []
        group, version = split_api_version(api)
        assert any(g.get("group", "") == group and g.get("version") == version and g.get("kind") == kind
                   for g in gvks), (api, kind)


def test_a_corrupt_cache_file_is_recompiled(tmp_path, schemas):
    sv, comp = schemas
    first = compiled.load(sv.directory, tmp_path)
    (cache,) = tmp_path.rglob("compiled-schemas-*")
    cache.write_bytes(b"\x00garbage")
    again = compiled.load(sv.directory, tmp_path)
    assert again.kinds == first.kinds == comp.kinds


def test_jsonschema_rs_is_not_imported_for_a_valid_build(tmp_path):
    import subprocess
    import sys

    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
    code = ("import sys\nfrom kcompile.build import build\nfrom kcompile.validate import validate\n"
            f"r = build({str(tmp_path)!r})\nassert validate(r.resources) == []\n"
            "print('jsonschema_rs' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert jsonschema_rs  # the slow path is still the installed library
