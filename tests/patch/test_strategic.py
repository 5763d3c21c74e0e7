"""The strategic-merge engine against the references, case by case (tests/patch/cases.py),
plus property tests."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcompile.yaml.read import load_documents
from kcompile.yaml.write import dump
from kcompile.errors import KcompileError
from kcompile.patch.strategic import strategic_merge
from kcompile.patch.schema import SchemaSet, default_schemas

from .cases import CASES, DEP, SVC


def test_corpus_is_large_enough():
    assert len(CASES) >= 100


def ours(case: dict) -> dict | None:
    schemas = default_schemas()
    if case["crds"]:
        schemas = SchemaSet.load()
        for crd in case["crds"]:
            schemas.add_crd(crd, "crd.yaml")
    base = copy.deepcopy(case["base"])
    t = schemas.type_for(base["apiVersion"], base["kind"])
    patch = copy.deepcopy(case["patch"])
    result = strategic_merge(base, patch, t, file="patch.yaml", line=1)
    assert patch == case["patch"], "the engine must not modify the patch"
    return result


def reference(case: dict, kubectl: Path, tmp: Path) -> dict | None:
    (tmp / "base.yaml").write_text(dump(case["base"]))
    (tmp / "patch.yaml").write_text(dump(case["patch"]))
    if case["ref"] == "kubectl":
        cmd = [str(kubectl), "patch", "--local", "-f", "base.yaml", "--type", "strategic",
               "--patch-file", "patch.yaml", "-o", "yaml"]
    else:
        (tmp / "kustomization.yaml").write_text("resources: [base.yaml]\npatches: [{path: patch.yaml}]\n")
        cmd = [str(kubectl), "kustomize", "."]
    proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    docs = [d.data for d in load_documents(proc.stdout)]
    return docs[0] if docs else None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_case(case, ref_tools, tmp_path):
    if case["ref"] == "error":
        with pytest.raises(KcompileError) as e:
            ours(case)
        assert case["error"] in e.value.message
        assert e.value.file == "patch.yaml" and e.value.path
        return
    got = ours(case)
    if case["ref"] == "expected":
        assert got == case["expected"]
        return
    want = reference(case, ref_tools.kubectl, tmp_path)
    assert got == want
    assert not _directives(got)


def _directives(value) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value if k.startswith("$")] + [d for v in value.values() for d in _directives(v)]
    if isinstance(value, list):
        return [d for v in value for d in _directives(v)]
    return []


@pytest.mark.parametrize("case", [c for c in CASES if c["ref"] != "error"], ids=lambda c: c["name"])
def test_no_directive_reaches_the_output(case):
    assert not _directives(ours(case))


# -- properties -----------------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
scalars = st.one_of(st.text(max_size=8), st.integers(-5, 5000), st.booleans())


@st.composite
def deployments(draw):
    containers = []
    for name in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        c = {"name": name, "image": draw(names) + ":" + str(draw(st.integers(1, 9)))}
        if draw(st.booleans()):
            c["env"] = [{"name": n.upper().replace("-", "_"), "value": draw(st.text(max_size=5))}
                        for n in draw(st.lists(names, max_size=3, unique=True))]
        if draw(st.booleans()):
            c["ports"] = [{"containerPort": p, "protocol": draw(st.sampled_from(["TCP", "UDP"]))}
                          for p in draw(st.lists(st.integers(1, 65535), max_size=3, unique=True))]
        if draw(st.booleans()):
            c["args"] = draw(st.lists(st.text(max_size=5), max_size=3))
        containers.append(c)
    d = copy.deepcopy(DEP)
    d["spec"]["replicas"] = draw(st.integers(0, 50))
    d["spec"]["template"]["spec"]["containers"] = containers
    d["metadata"]["labels"] = draw(st.dictionaries(names, names, max_size=3))
    return d


@st.composite
def services(draw):
    s = copy.deepcopy(SVC)
    ports = draw(st.lists(st.tuples(st.integers(1, 65535), st.sampled_from(["TCP", "UDP"])), max_size=4, unique=True))
    s["spec"]["ports"] = [{"name": f"p{i}", "port": p, "protocol": proto} for i, (p, proto) in enumerate(ports)]
    return s


@settings(max_examples=150, deadline=None)
@given(st.one_of(deployments(), services()))
def test_empty_patch_is_identity(obj):
    t = default_schemas().type_for(obj["apiVersion"], obj["kind"])
    patch = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": {"name": obj["metadata"]["name"]}}
    assert strategic_merge(copy.deepcopy(obj), patch, t) == obj


@settings(max_examples=150, deadline=None)
@given(deployments(), st.data())
def test_a_value_set_by_a_patch_reads_back(obj, data):
    t = default_schemas().type_for("apps/v1", "Deployment")
    containers = obj["spec"]["template"]["spec"]["containers"]
    target = data.draw(st.sampled_from(containers))["name"]
    image = data.draw(names) + ":new"
    env_name = data.draw(st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True))
    env_value = data.draw(st.text(max_size=6))
    label = data.draw(scalars.map(str))
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"patched": label}},
             "spec": {"template": {"spec": {"containers": [
                 {"name": target, "image": image, "env": [{"name": env_name, "value": env_value}]}]}}}}
    result = strategic_merge(copy.deepcopy(obj), patch, t)
    got = next(c for c in result["spec"]["template"]["spec"]["containers"] if c["name"] == target)
    assert got["image"] == image
    assert {"name": env_name, "value": env_value} in got["env"]
    assert result["metadata"]["labels"]["patched"] == label
    # nothing else was lost
    assert {c["name"] for c in result["spec"]["template"]["spec"]["containers"]} == {c["name"] for c in containers}
