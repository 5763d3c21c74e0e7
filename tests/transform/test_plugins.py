"""Builtin plugin configurations (kcompile/transform/plugins.py) in ``transformers``,
``generators`` and ``validators``: each kind drives the transformer module it configures.
Table: plugin configuration -> what the built objects show."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcompile.build import BuildOptions, build
from kcompile.errors import KcompileError

OBJECTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {tier: front}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.21"}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot}
"""


def _build(tmp_path: Path, field: str, plugin: str) -> dict:
    (tmp_path / "objects.yaml").write_text(OBJECTS)
    (tmp_path / "plugin.yaml").write_text("apiVersion: builtin\n" + plugin)
    (tmp_path / "kustomization.yaml").write_text(f"resources: [objects.yaml]\n{field}: [plugin.yaml]\n")
    result = build(tmp_path, BuildOptions(repo_root=tmp_path, use_cache=False))
    return {f"{r.kind}/{r.name}": r.body for r in result.resources}


def _get(body: dict, path: str):
    node = body
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


# plugin (after apiVersion) -> (object, field path, expected value)
TRANSFORMER_CASES = {
    "labels-own-fieldspecs": ("kind: LabelTransformer\nmetadata: {name: l}\nlabels: {env: qa}\n"
                              "fieldSpecs: [{path: spec/template/metadata/labels, kind: Deployment, create: true}]\n",
                              "Deployment/web", "spec.template.metadata.labels", {"app": "web", "env": "qa"}),
    "annotations": ("kind: AnnotationsTransformer\nmetadata: {name: a}\nannotations: {team: x}\n"
                    "fieldSpecs: [{path: metadata/annotations, create: true}]\n",
                    "ServiceAccount/robot", "metadata.annotations", {"team": "x"}),
    "prefix-only-where-specified": ("kind: PrefixTransformer\nmetadata: {name: p}\nprefix: x-\n"
                                    "fieldSpecs: [{path: metadata/name, kind: ServiceAccount}]\n",
                                    "ServiceAccount/x-robot", "metadata.name", "x-robot"),
    "suffix": ("kind: SuffixTransformer\nmetadata: {name: s}\nsuffix: -y\nfieldSpecs: [{path: metadata/name}]\n",
               "Deployment/web-y", "metadata.name", "web-y"),
    "namespace": ("kind: NamespaceTransformer\nmetadata: {name: n, namespace: apps}\n",
                  "Deployment/web", "metadata.namespace", "apps"),
    "image": ("kind: ImageTagTransformer\nmetadata: {name: i}\nimageTag: {name: nginx, newTag: '1.25'}\n",
              "Deployment/web", "spec.template.spec.containers.0.image", "nginx:1.25"),
    "replicas": ("kind: ReplicaCountTransformer\nmetadata: {name: r}\nreplica: {name: web, count: 3}\n"
                 "fieldSpecs: [{path: spec/replicas, kind: Deployment}]\n",
                 "Deployment/web", "spec.replicas", 3),
    "patch-inline": ("kind: PatchTransformer\nmetadata: {name: p}\ntarget: {kind: Deployment}\n"
                     "patch: '[{op: replace, path: /spec/replicas, value: 2}]'\n",
                     "Deployment/web", "spec.replicas", 2),
    "smp-inline": ("kind: PatchStrategicMergeTransformer\nmetadata: {name: s}\npatches: |\n"
                   "  apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: robot}\n  automountServiceAccountToken: false\n",
                   "ServiceAccount/robot", "automountServiceAccountToken", False),
    "json6902": ("kind: PatchJson6902Transformer\nmetadata: {name: j}\ntarget: {kind: Deployment, name: web}\n"
                 "jsonOp: '[{\"op\": \"add\", \"path\": \"/spec/paused\", \"value\": true}]'\n",
                 "Deployment/web", "spec.paused", True),
    "replacement": ("kind: ReplacementTransformer\nmetadata: {name: r}\nreplacements:\n"
                    "- source: {kind: Deployment, name: web, fieldPath: metadata.labels.tier}\n"
                    "  targets: [{select: {kind: ServiceAccount}, fieldPaths: [metadata.labels.tier], options: {create: true}}]\n",
                    "ServiceAccount/robot", "metadata.labels", {"tier": "front"}),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMER_CASES))
def test_builtin_transformer(name, tmp_path):
    plugin, obj, path, expected = TRANSFORMER_CASES[name]
    assert _get(_build(tmp_path, "transformers", plugin)[obj], path) == expected


def test_generator(tmp_path):
    got = _build(tmp_path, "generators", "kind: ConfigMapGenerator\nmetadata: {name: conf}\nliterals: [a=1]\n"
                                          "options: {disableNameSuffixHash: true}\n")
    assert got["ConfigMap/conf"]["data"] == {"a": "1"}


def test_validator_that_changes_nothing_passes(tmp_path):
    got = _build(tmp_path, "validators", "kind: LabelTransformer\nmetadata: {name: l}\nlabels: {}\n")
    assert "labels" not in got["ServiceAccount/robot"]["metadata"]


# plugin -> (field it is listed under, message fragment)
ERROR_CASES = {
    "exec-plugin": ("transformers", "apiVersion: x.io/v1\nkind: Mine\nmetadata: {name: m}\n", "exec or Go plugin"),
    "unknown-builtin": ("transformers", "kind: Nope\nmetadata: {name: m}\n", "no builtin transformer is named 'Nope'"),
    "generator-as-transformer": ("transformers", "kind: ConfigMapGenerator\nmetadata: {name: m}\n", "is a generator"),
    "transformer-as-generator": ("generators", "kind: LabelTransformer\nmetadata: {name: m}\n", "is a transformer"),
    "sort-order": ("transformers", "kind: SortOrderTransformer\nmetadata: {name: m}\n", "use 'sortOptions'"),
    "prefix-without-fieldspecs": ("transformers", "kind: PrefixTransformer\nmetadata: {name: m}\nprefix: a-\n",
                                  "fieldSpecs is not expected to be nil"),
    "json6902-without-name": ("transformers", "kind: PatchJson6902Transformer\nmetadata: {name: m}\n"
                              "target: {kind: Deployment}\njsonOp: '[]'\n", "must specify the target name"),
    "validator-changes": ("validators", "kind: LabelTransformer\nmetadata: {name: m}\nlabels: {a: b}\n"
                          "fieldSpecs: [{path: metadata/labels, create: true}]\n", "must not change the objects"),
    "iam-other-cloud": ("generators", "kind: IAMPolicyGenerator\nmetadata: {name: m}\ncloud: aws\n", "not supported"),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_plugin_errors(name, tmp_path):
    field, plugin, fragment = ERROR_CASES[name]
    if plugin.startswith("apiVersion:"):
        (tmp_path / "objects.yaml").write_text(OBJECTS)
        (tmp_path / "plugin.yaml").write_text(plugin)
        (tmp_path / "kustomization.yaml").write_text(f"resources: [objects.yaml]\n{field}: [plugin.yaml]\n")
        with pytest.raises(KcompileError, match=fragment) as e:
            build(tmp_path, BuildOptions(repo_root=tmp_path, use_cache=False))
    else:
        with pytest.raises(KcompileError, match=fragment) as e:
            _build(tmp_path, field, plugin)
    assert e.value.file == str(tmp_path / "plugin.yaml") and e.value.line == 1


# Kustomize's filesys.InsertPathPart: (path, position, part) -> result
INSERT_CASES = {
    "empty": ("", 3, "P", "P"),
    "root": ("/", 0, "P", "/P"),
    "first": ("pie", 0, "P", "P/pie"),
    "first-absolute": ("/pie", 0, "P", "/P/pie"),
    "middle": ("a/b/c", 1, "P", "a/P/b/c"),
    "middle-absolute": ("/a/b/c", 1, "P", "/a/P/b/c"),
    "past-the-end": ("a/b", 9, "P", "a/b/P"),
    "negative": ("a/b", -1, "P", "P/a/b"),
}


@pytest.mark.parametrize("name", sorted(INSERT_CASES))
def test_insert_path_part(name):
    from kcompile.transform.plugins import _insert_path_part

    path, pos, part, expected = INSERT_CASES[name]
    assert _insert_path_part(path, pos, part) == expected
