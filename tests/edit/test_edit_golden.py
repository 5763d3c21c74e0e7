"""`kcompile edit`: golden cases (file before, command, file after) for every verb, in
several file styles; only the lines an edit means to change may change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kcompile.cli import main

# (name, file before, edit arguments, file after)
CASES = [
    ("set-image-updates-in-place-keeping-comments",
     "# prod\nimages:\n  - name: nginx\n    newTag: \"1.21\"   # pinned\n  - name: redis # cache\n    newName: cache\n",
     ["set", "image", "nginx:1.25"],
     "# prod\nimages:\n  - name: nginx\n    newTag: \"1.25\"   # pinned\n  - name: redis # cache\n    newName: cache\n"),
    ("set-image-name-tag-digest",
     "resources:\n- app.yaml\n",
     ["set", "image", "app=registry.example:5000/team/app:2.0@sha256:abc123"],
     "resources:\n- app.yaml\nimages:\n- name: app\n  newName: registry.example:5000/team/app\n  newTag: '2.0'\n"
     "  digest: sha256:abc123\n"),
    ("set-image-replaces-whole-entry-as-kustomize",
     "images:\n- name: app\n  newName: other\n  newTag: v1\n",
     ["set", "image", "app@sha256:ff"],
     "images:\n- name: app\n  digest: sha256:ff\n"),
    ("set-image-star-keeps-parts",
     "images:\n- name: app\n  newName: mirror/app\n  newTag: v1\n",
     ["set", "image", "app=*:v2"],
     "images:\n- name: app\n  newName: mirror/app\n  newTag: v2\n"),
    ("set-image-new-entries-sorted-into-sorted-list",
     "images:\n- name: a\n  newTag: '1'\n- name: c\n  newTag: '1'\n",
     ["set", "image", "b:2", "d=e"],
     "images:\n- name: a\n  newTag: '1'\n- name: b\n  newTag: '2'\n- name: c\n  newTag: '1'\n- name: d\n  newName: e\n"),
    ("set-image-flow-style-list",
     "images: [{name: a, newTag: '1'}]\nnamespace: x\n",
     ["set", "image", "a:2"],
     "images: [{name: a, newTag: '2'}]\nnamespace: x\n"),
    ("set-replicas",
     "replicas:\n- name: web\n  count: 1\n",
     ["set", "replicas", "web=5", "worker=2"],
     "replicas:\n- name: web\n  count: 5\n- name: worker\n  count: 2\n"),
    ("set-namespace-prefix-suffix",
     "namespace: dev   # env\nresources: [a.yaml]\n",
     ["set", "namespace", "prod"],
     "namespace: prod  # env\nresources: [a.yaml]\n"),  # the comment keeps its column
    ("set-nameprefix",
     "resources: [a.yaml]\n",
     ["set", "nameprefix", "prod-"],
     "resources: [a.yaml]\nnamePrefix: prod-\n"),
    ("set-namesuffix",
     "nameSuffix: -v1\n",
     ["set", "namesuffix", "--", "-v2"],  # as with kustomize: '--' before a value starting with '-' 
     "nameSuffix: -v2\n"),
    ("set-label-into-commonlabels-flow-map",
     "commonLabels: {app: web}\n",
     ["set", "label", "env:prod", "app:site"],
     "commonLabels: {app: site, env: prod}\n"),
    ("set-label-without-selector",
     "resources: [a.yaml]\n",
     ["set", "label", "team:core", "--without-selector"],
     "resources: [a.yaml]\nlabels:\n- pairs:\n    team: core\n"),
    ("set-annotation",
     "commonAnnotations:\n  owner: a\n",
     ["set", "annotation", "owner:b", "url:https://x.example/y"],
     "commonAnnotations:\n  owner: b\n  url: https://x.example/y\n"),
    ("add-resource-and-glob",
     "resources:\n- a.yaml  # first\n",
     ["add", "resource", "b.yaml", "c*.yaml", "a.yaml"],
     "resources:\n- a.yaml  # first\n- b.yaml\n- c1.yaml\n- c2.yaml\n"),
    ("add-component",
     "resources: [a.yaml]\n",
     ["add", "component", "comp"],
     "resources: [a.yaml]\ncomponents:\n- comp\n"),
    ("add-base-is-a-resource",
     "resources:\n- a.yaml\n",
     ["add", "base", "base"],
     "resources:\n- a.yaml\n- base\n"),
    ("add-patch-with-target",
     "resources: [a.yaml]\n",
     ["add", "patch", "--path", "p.yaml", "--kind", "Deployment", "--name", "web"],
     "resources: [a.yaml]\npatches:\n- path: p.yaml\n  target:\n    kind: Deployment\n    name: web\n"),
    ("add-configmap",
     "resources: [a.yaml]\n",
     ["add", "configmap", "cfg", "--from-literal=A=1", "--from-file=b.yaml"],
     "resources: [a.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals:\n  - A=1\n  files:\n  - b.yaml\n"),
    ("add-secret-with-type",
     "resources: [a.yaml]\n",
     ["add", "secret", "tls", "--from-literal=k=v", "--type", "Opaque"],
     "resources: [a.yaml]\nsecretGenerator:\n- name: tls\n  type: Opaque\n  literals:\n  - k=v\n"),
    ("add-label-and-annotation",
     "resources: [a.yaml]\n",
     ["add", "label", "a:b"],
     "resources: [a.yaml]\ncommonLabels:\n  a: b\n"),
    ("add-annotation",
     "commonAnnotations:\n  x: y\n",
     ["add", "annotation", "z:w"],
     "commonAnnotations:\n  x: y\n  z: w\n"),
    ("add-buildmetadata",
     "resources: [a.yaml]\n",
     ["add", "buildmetadata", "originAnnotations,managedByLabel"],
     "resources: [a.yaml]\nbuildMetadata:\n- originAnnotations\n- managedByLabel\n"),
    ("remove-resource",
     "resources:\n- a.yaml\n- b.yaml # keep\n- c1.yaml\n",
     ["remove", "resource", "a.yaml", "c*"],
     "resources:\n- b.yaml # keep\n"),
    ("remove-patch",
     "patches:\n- path: p.yaml\n- path: q.yaml\n",
     ["remove", "patch", "--path", "p.yaml"],
     "patches:\n- path: q.yaml\n"),
    ("remove-label",
     "commonLabels:\n  a: b\n  c: d\n",
     ["remove", "label", "a"],
     "commonLabels:\n  c: d\n"),
    ("remove-annotation-ignoring-absent",
     "commonAnnotations:\n  a: b\n",
     ["remove", "annotation", "a", "zz", "-i"],
     ""),
    ("remove-configmap-and-secret",
     "configMapGenerator:\n- name: a\n  literals: [x=1]\n- name: b\n  literals: [y=1]\n",
     ["remove", "configmap", "a"],
     "configMapGenerator:\n- name: b\n  literals: [y=1]\n"),
    ("remove-secret",
     "secretGenerator:\n- name: s\n  literals: [x=1]\nresources: [a.yaml]\n",
     ["remove", "secret", "s"],
     "resources: [a.yaml]\n"),
    ("fix-legacy-fields",
     "bases:\n- ../base\npatchesStrategicMerge:\n- p.yaml\nimageTags:\n- name: a\n  newTag: '1'\n",
     ["fix"],
     "resources:\n- ../base\npatches:\n- path: p.yaml\nimages:\n- name: a\n  newTag: '1'\n"),
    ("set-value-chart-values",
     "charts:\n- chart: ../../charts/web\n  release: web\n",
     ["set", "value", "web.image.tag=1.2.3", "web.replicas=3"],
     "charts:\n- chart: ../../charts/web\n  release: web\nchartValues:\n  web:\n    image:\n      tag: 1.2.3\n    replicas: 3\n"),
    ("document-marker-and-four-space-indent",
     "---\nresources:\n    - a.yaml\nimages:\n    - name: x\n      newTag: '1'\nnamespace: a\n",
     ["set", "image", "x:2", "y:3"],
     "---\nresources:\n    - a.yaml\nimages:\n    - name: x\n      newTag: '2'\n    - name: y\n      newTag: '3'\nnamespace: a\n"),
    ("anchors-kept",
     "commonLabels: &l\n  app: web\ncommonAnnotations: *l\nnamespace: a\n",
     ["set", "namespace", "b"],
     "commonLabels: &l\n  app: web\ncommonAnnotations: *l\nnamespace: b\n"),
    ("field-names-in-another-case",
     "Images:\n- name: a\n  newTag: '1'\n",
     ["set", "image", "a:2"],
     "Images:\n- name: a\n  newTag: '2'\n"),
]

FILES = ["a.yaml", "b.yaml", "c1.yaml", "c2.yaml", "p.yaml", "q.yaml"]


def overlay(tmp_path: Path, text: str, name: str = "kustomization.yaml") -> Path:
    d = tmp_path / "ov"
    d.mkdir()
    (d / "comp").mkdir()
    (d / "base").mkdir()
    for f in FILES:
        (d / f).write_text("")
    (d / name).write_bytes(text.encode())
    return d


@pytest.mark.parametrize("name, before, args, after", CASES, ids=[c[0] for c in CASES])
def test_golden(tmp_path, capsys, name, before, args, after):
    d = overlay(tmp_path, before)
    assert main(["edit", str(d), *args]) == 0, capsys.readouterr().err
    assert (d / "kustomization.yaml").read_text() == after


@pytest.mark.parametrize("filename", ["kcompile.yaml", "kustomization.yml", "Kustomization"])
def test_every_overlay_file_name(tmp_path, filename):
    d = overlay(tmp_path, "namespace: a\n", filename)
    assert main(["edit", str(d), "set", "namespace", "b"]) == 0
    assert (d / filename).read_text() == "namespace: b\n"


def test_crlf_and_missing_final_newline_are_kept(tmp_path):
    d = overlay(tmp_path, "# c\r\nnamespace: a\r\nresources:\r\n- a.yaml")
    assert main(["edit", str(d), "set", "namespace", "b"]) == 0
    assert (d / "kustomization.yaml").read_bytes() == b"# c\r\nnamespace: b\r\nresources:\r\n- a.yaml"


def test_file_mode_is_kept(tmp_path):
    d = overlay(tmp_path, "namespace: a\n")
    (d / "kustomization.yaml").chmod(0o640)
    assert main(["edit", str(d), "set", "namespace", "b"]) == 0
    assert (d / "kustomization.yaml").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("args, message", [
    (["set", "image", "a=b=c"], "invalid image 'a=b=c'"),
    (["set", "image", "=x:1"], "invalid image '=x:1'"),
    (["set", "image", "noseparator"], "invalid image 'noseparator'"),
    (["set", "replicas", "web=three"], "invalid replicas 'web=three'"),
    (["set", "namespace", "Not_Valid"], "invalid namespace 'Not_Valid'"),
    (["set", "label", "nocolon"], "invalid label 'nocolon'"),
    (["add", "resource", "missing.yaml"], "'missing.yaml' matches no file"),
    (["add", "label", "app:x"], "label 'app' already exists"),
    (["add", "patch", "--path", "nope.yaml"], "patch file 'nope.yaml' does not exist"),
    (["add", "patch"], "exactly one of --path FILE or --patch TEXT"),
    (["add", "configmap", "Bad_Name", "--from-literal=a=b"], "invalid name 'Bad_Name'"),
    (["add", "secret", "s", "--from-literal=novalue"], "invalid --from-literal number 1"),  # never echoed
    (["add", "configmap", "c", "--from-literal=novalue"], "invalid --from-literal 'novalue'"),
    (["add", "buildmetadata", "bogus"], "invalid buildMetadata option 'bogus'"),
    (["remove", "label", "absent"], "label 'absent' is not in"),
    (["remove", "configmap", "absent"], "'absent' is not in"),
    (["set", "value", "noreleasepath=1"], "invalid value 'noreleasepath'"),
])
def test_invalid_edit_names_the_argument_and_leaves_the_file(tmp_path, capsys, args, message):
    before = "# keep me\ncommonLabels: {app: web}\n"
    d = overlay(tmp_path, before)
    digest = hashlib.sha256((d / "kustomization.yaml").read_bytes()).hexdigest()
    assert main(["edit", str(d), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kcompile: error: ") and message in err and "Traceback" not in err
    assert hashlib.sha256((d / "kustomization.yaml").read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in d.iterdir()) == sorted(FILES + ["base", "comp", "kustomization.yaml"])


def test_invalid_yaml_is_an_error_with_its_line(tmp_path, capsys):
    d = overlay(tmp_path, "namespace: a\nresources: [a.yaml\n")
    assert main(["edit", str(d), "set", "namespace", "b"]) == 1
    err = capsys.readouterr().err
    assert "kustomization.yaml:" in err and "Traceback" not in err


def test_no_overlay_file(tmp_path, capsys):
    assert main(["edit", str(tmp_path), "set", "namespace", "b"]) == 1
    assert "no kcompile.yaml, kustomization.yaml" in capsys.readouterr().err
