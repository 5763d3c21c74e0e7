"""Loading as Kustomize does, through the CLI: each kustomization directory is the root
for the files it names (in or below it, after symlinks are resolved); the directories it
names (bases, components, charts) may lie anywhere; ``--load-restrictor none`` lifts the
file rule. Nothing depends on git, the current directory or what earlier runs left, and
no build creates anything in the tree or contacts the network. Every test runs in a git
work tree and outside any (the ``space`` fixture)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kcompile.yaml.read import load_documents
from tests.security.conftest import Guard, commit_all
from tests.security.guard import run, write_tree

SECRET = "TOPSECRET-outside-content"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata:\n  k: v\n"
OUTSIDE_CM = CM % "leak" + f"  s: {SECRET}\n"

# A file outside the overlay directory (at space/outside/), named by each kind of field
# that names a file. name -> (overlay files, FILE:LINE of the error)
FILE_FIELDS = {
    "resource": ({"ov/kustomization.yaml": "resources:\n- ../outside/leak.yaml\n"}, "ov/kustomization.yaml:2"),
    "resource-symlink": ({"ov/kustomization.yaml": "resources:\n- link.yaml\n",
                          "ov/link.yaml": "->../outside/leak.yaml"}, "ov/kustomization.yaml:2"),
    "resource-in-linked-dir": ({"ov/kustomization.yaml": "resources:\n- sub/leak.yaml\n",
                                "ov/sub": "->../outside"}, "ov/kustomization.yaml:2"),
    "patch": ({"ov/kustomization.yaml": "resources: [cm.yaml]\npatches:\n- path: ../outside/leak.yaml\n",
               "ov/cm.yaml": CM % "leak"}, "ov/kustomization.yaml:3"),
    "patch-symlink": ({"ov/kustomization.yaml": "resources: [cm.yaml]\npatches:\n- path: p.yaml\n",
                       "ov/cm.yaml": CM % "leak", "ov/p.yaml": "->../outside/leak.yaml"},
                      "ov/kustomization.yaml:3"),
    "patchesStrategicMerge": ({"ov/kustomization.yaml": "resources: [cm.yaml]\npatchesStrategicMerge:\n"
                               "- ../outside/leak.yaml\n", "ov/cm.yaml": CM % "leak"}, "ov/kustomization.yaml:3"),
    "patchesJson6902": ({"ov/kustomization.yaml": "resources: [cm.yaml]\npatchesJson6902:\n- target: "
                         "{version: v1, kind: ConfigMap, name: leak}\n  path: ../outside/ops.yaml\n",
                         "ov/cm.yaml": CM % "leak"}, "ov/kustomization.yaml:3"),
    "configMapGenerator-files": ({"ov/kustomization.yaml": "configMapGenerator:\n- name: g\n  files:\n"
                                  "  - ../outside/leak.yaml\n"}, "ov/kustomization.yaml:2"),
    "configMapGenerator-files-symlink": ({"ov/kustomization.yaml": "configMapGenerator:\n- name: g\n  files:\n"
                                          "  - k=link\n", "ov/link": "->../outside/leak.yaml"},
                                         "ov/kustomization.yaml:2"),
    "configMapGenerator-envs": ({"ov/kustomization.yaml": "configMapGenerator:\n- name: g\n  envs:\n"
                                 "  - ../outside/leak.env\n"}, "ov/kustomization.yaml:2"),
    "secretGenerator-files": ({"ov/kustomization.yaml": "secretGenerator:\n- name: g\n  files:\n"
                               "  - link\n", "ov/link": "->../outside/leak.yaml"}, "ov/kustomization.yaml:2"),
    "secretGenerator-envs": ({"ov/kustomization.yaml": "secretGenerator:\n- name: g\n  envs:\n"
                              "  - ../outside/leak.env\n"}, "ov/kustomization.yaml:2"),
    "crds": ({"ov/kustomization.yaml": "resources: [cm.yaml]\ncrds:\n- ../outside/leak.yaml\n",
              "ov/cm.yaml": CM % "a"}, "ov/kustomization.yaml:3"),
    "openapi": ({"ov/kustomization.yaml": "resources: [cm.yaml]\nopenapi:\n  path: ../outside/leak.yaml\n",
                 "ov/cm.yaml": CM % "a"}, "ov/kustomization.yaml:3"),
    "replacements": ({"ov/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- path: link.yaml\n",
                      "ov/cm.yaml": CM % "a", "ov/link.yaml": "->../outside/replacements.yaml"},
                     "ov/kustomization.yaml:3"),
    "valuesFiles": ({"ov/kcompile.yaml": "charts:\n- chart: chart\n  valuesFiles:\n  - ../outside/leak.yaml\n",
                     **{f"ov/chart/{k}": v for k, v in {
                         "Chart.yaml": "name: c\nversion: 1.0.0\n", "values.yaml": "k: v\n",
                         "templates/cm.yaml.j2": CM % "{{ values.k }}"}.items()}},
                    "ov/kcompile.yaml:4"),
    # A plain directory of manifests is the root for the files in it.
    "manifest-directory-symlink": ({"ov/kustomization.yaml": "resources:\n- manifests\n",
                                    "ov/manifests/a.yaml": CM % "a",
                                    "ov/manifests/b.yaml": "->../../outside/leak.yaml"}, "ov/kustomization.yaml:2"),
}

# Chart files are read from inside the chart directory only (the chart may lie anywhere).
CHART = {"Chart.yaml": "name: c\nversion: 1.0.0\n", "values.yaml": "name: x\n",
         "templates/cm.yaml.j2": "{% import '_h.j2' as h %}" + CM % "{{ h.name() }}",
         "templates/_h.j2": "{% macro name() %}{{ values.name }}{% endmacro %}"}
CHART_FILES = ["Chart.yaml", "values.yaml", "templates/cm.yaml.j2", "templates/_h.j2", "values.schema.json"]
OUTSIDE_FILES = {
    "outside/leak.yaml": OUTSIDE_CM,
    "outside/leak.env": f"S={SECRET}\n",
    "outside/replacements.yaml": "- source: {kind: ConfigMap, name: a, fieldPath: data.k}\n  targets:\n"
                                 "  - select: {kind: ConfigMap, name: a}\n    fieldPaths: [data.copy]\n"
                                 "    options: {create: true}\n",
    "outside/ops.yaml": f"- op: add\n  path: /data/s\n  value: {SECRET}\n",
    "outside/Chart.yaml": f"name: c\nversion: 1.0.0\ndescription: {SECRET}\n",
    "outside/values.yaml": f"name: x\nsecret: {SECRET}\n",
    "outside/cm.yaml.j2": CM % "x" + f"  s: {SECRET}\n",
    "outside/_h.j2": "{% macro name() %}" + SECRET.lower() + "{% endmacro %}",
    "outside/values.schema.json": '{"type": "object", "description": "%s"}' % SECRET,
}


def make(space: Path, files: dict[str, str]) -> None:
    """Write files; a value '->TARGET' makes a symlink instead."""
    for rel, text in files.items():
        p = space / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("->"):
            p.symlink_to(text[2:])
        else:
            p.write_text(text)


@pytest.mark.parametrize("name", sorted(FILE_FIELDS))
def test_a_file_outside_its_kustomization_directory_is_refused(name, space, capsys, listener):
    files, where = FILE_FIELDS[name]
    make(space, {**OUTSIDE_FILES, **files})
    commit_all(space)
    guard = Guard(space)
    code, out, err = run(capsys, "build", "ov")
    assert code == 1, out
    assert err.startswith(f"kcompile: error: {where}: "), err
    assert "not in or below" in err and "--load-restrictor none" in err, err
    assert SECRET not in out + err
    assert guard.changed() == {}


@pytest.mark.parametrize("name", sorted(FILE_FIELDS))
def test_load_restrictor_none_lifts_the_file_rule(name, space, capsys, listener):
    files, _where = FILE_FIELDS[name]
    make(space, {**OUTSIDE_FILES, **files})
    guard = Guard(space)
    code, out, err = run(capsys, "build", "ov", "--load-restrictor", "none", "--no-validate")
    assert code == 0, err
    assert guard.changed() == {}


@pytest.mark.parametrize("chart_file", CHART_FILES)
def test_a_chart_file_leading_outside_the_chart_is_refused(chart_file, space, capsys, listener):
    make(space, {**OUTSIDE_FILES, **{f"charts/c/{k}": v for k, v in CHART.items()},
                 "ov/kcompile.yaml": "charts:\n- chart: ../charts/c\n"})
    target = space / "charts/c" / chart_file
    target.unlink(missing_ok=True)
    target.symlink_to(os.path.relpath(space / "outside" / Path(chart_file).name, target.parent))
    commit_all(space)
    guard = Guard(space)
    code, out, err = run(capsys, "build", "ov")
    assert code == 1, out
    assert err.startswith(f"kcompile: error: charts/c/{chart_file}"), err
    assert "not in or below" in err, err
    assert SECRET not in out + err and SECRET.lower() not in out + err
    assert guard.changed() == {}
    # The rule is lifted as for every other file.
    code, out, err = run(capsys, "build", "ov", "--load-restrictor", "none", "--no-validate")
    assert code == 0, err


def test_symlinks_that_stay_inside_are_followed(space, capsys):
    make(space, {"ov/kustomization.yaml": "resources: [link.yaml, manifests]\n",
                 "ov/real/cm.yaml": CM % "a", "ov/link.yaml": "->real/cm.yaml",
                 "ov/manifests/b.yaml": CM % "b", "ov/manifests/c.yaml": "->b2.txt",
                 "ov/manifests/b2.txt": CM % "c"})
    code, out, err = run(capsys, "build", "ov", "--no-validate")
    assert code == 0, err
    assert [d.data["metadata"]["name"] for d in load_documents(out)] == ["a", "b", "c"]


BASE_AND_COMPONENT = {
    "elsewhere/base/kustomization.yaml": "resources: [cm.yaml]\n",
    "elsewhere/base/cm.yaml": CM % "base",
    "elsewhere/comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                         "commonLabels: {from: component}\n",
}


@pytest.fixture()
def outside_any_repository(tmp_path):
    """Bases and a component in a directory beside the work space (outside its repository)."""
    make(tmp_path, BASE_AND_COMPONENT)
    return tmp_path / "elsewhere"


def kustomize(ref_tools, directory: Path, cwd: Path) -> list:
    proc = subprocess.run([str(ref_tools.kubectl), "kustomize", str(directory)], cwd=cwd,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return [d.data for d in load_documents(proc.stdout)]


OVERLAY = "resources:\n- ../../elsewhere/base\ncomponents:\n- ../../elsewhere/comp\nnamePrefix: p-\n"


@pytest.mark.parametrize("cwd", [".", "ov", "ov/deeper", "/"])
def test_bases_and_components_may_lie_anywhere(cwd, space, outside_any_repository, ref_tools, capsys,
                                               monkeypatch, listener):
    make(space, {"ov/kustomization.yaml": OVERLAY, "ov/deeper/keep": ""})
    guard, beside = Guard(space), Guard(outside_any_repository)
    workdir = (space / cwd).resolve()
    monkeypatch.chdir(workdir)
    overlay = os.path.relpath(space / "ov", workdir)
    code, out, err = run(capsys, "build", overlay, "--no-validate")
    assert code == 0, err
    assert [d.data for d in load_documents(out)] == kustomize(ref_tools, space / "ov", workdir)
    assert guard.changed() == {} and beside.changed() == {}
    assert not os.path.lexists("/.kcompile") or cwd != "/"


def test_a_failed_run_creates_nothing_and_leftovers_change_nothing(space, outside_any_repository, capsys,
                                                                   monkeypatch):
    make(space, {"ov/kustomization.yaml": OVERLAY})
    monkeypatch.chdir(space / "ov")
    good = run(capsys, "build", ".", "--no-validate")
    assert good[0] == 0, good[2]
    (space / "ov/kustomization.yaml").write_text(OVERLAY + "resources: [missing.yaml]\n")
    guard = Guard(space.parent)
    code, out, err = run(capsys, "build", ".")
    assert code == 1 and out == ""
    assert {p: c for p, c in guard.changed().items() if not p.startswith("user-cache")} == {}
    assert not (space / "ov/.kcompile").exists()
    # What earlier runs (or another tool) left behind changes no build: a '.kcompile' in
    # the overlay directory or above the repository is not a repository root.
    (space / "ov/kustomization.yaml").write_text(OVERLAY)
    for leftover in (space / "ov/.kcompile", space.parent / ".kcompile"):
        leftover.mkdir()
        for cwd in (space / "ov", space):
            monkeypatch.chdir(cwd)
            again = run(capsys, "build", os.path.relpath(space / "ov", cwd), "--no-validate")
            assert again[:2] == good[:2], again[2]


def test_the_build_does_not_depend_on_the_current_directory(space, outside_any_repository, capsys, monkeypatch):
    make(space, {"ov/kustomization.yaml": OVERLAY.replace("- ../../elsewhere/base\n", "- ../../elsewhere/base\n- cm.yaml\n"),
                 "ov/cm.yaml": CM % "own"})
    outputs = set()
    for cwd in (space, space / "ov", outside_any_repository, Path("/")):
        monkeypatch.chdir(cwd)
        code, out, err = run(capsys, "build", str(space / "ov"), "--no-validate")
        assert code == 0, err
        outputs.add(out)
    assert len(outputs) == 1


def test_a_base_file_must_lie_in_the_base_directory(space, capsys):
    """The base is the root for the files it names, even when an overlay above it holds them."""
    make(space, {"ov/kustomization.yaml": "resources: [../base]\n", "ov/cm.yaml": CM % "a",
                 "base/kustomization.yaml": "resources:\n- ../ov/cm.yaml\n"})
    code, out, err = run(capsys, "build", "ov")
    assert code == 1
    assert err.startswith("kcompile: error: base/kustomization.yaml:2: ") and "not in or below" in err, err


# JSON Schema $ref: inside the document, or (values.schema.json) a file beside it in the
# chart; never a URL. name -> (schema text given the listener's URL, extra chart files,
# expected exit status, message fragment)
def values_schema_cases(url: str) -> dict[str, tuple]:
    return {
        "http": ('{"properties": {"name": {"$ref": "%s/name.json"}}}' % url, {}, 1, "refused"),
        "https": ('{"properties": {"name": {"$ref": "https://127.0.0.1:1/name.json"}}}', {}, 1, "refused"),
        "file-url": ('{"properties": {"name": {"$ref": "file:///etc/passwd"}}}', {}, 1, "refused"),
        "id-makes-relative-remote": ('{"$id": "%s/s.json", "properties": {"name": {"$ref": "name.json"}}}' % url,
                                     {}, 1, "refused"),
        "same-document": ('{"$defs": {"n": {"type": "string"}}, "properties": {"name": {"$ref": "#/$defs/n"}}}',
                          {}, 0, ""),
        "file-beside": ('{"properties": {"name": {"$ref": "defs.json#/n"}}}',
                        {"defs.json": '{"n": {"type": "string", "maxLength": 3}}'}, 1, "values.name"),
        "file-beside-leading-outside": ('{"properties": {"name": {"$ref": "defs.json#/n"}}}',
                                        {"defs.json": "->../../outside/values.schema.json"}, 1, "not in or below"),
        "absolute-path": ('{"properties": {"name": {"$ref": "/etc/passwd"}}}', {}, 1, "not in or below"),
    }


@pytest.mark.parametrize("name", sorted(values_schema_cases("http://x")))
def test_values_schema_refs_stay_inside_the_chart(name, space, capsys, listener):
    schema, extra, status, fragment = values_schema_cases(listener.url)[name]
    make(space, {**OUTSIDE_FILES, **{f"charts/c/{k}": v for k, v in CHART.items()},
                 "charts/c/values.schema.json": schema, **{f"charts/c/{k}": v for k, v in extra.items()},
                 "ov/kcompile.yaml": "charts:\n- chart: ../charts/c\n  values: {name: long-name}\n"})
    guard = Guard(space)
    code, out, err = run(capsys, "build", "ov", "--no-validate")
    assert code == status, err
    assert fragment in err
    if status:  # a refusal names the schema; a violation (the $ref followed) the values' file
        assert err.startswith("kcompile: error: " + ("ov/kcompile.yaml" if name == "file-beside" else "charts/c/")), err
    assert SECRET not in out + err and "root:" not in err  # nothing of /etc/passwd or outside
    assert guard.changed() == {}


def crd_with_ref(ref: str) -> str:
    return f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.example.com}}
spec:
  group: example.com
  names: {{kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {{$ref: "{ref}"}}
"""


WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1}\n"


@pytest.mark.parametrize("how", ["crds-field", "in-the-build"])
@pytest.mark.parametrize("ref", ["http", "file", "relative"])
def test_crd_schema_refs_never_leave_the_document(how, ref, space, capsys, listener):
    target = {"http": f"{listener.url}/spec.json", "file": "file:///etc/passwd", "relative": "spec.json"}[ref]
    files = {"ov/widget.yaml": WIDGET, "ov/crd.yaml": crd_with_ref(target), "ov/spec.json": '{"type": "object"}'}
    files["ov/kustomization.yaml"] = ("resources: [widget.yaml]\ncrds: [crd.yaml]\n" if how == "crds-field"
                                      else "resources: [crd.yaml, widget.yaml]\n")
    make(space, files)
    guard = Guard(space)
    code, out, err = run(capsys, "validate", "ov")
    # the schema cannot be used: a warning says so, the object is not schema-checked
    # (a relative reference has no base to resolve against: never retrieved either)
    assert "cannot be used" in out + err and ("refused" if ref != "relative" else "not present") in out + err
    assert "root:" not in out + err
    assert guard.changed() == {}
