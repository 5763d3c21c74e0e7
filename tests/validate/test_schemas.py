"""JSON-schema validation: built-in kinds for a chosen Kubernetes version, custom kinds
from CRDs / OpenAPI documents, notes for kinds without a schema."""

from __future__ import annotations

import pytest

from kcompile.errors import KcompileError
from kcompile.validate import validate

from .helpers import deployment, load

RESIZE = deployment().replace("        image: nginx:1.25\n",
                              "        image: nginx:1.25\n        resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]\n")


def test_unknown_field_is_an_error_at_its_line(tmp_path):
    text = deployment().replace("        image: nginx:1.25\n", "        image: nginx:1.25\n        imagePolicy: Always\n")
    (f,) = [f for f in validate(load(tmp_path, text)) if f.severity == "error"]
    assert "unknown field 'imagePolicy'" in f.message
    assert (f.path, f.line) == ("spec.template.spec.containers[name=web].imagePolicy", 17)


def test_wrong_type_points_at_the_field(tmp_path):
    (f,) = validate(load(tmp_path, deployment(replicas='"two"')))
    assert "is not of type" in f.message and (f.path, f.line) == ("spec.replicas", 7)


def test_missing_required_field_points_at_its_parent(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  restartPolicy: Never\n")
    (f,) = [f for f in validate(rs) if f.severity == "error"]
    assert "containers" in f.message and (f.path, f.line) == ("spec", 4)


def test_kube_version_selects_the_schemas(tmp_path):
    rs = load(tmp_path, RESIZE)
    assert validate(rs, kube_version="1.37") == []
    (f,) = validate(rs, kube_version="1.25")  # resizePolicy came later
    assert "unknown field 'resizePolicy'" in f.message and f.line == 17


def test_default_is_the_newest_installed_version(tmp_path):
    assert validate(load(tmp_path, RESIZE)) == []


@pytest.mark.parametrize("version, message", [("1.2", "no schemas for Kubernetes 1.2"), ("latest", "invalid Kubernetes version")])
def test_bad_kube_version_is_a_user_error(tmp_path, version, message):
    with pytest.raises(KcompileError, match=message):
        validate(load(tmp_path, deployment()), kube_version=version)


WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: big\n"
CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"""


def test_unknown_kind_is_skipped_with_a_note(tmp_path):
    findings = validate(load(tmp_path, WIDGET))
    assert [(f.severity, f.object) for f in findings] == [("note", "Widget (example.com/v1)")]
    assert "not schema-checked" in findings[0].message


def test_custom_kind_against_a_given_crd(tmp_path):
    from kcompile.yaml.read import load_one

    crd = load_one(CRD)
    (f,) = validate(load(tmp_path, WIDGET), extra_schemas=[(crd, "crd.yaml")])
    assert f.severity == "error" and "is not of type" in f.message and (f.path, f.line) == ("spec.size", 5)
    assert validate(load(tmp_path, WIDGET.replace("big", "3")), extra_schemas=[crd]) == []


def test_custom_kind_against_a_crd_in_the_build(tmp_path):
    rs = load(tmp_path, CRD + "---\n" + WIDGET)
    (f,) = validate(rs)
    assert "is not of type" in f.message and f.object == "Widget/w"


def test_custom_kind_against_an_openapi_document(tmp_path):
    openapi = {"definitions": {"com.example.v1.Widget": {
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Widget"}],
        "properties": {"spec": {"$ref": "#/definitions/com.example.v1.WidgetSpec"}},
    }, "com.example.v1.WidgetSpec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}
    (f,) = validate(load(tmp_path, WIDGET), extra_schemas=[(openapi, "openapi.json")])
    assert "is not of type" in f.message and f.line == 5


def test_an_unusable_schema_is_a_warning_not_a_crash(tmp_path):
    openapi = {"definitions": {"W": {
        "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Widget"}],
        "properties": {"spec": {"$ref": "#/definitions/Missing"}}}}}
    findings = validate(load(tmp_path, WIDGET), extra_schemas=[openapi])
    assert [f.severity for f in findings] == ["warning"] and "cannot be used" in findings[0].message


def test_validating_a_valid_build_never_reads_source_files(tmp_path, monkeypatch):
    """Locations are found only for findings: a clean build pays nothing for them."""
    import kcompile.validate.locate as locate

    def boom(*a, **k):
        raise AssertionError("source re-parsed without a finding")

    monkeypatch.setattr(locate, "_composed", boom)
    assert validate(load(tmp_path, deployment())) == []


@pytest.mark.parametrize("data, path", [
    ("stringData: {password: 987654321}", "stringData.password"),
    ("data: {password: [hunter2-secret]}", "data.password"),
    ("data: hunter2-secret-map", "data"),
])
def test_schema_errors_on_secret_values_do_not_show_them(tmp_path, data, path):
    res = load(tmp_path, f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\n{data}\n")
    findings = [f for f in validate(res) if f.severity == "error"]
    assert [f.path for f in findings] == [path]
    message = findings[0].message
    assert "(sensitive value)" in message
    assert "987654321" not in message and "hunter2" not in message
