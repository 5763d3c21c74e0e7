"""Transformer configurations (kcompile/transform/config.py): parsing ``configurations``
files, merging tables as Kustomize does, and transformers reading the merged tables."""

from __future__ import annotations

import pytest

from kcompile.errors import KcompileError
from kcompile.fields.specs import fs
from kcompile.model import Resource
from kcompile.transform import images, metadata, namespace, prefixsuffix, replicas
from kcompile.transform.config import DEFAULT, TransformerConfig, parse_config
from kcompile.transform.nameref import fix_name_references
from kcompile.yaml.read import load_documents

# (configuration file text, table attribute, the specs it holds)
PARSE_CASES = {
    "namespace-create": ("namespace:\n- {kind: Widget, group: x.io, path: spec/ns, create: true}\n",
                         "namespace", (fs("spec/ns", "Widget", "x.io", create=True),)),
    "list-path": ("images:\n- {kind: Job, path: 'spec/steps[]/image'}\n", "images", (fs("spec/steps[]/image", "Job"),)),
    "escaped-slash": ("commonAnnotations:\n- path: 'metadata/annotations/a.io\\/b'\n", "common_annotations",
                      (fs("metadata/annotations/a.io\\/b"),)),
    "var-reference": ("varReference:\n- {path: spec/commonName, kind: Certificate}\n", "var_reference",
                      (fs("spec/commonName", "Certificate"),)),
    "prefix": ("namePrefix:\n- {path: spec/queue, kind: Worker}\n", "name_prefix", (fs("spec/queue", "Worker"),)),
    "unknown-table-ignored": ("somethingElse: [1, 2]\n", "images", ()),
    "create-as-text": ("replicas:\n- {path: spec/size, kind: Db, create: 'true'}\n", "replicas",
                       (fs("spec/size", "Db", create=True),)),
}


@pytest.mark.parametrize("name", sorted(PARSE_CASES))
def test_parse_config(name):
    text, attr, expected = PARSE_CASES[name]
    config = parse_config(load_documents(text, "c.yaml")[0].data, "c.yaml")
    assert getattr(config, attr) == expected


def test_name_references_merge_by_target_kind():
    a = parse_config({"nameReference": [{"kind": "Issuer", "group": "cert-manager.io", "fieldSpecs": [
        {"kind": "Certificate", "path": "spec/issuerRef/name"}]}]}, "a.yaml")
    b = parse_config({"nameReference": [{"kind": "Issuer", "group": "cert-manager.io", "fieldSpecs": [
        {"kind": "Certificate", "path": "spec/issuerRef/name"}, {"kind": "Order", "path": "spec/issuer"}]}]}, "b.yaml")
    merged = a.merge(b)
    assert len(merged.name_references) == 1
    assert [s.path for s in merged.name_references[0].referrers] == [("spec", "issuerRef", "name"), ("spec", "issuer")]


def test_merging_what_is_already_there_keeps_the_same_config():
    assert DEFAULT.merge(TransformerConfig()) is DEFAULT
    assert DEFAULT.merge(DEFAULT) is DEFAULT
    again = parse_config({"commonLabels": [{"path": "metadata/labels", "create": True}]}, "c.yaml")
    assert DEFAULT.merge(again) is DEFAULT


def test_conflicting_create_is_an_error():
    conflicting = parse_config({"commonLabels": [{"path": "metadata/labels", "create": False}]}, "c.yaml")
    with pytest.raises(KcompileError, match="conflicting fieldspecs"):
        DEFAULT.merge(conflicting, "c.yaml")


def _objects(text: str) -> list[Resource]:
    return [Resource(d.data) for d in load_documents(text, "r.yaml")]


WIDGET = """\
apiVersion: x.io/v1
kind: Widget
metadata: {name: w}
spec:
  image: app:1
  size: 1
  ref: settings
  selector: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
"""

EXTRA = parse_config(load_documents("""\
commonLabels: [{kind: Widget, path: spec/selector, create: true}]
images: [{kind: Widget, path: spec/image}]
replicas: [{kind: Widget, path: spec/size}]
namespace: [{kind: Widget, path: spec/ns, create: true}]
namePrefix: [{kind: Widget, path: spec/ref}]
nameReference:
- kind: ConfigMap
  version: v1
  fieldSpecs: [{kind: Widget, path: spec/ref}]
""", "c.yaml")[0].data, "c.yaml")
CONFIG = DEFAULT.merge(EXTRA)

# transformer run with the merged configuration -> (field path, expected value) on the Widget
TRANSFORM_CASES = {
    "labels": (lambda rs: metadata.apply_labels(rs, {"team": "a"}, None, config=CONFIG), ("spec", "selector"),
               {"team": "a"}),
    "images": (lambda rs: images.apply_images(rs, [{"name": "app", "newTag": "2"}], config=CONFIG),
               ("spec", "image"), "app:2"),
    "replicas": (lambda rs: replicas.apply_replicas(rs, [{"name": "w", "count": 4}], config=CONFIG),
                 ("spec", "size"), 4),
    "namespace": (lambda rs: namespace.set_namespace(rs, "prod", config=CONFIG), ("spec", "ns"), "prod"),
    "prefix-extra-field": (lambda rs: prefixsuffix.add_prefix_suffix(rs, prefix="p-", config=CONFIG),
                           ("spec", "ref"), "p-settings"),
    "default-config-leaves-it": (lambda rs: images.apply_images(rs, [{"name": "app", "newTag": "2"}]),
                                 ("spec", "image"), "app:1"),
}


@pytest.mark.parametrize("name", sorted(TRANSFORM_CASES))
def test_transformers_read_the_merged_tables(name):
    run, path, expected = TRANSFORM_CASES[name]
    resources = _objects(WIDGET)
    run(resources)
    node = resources[0].body
    for key in path:
        node = node[key]
    assert node == expected


def test_name_reference_from_configuration_follows_a_rename():
    resources = _objects(WIDGET)
    resources[1].rename(name="settings-abc")
    fix_name_references(resources, CONFIG)
    assert resources[0].body["spec"]["ref"] == "settings-abc"
    untouched = _objects(WIDGET)
    untouched[1].rename(name="settings-abc")
    fix_name_references(untouched)
    assert untouched[0].body["spec"]["ref"] == "settings"


def test_legacy_crd_definitions_declare_field_specs():
    from kcompile.transform.config import config_from_crd_definitions

    definitions = {
        "example.org/api/v1.Job": {"Schema": {"properties": {
            "apiVersion": {}, "kind": {}, "metadata": {}, "spec": {"$ref": "example.org/api/v1.JobSpec"}}}},
        "example.org/api/v1.JobSpec": {"Schema": {"properties": {
            "configRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "ConfigMap"},
            "podSelector": {"x-kubernetes-label-selector": ""},
            "self": {"$ref": "example.org/api/v1.JobSpec"}}}},  # recursive: not followed again
    }
    config = config_from_crd_definitions(definitions)
    assert config.common_labels == (fs("spec/podSelector", "Job"),)
    (ref,) = config.name_references
    assert (ref.target_version, ref.target_kind) == ("v1", "ConfigMap")
    assert [s.path for s in ref.referrers] == [("spec", "configRef", "name")]
    assert config_from_crd_definitions({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}) is None
