"""Object names by kind, namespaces, and label keys and values (metadata and pod template).

Through :func:`kcompile.validate.validate`: each finding's severity, object, field path
and the file line it points at."""

from __future__ import annotations

import pytest

from kcompile.validate import validate

from ..helpers import deployment, errors, load, only


@pytest.mark.parametrize("kind, name, bad", [
    ("ConfigMap", "web.config", False),  # subdomain: dots allowed
    ("ConfigMap", "Web", True),
    ("ConfigMap", "web_config", True),
    ("ConfigMap", "-web", True),
    ("ConfigMap", "a" * 253, False),
    ("ConfigMap", "a" * 254, True),
    ("Service", "web.api", True),  # Services need a DNS-1123 label
    ("Service", "a" * 64, True),
    ("Namespace", "team-a", False),
    ("ClusterRole", "system:web", False),  # RBAC names are path segments
])
def test_names(tmp_path, kind, name, bad):
    api = "rbac.authorization.k8s.io/v1" if kind == "ClusterRole" else "v1"
    spec = "\nspec: {ports: [{port: 80}]}" if kind == "Service" else ""
    rs = load(tmp_path, f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}{spec}\n")
    found = [f for f in validate(rs) if f.path == "metadata.name" and f.severity == "error"]
    assert bool(found) == bad, found and found[0].message
    if bad:
        assert found[0].line == 4


@pytest.mark.parametrize("key, value, problem", [
    ("app", "web", None),
    ("app.kubernetes.io/name", "web", None),
    ("example.com/a_b.c-d", "A.b_c-9", None),
    ("app", "", None),
    ("bad key", "x", "label key 'bad key'"),
    ("Example.com/app", "x", "prefix must be a DNS-1123 subdomain"),
    ("/app", "x", "prefix must be a DNS-1123 subdomain"),
    ("app", "a b", "label value 'a b'"),
    ("app", "-web", "label value '-web'"),
    ("app", "x" * 64, "63 characters"),
    ("k" * 64, "x", "63 characters"),
])
def test_label_syntax(tmp_path, key, value, problem):
    rs = load(tmp_path, f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    '{key}': '{value}'\n")
    found = errors(validate(rs))
    if problem is None:
        assert found == []
    else:
        f = only(found, problem)
        assert f.path == f"metadata.labels.{key}" and f.line == 6


def test_pod_template_labels_are_checked_too(tmp_path):
    text = deployment().replace("labels: {app: web}\n    spec:", "labels: {app: web, 'bad key!': x}\n    spec:")
    f = only(validate(load(tmp_path, text)), "label key 'bad key!'")
    assert f.path == "spec.template.metadata.labels.bad key!" and f.line == 12


def test_invalid_namespace(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: Team_A\n")
    f = only(validate(rs), "namespace 'Team_A'")
    assert (f.path, f.line) == ("metadata.namespace", 5)
