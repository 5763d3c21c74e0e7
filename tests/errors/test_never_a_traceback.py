"""Inputs that once crashed kcompile with a Python traceback, or were read in silence:
each fails as one clean ``kcompile: error: FILE:LINE: message`` line, writes nothing, and
never shows a secret value. Every case runs through the CLI, as a user or CI runs it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.errors.clirun import SECRET, assert_clean_failure, kcompile, tree_digest, write_tree

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n"
DEPLOY = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
          "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
          "    spec: {containers: [{name: c, image: nginx}]}\n")
CHART = {
    "c/Chart.yaml": "name: c\nversion: 1.0.0\n",
    "c/values.yaml": "x: 1\n",
    "c/templates/cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ release.name }}}\n"
                              "data: {x: '{{ values.x }}'}\n",
    "ov/kcompile.yaml": "charts: [{chart: ../c, release: r}]\n",
}
ONE = {"ov/kcompile.yaml": "resources: [d.yaml]\n"}


def chart(files: dict[str, str | bytes] | None = None) -> dict:
    return {**CHART, **(files or {})}


def symlink(target: str, link: str):
    return lambda root: os.symlink(target, root / link)


def fifo(path: str):
    return lambda root: os.mkfifo(root / path)


# name -> (files, argv, expected FILE:LINE (None: no file), message fragment, setup)
CASES = {
    # numbers of thousands of digits (Python refuses to convert past 4300 digits)
    "huge-integer-in-a-resource": ({**ONE, "ov/d.yaml": DEPLOY.replace("replicas", "x") + "  replicas: " + "9" * 5000 + "\n"},
                                   ["build", "ov"], None, "validation failed", None),
    "huge-integer-replicas-count": ({"ov/kcompile.yaml": "resources: [d.yaml]\nreplicas: [{name: web, count: "
                                     + "9" * 5000 + "}]\n", "ov/d.yaml": DEPLOY},
                                    ["build", "ov"], "ov/kcompile.yaml:2", "must be a 64-bit integer", None),
    "huge-integer-in-values-schema": (chart({"c/values.schema.json": '{"maximum": ' + "9" * 5000 + "}"}),
                                      ["build", "ov"], "c/values.schema.json", "number too long", None),
    # nesting
    "deeply-nested-block-lists": ({**ONE, "ov/d.yaml": CM + "x:\n" + "".join(" " * i + "-\n" for i in range(1, 3000))},
                                  ["build", "ov"], "ov/d.yaml:1", "nested more than 256 levels", None),
    "deeply-nested-flow-maps": ({**ONE, "ov/d.yaml": CM + "x: " + "{a: " * 300 + "1" + "}" * 300 + "\n"},
                                ["validate", "ov"], "ov/d.yaml:1", "nested more than 256 levels", None),
    # files that are not what they claim
    "symlink-loop-resource": (ONE, ["build", "ov"], "ov/kcompile.yaml:1", "symlink loop", symlink("d.yaml", "ov/d.yaml")),
    "symlink-loop-base": ({"ov/kcompile.yaml": "resources:\n- sub\n"}, ["build", "ov"], "ov/kcompile.yaml:2",
                          "symlink loop", symlink("sub", "ov/sub")),
    "fifo-resource": (ONE, ["build", "ov"], "ov/kcompile.yaml:1", "not a regular file", fifo("ov/d.yaml")),
    "fifo-in-manifest-directory": ({"ov/kcompile.yaml": "resources: [m]\n", "ov/m/a.yaml": CM}, ["build", "ov"],
                                   "ov/kcompile.yaml:1", "not a regular file", fifo("ov/m/b.yaml")),
    "dev-zero-without-restrictor": ({"ov/kcompile.yaml": "resources: [/dev/zero]\n"},
                                    ["build", "ov", "--load-restrictor", "none"], "ov/kcompile.yaml:1",
                                    "not a regular file", None),
    "chart-values-is-a-fifo": (chart(), ["build", "ov"], "c/values.yaml", "not a regular file",
                               lambda root: ((root / "c/values.yaml").unlink(), os.mkfifo(root / "c/values.yaml"))),
    "chart-yaml-not-utf8": (chart({"c/Chart.yaml": b"name: c\nversion: \xff\n"}), ["build", "ov"], "c/Chart.yaml",
                            "not UTF-8", None),
    "values-yaml-not-utf8": (chart({"c/values.yaml": b"x: \xfe\n"}), ["plan", "ov"], "c/values.yaml", "not UTF-8", None),
    "template-not-utf8": (chart({"c/templates/cm.yaml.j2": b"a: \xff\n"}), ["build", "ov"],
                          "c/templates/cm.yaml.j2", "not UTF-8", None),
    "values-schema-not-a-schema": (chart({"c/values.schema.json": '{"type": 5}'}), ["build", "ov"],
                                   "c/values.schema.json", "not a valid JSON Schema", None),
    "values-schema-not-an-object": (chart({"c/values.schema.json": "[1]"}), ["validate", "ov"],
                                    "c/values.schema.json:1", "must hold a JSON object", None),
    # silent truncation: control characters are errors, as in Kubernetes' own reader
    "nul-in-single-document": ({**ONE, "ov/d.yaml": CM.replace("k: v", "k: v\0w")}, ["build", "ov"],
                               "ov/d.yaml:4", "control characters are not allowed (U+0000", None),
    "nul-in-overlay-comment": ({"ov/kcompile.yaml": "# a \0 b\nresources: [d.yaml]\nnamePrefix: p-\n", "ov/d.yaml": CM},
                               ["build", "ov"], "ov/kcompile.yaml:1", "control characters", None),
    "escape-character-in-values": (chart({"c/values.yaml": "x: a\x1bb\n"}), ["build", "ov"], "c/values.yaml:1",
                                   "U+001B", None),
    "c1-control-in-resource": ({**ONE, "ov/d.yaml": CM + "# \x85 is fine, \x9b is not\n"}, ["build", "ov"],
                               "ov/d.yaml:5", "U+009B", None),
    # a value of the wrong shape, accepted in silence before
    "generator-options-labels-a-list": ({"ov/kcompile.yaml": "generatorOptions:\n  labels: [a]\n"
                                         "configMapGenerator: [{name: c, literals: [a=b]}]\n"},
                                        ["build", "ov"], "ov/kcompile.yaml:2", "'generatorOptions.labels' must be a map", None),
    "new-tag-a-map": ({"ov/kcompile.yaml": "resources: [d.yaml]\nimages:\n- name: nginx\n  newTag: {a: 1}\n",
                       "ov/d.yaml": DEPLOY}, ["build", "ov"], "ov/kcompile.yaml:4", "'images[0].newTag' must be a string", None),
    "values-files-a-string": ({**CHART, "ov/kcompile.yaml": "charts:\n- chart: ../c\n  valuesFiles: v.yaml\n",
                               "ov/v.yaml": "x: 2\n"}, ["build", "ov"], "ov/kcompile.yaml:3",
                              "'charts[0].valuesFiles' must be a list", None),
    "build-metadata-a-map-item": ({"ov/kcompile.yaml": "resources: [d.yaml]\nbuildMetadata:\n- {origin: 1}\n", "ov/d.yaml": CM},
                                  ["build", "ov"], "ov/kcompile.yaml:3", "'buildMetadata[0]' must be a string", None),
    "common-labels-value-a-list": ({"ov/kcompile.yaml": "resources: [d.yaml]\ncommonLabels:\n  a: [1]\n", "ov/d.yaml": CM},
                                   ["build", "ov"], "ov/kcompile.yaml:3", "'commonLabels.a' must be a string", None),
    "literals-a-string": ({"ov/kcompile.yaml": "configMapGenerator:\n- name: c\n  literals: a=b\n"}, ["build", "ov"],
                          "ov/kcompile.yaml:3", "'configMapGenerator[0].literals' must be a list", None),
    "patch-target-a-string": ({"ov/kcompile.yaml": "resources: [d.yaml]\npatches:\n- path: p.yaml\n  target: Deployment\n",
                               "ov/d.yaml": DEPLOY, "ov/p.yaml": "[]\n"}, ["build", "ov"], "ov/kcompile.yaml:4",
                              "'patches[0].target' must be a map", None),
    # --set: never its value in a message, list indexes bounded
    "set-names-no-release": (chart(), ["build", "ov", "--set", f"nope.x={SECRET}"], None,
                             "no chart instance of this build has release 'nope'", None),
    "set-list-index-huge": (chart(), ["build", "ov", "--set", "r.a[300000000]=1"], None,
                            "list index 300000000 is larger than 65536", None),
    "set-huge-integer": (chart(), ["build", "ov", "--set", "r.x=" + "9" * 5000, "--set", "r.y[x]=1"],
                         None, "cannot read the key path", None),
    # found by the fuzz property (tests/errors/test_fuzz_commands.py)
    "edit-overlay-with-a-huge-integer": ({"ov/kcompile.yaml": "resources: [d.yaml]\nreplicas:\n- name: web\n"
                                          "  count: " + "9" * 5000 + "\n", "ov/d.yaml": DEPLOY},
                                         ["edit", "ov", "set", "namespace", "x"], "ov/kcompile.yaml:4",
                                         "a number of more than 4300 digits cannot be edited", None),
    "edit-overlay-with-a-nul": ({"ov/kcompile.yaml": "resources: [d.yaml]\nnamePrefix: a\0b\n", "ov/d.yaml": CM},
                                ["edit", "ov", "set", "namesuffix", "x"], "ov/kcompile.yaml:2",
                                "control characters are not allowed (U+0000", None),
    "edit-overlay-nested-deeply": ({"ov/kcompile.yaml": "resources: [d.yaml]\ncommonLabels: " + "[" * 300
                                    + "]" * 300 + "\n", "ov/d.yaml": CM}, ["edit", "ov", "add", "label", "a:b"],
                                   "ov/kcompile.yaml:1", "nested more than 256 levels", None),
    "init-where-a-file-holds-a-directory-name": ({"charts/web": "mine\n"}, ["init"], None,
                                                 "charts/web exists and is not a directory", None),
    "init-below-a-file": ({"f": "mine\n"}, ["init", "f/new"], None, "cannot write f/new/", None),
    "init-with-a-name-too-long": ({}, ["init", "x" * 300], None, "File name too long", None),
    "resource-path-with-an-escaped-nul": ({"ov/kcompile.yaml": 'resources: ["d\\0.yaml"]\n'}, ["build", "ov"],
                                          "ov/kcompile.yaml:1", "a path cannot hold a NUL character", None),
    "patch-path-with-an-escaped-nul": ({**ONE, "ov/d.yaml": CM, "ov/kcompile.yaml": 'resources: [d.yaml]\n'
                                        'patches:\n- path: "p\\0.yaml"\n'}, ["validate", "ov"],
                                       "ov/kcompile.yaml:3", "a path cannot hold a NUL character", None),
    "edit-env-file-name-too-long": ({**ONE, "ov/d.yaml": CM}, ["edit", "ov", "add", "secret", "s", "--from-env-file",
                                                               "x" * 300], None, "does not exist", None),
    "edit-patch-path-too-long": ({**ONE, "ov/d.yaml": CM}, ["edit", "ov", "add", "patch", "--path", "x" * 300], None,
                                 "does not exist in ov", None),
    "edit-overlay-name-too-long": ({}, ["edit", "x" * 300, "set", "namespace", "a"], None, "is not a directory", None),
    "resource-name-too-long": ({"ov/kcompile.yaml": f"resources: [{'x' * 300}.yaml]\n"}, ["build", "ov"],
                               "ov/kcompile.yaml:1", "not found", None),
    "component-name-too-long": ({"ov/kcompile.yaml": f"components: [{'x' * 300}]\n"}, ["build", "ov"],
                                "ov/kcompile.yaml:1", "is not a directory", None),
    "service-selector-value-a-list": ({**ONE, "ov/d.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
                                       "spec:\n  selector: {app: [a]}\n  ports: [{port: 80}]\n"}, ["apply", "ov"],
                                      None, "validation failed: 1 error(s)", None),
    "show-a-revision-past-64-bits": ({**ONE, "ov/d.yaml": CM}, ["state", "show", "ov", "-" + "1" * 150], None,
                                     "environment 'ov' has no revision -111", lambda root: kcompile(["apply", "ov"], root)),
    "rollback-to-a-revision-past-64-bits": ({**ONE, "ov/d.yaml": CM}, ["rollback", "ov", "--to-revision", "9" * 30],
                                            None, "environment 'ov' has no revision 999",
                                            lambda root: kcompile(["apply", "ov"], root)),
    "chart-object-kind-a-map": (chart({"c/templates/cm.yaml.j2": "apiVersion: v1\nkind: {name: '{{ release.name }}'}\n"}),
                                ["plan", "ov"], "c/templates/cm.yaml.j2",
                                "rendered object at rendered line 1: 'kind' must be a string", None),
    "chart-object-name-a-list": (chart({"c/templates/cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                                  "  name: [a]\n"}),
                                 ["build", "ov", "--no-validate"], "c/templates/cm.yaml.j2",
                                 "'metadata.name' must be a string", None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fails_cleanly_and_writes_nothing(name, tmp_path):
    files, argv, location, fragment, setup = CASES[name]
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write_tree(repo, files)
    if setup:
        setup(repo)
    before = tree_digest(repo)
    proc = kcompile(argv, repo, env={"KCOMPILE_CACHE_DIR": str(tmp_path / "cache")}, timeout=60)
    assert_clean_failure(proc, location, fragment)
    assert tree_digest(repo) == before
    assert proc.stdout == ""


def test_a_debug_run_shows_the_traceback(tmp_path):
    write_tree(tmp_path, {**ONE})
    os.symlink("d.yaml", tmp_path / "ov/d.yaml")
    proc = kcompile(["--debug", "build", "ov"], tmp_path)
    assert proc.returncode == 1 and "Traceback" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("kcompile: error: ov/kcompile.yaml:1: symlink loop")


def test_huge_integers_read_as_kustomize_reads_them(tmp_path):
    """Past 64 bits a plain integer is a float; past a float's range it stays the text it
    was (Go's resolver fails on overflow), written back as a string."""
    write_tree(tmp_path, {**ONE, "ov/d.yaml": CM + f"a: {'9' * 50}\nb: -{'1' * 400}\nc: {'7' * 5000}\n"})
    proc = kcompile(["build", "ov", "--no-validate"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "a: 1e+50\n" in proc.stdout
    assert f'b: "-{"1" * 400}"\n' in proc.stdout
    assert f'c: "{"7" * 5000}"\n' in proc.stdout


def test_huge_integers_match_kubectl(tmp_path, ref_tools):
    text = CM + f"a: {'9' * 50}\nb: -{'1' * 400}\nc: {'7' * 5000}\n"
    write_tree(tmp_path, {"ov/kustomization.yaml": "resources: [d.yaml]\n", "ov/d.yaml": text})
    ours = kcompile(["build", "ov", "--no-validate", "--format", "json"], tmp_path)
    assert ours.returncode == 0, ours.stderr
    import json
    import subprocess

    theirs = subprocess.run([str(ref_tools.kubectl), "kustomize", str(tmp_path / "ov")], capture_output=True,
                            text=True, check=True).stdout

    from kcompile.yaml.read import load_one

    got = json.loads(ours.stdout)
    got = got["items"][0] if isinstance(got, dict) else got[0]
    want = load_one(theirs)
    # kubectl writes the overflowing ones plain, and reads them back as strings
    assert got == want, (got, want)


def test_validating_an_object_nested_to_the_readers_limit(tmp_path):
    """Found by the fuzz property: jsonschema-rs gives up past 254 levels when it reports
    an error, while a document may nest 256; the object gets one finding, no crash."""
    write_tree(tmp_path, {**ONE, "ov/d.yaml": CM + "deep: " + "[" * 255 + "]" * 255 + "\n"})
    before = tree_digest(tmp_path)
    proc = kcompile(["build", "ov", "-o", "out.yaml"], tmp_path)
    assert_clean_failure(proc, None, "validation failed: 1 error(s)")
    assert "ov/d.yaml:1: error: ConfigMap/a: nested too deeply to be schema-checked" in proc.stderr, proc.stderr
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("command", [["plan", "ov", "--no-validate"], ["apply", "ov", "--no-validate"]])
def test_a_namespace_that_is_not_a_string_is_planned_as_kustomize_builds_it(tmp_path, command):
    """Kustomize passes ``namespace: [a]`` through (the API server refuses it); a plan
    keys the object as its id does, by an empty namespace, instead of crashing."""
    write_tree(tmp_path, {**ONE, "ov/d.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: [a]}\n"
                                             f"stringData: {{k: {SECRET}}}\n"})
    proc = kcompile(command, tmp_path, env={"KCOMPILE_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and SECRET not in proc.stdout + proc.stderr
    assert "Secret/s" in proc.stdout + proc.stderr or "1 created" in proc.stderr, (proc.stdout, proc.stderr)
