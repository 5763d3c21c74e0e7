"""Duplicate objects: same group, kind, namespace and name.

Through :func:`kcompile.validate.validate`: each finding's severity, object, field path
and the file line it points at."""

from __future__ import annotations

import pytest

from kcompile.validate import validate
from kcompile.validate.checks import duplicates

from ..helpers import load, only


def test_duplicate_ids(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    f = only(validate(rs), "defined twice")
    assert (f.severity, f.object, f.path, f.line) == ("error", "ConfigMap/x", "metadata.name", 7)


def test_same_name_in_other_namespace_or_kind_is_no_duplicate(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\n---\n"
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: b}\n---\n"
                        "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: a}\n")
    assert validate(rs) == []


def _cm(name: str, namespace: str | None = None, api: str = "v1", kind: str = "ConfigMap") -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}{ns}}}\n"


E = ("error", "metadata.name")
W = ("warning", "apiVersion")  # same object in two API versions: one object in the cluster


@pytest.mark.parametrize("documents, duplicated", [
    ([_cm("x"), _cm("y")], []),
    ([_cm("x"), _cm("x")], [("ConfigMap/x", *E)]),
    ([_cm("x"), _cm("x"), _cm("x")], [("ConfigMap/x", *E), ("ConfigMap/x", *E)]),  # each repeat is reported
    ([_cm("x", "a"), _cm("x", "a")], [("ConfigMap/a/x", *E)]),
    ([_cm("x", "a"), _cm("x", "b")], []),
    ([_cm("x"), _cm("x", kind="Secret")], []),
    # the version is no part of the identity, the group is; two versions are a warning
    # (the v1 and v2 samples an operator scaffold writes)
    ([_cm("d", api="apps/v1", kind="Deployment"), _cm("d", api="apps/v1beta2", kind="Deployment")],
     [("Deployment/d", *W)]),
    ([_cm("s", api="cache.example.com/v1", kind="Memcached"), _cm("s", api="cache.example.com/v2", kind="Memcached"),
      _cm("s", api="cache.example.com/v2", kind="Memcached")], [("Memcached/s", *W), ("Memcached/s", *E)]),
    ([_cm("d", api="apps/v1", kind="Deployment"), _cm("d", api="extensions/v1beta1", kind="Deployment")], []),
])
def test_check(tmp_path, documents, duplicated):
    findings = duplicates.check(load(tmp_path, "---\n".join(documents)))
    assert [(f.object, f.severity, f.path) for f in findings] == duplicated
