"""Bad input (SPEC §9): one line `kcompile: error: FILE:LINE: message`, exit 1, no
traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.objects import WEB_DEPLOYMENT as DEPLOY

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")
)

# name -> (files, expected "FILE:LINE" (FILE relative to the repo), message fragment)
CASES = {
    "invalid-yaml": ({"ov/kcompile.yaml": "resources: [d.yaml]\n", "ov/d.yaml": "kind: Pod\nmetadata: {name: [x\n"},
                     "ov/d.yaml:3", "invalid YAML"),
    "duplicate-key": ({"ov/kcompile.yaml": "resources: [d.yaml]\n",
                       "ov/d.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {}\nkind: Secret\n"},
                      "ov/d.yaml:5", "already defined at line 2"),
    "missing-file": ({"ov/kcompile.yaml": "resources:\n- d.yaml\n- gone.yaml\n", "ov/d.yaml": DEPLOY},
                     "ov/kcompile.yaml:3", "gone.yaml"),
    "include-cycle": ({"a/kcompile.yaml": "resources: [../b]\n", "b/kcompile.yaml": "resources:\n- ../a\n"},
                      "b/kcompile.yaml:2", "include cycle"),
    "outside-overlay": ({"ov/kcompile.yaml": "resources:\n- ../shared.yaml\n", "shared.yaml": DEPLOY},
                        "ov/kcompile.yaml:2", "load restrictor"),
    "unknown-field": ({"ov/kcompile.yaml": "resources: [d.yaml]\ncommonLabel: {a: b}\n", "ov/d.yaml": DEPLOY},
                      "ov/kcompile.yaml:2", "did you mean 'commonLabels'?"),
    "patch-matches-nothing": ({"ov/kcompile.yaml": "resources: [d.yaml]\npatches:\n- path: p.yaml\n",
                               "ov/d.yaml": DEPLOY,
                               "ov/p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replicas: 2}\n"},
                              "ov/p.yaml:1", "no object matches"),
    "patch-target-matches-nothing-strict": ({"ov/kcompile.yaml": "resources: [d.yaml]\npatches:\n- target: {kind: StatefulSet}\n  path: p.yaml\n",
                                      "ov/d.yaml": DEPLOY, "ov/p.yaml": "- {op: add, path: /spec/replicas, value: 2}\n"},
                                     "ov/kcompile.yaml:3", "matches no object"),
    "repeated-merge-keys-strict": ({"ov/kcompile.yaml": "resources: [d.yaml]\npatches:\n- path: p.yaml\n",
                                    "ov/d.yaml": DEPLOY.replace("containers: [{name: web, image: \"nginx:1.21\"}]",
                                                                "containers: [{name: web, image: a}, {name: web, image: b}]"),
                                    "ov/p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"},
                                   "ov/p.yaml:1", "same merge key (spec.template.spec.containers[name=web])"),
    "alias-bomb": ({"ov/kcompile.yaml": "resources: [bomb.yaml]\n", "ov/bomb.yaml": BOMB},
                   "ov/bomb.yaml:1", "alias"),
    "smp-missing-merge-key-strict": ({"ov/kcompile.yaml": "resources: [d.yaml]\npatches: [{path: p.yaml}]\n", "ov/d.yaml": DEPLOY,
                               "ov/p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{image: x}]\n"},
                              "ov/p.yaml:1", "no merge key 'name'"),
    "object-without-kind": ({"ov/kcompile.yaml": "resources: [d.yaml]\n", "ov/d.yaml": "---\napiVersion: v1\nmetadata: {name: x}\n"},
                            "ov/d.yaml:2", "no 'kind'"),
    "var-declared-twice": ({"ov/kustomization.yaml": "resources: [d.yaml]\nvars:\n- {name: A, objref: {kind: Deployment, name: web, apiVersion: apps/v1}}\n"
                                                    "- {name: A, objref: {kind: Deployment, name: web, apiVersion: apps/v1}}\n",
                            "ov/d.yaml": DEPLOY},
                           "ov/kustomization.yaml:4", "var 'A' is declared twice"),
    "conflicting-fieldspecs": ({"ov/kustomization.yaml": "resources: [d.yaml]\nconfigurations: [c.yaml]\n", "ov/d.yaml": DEPLOY,
                                "ov/c.yaml": "commonLabels:\n- {path: spec/selector/matchLabels, kind: Deployment, create: false}\n"},
                               "ov/c.yaml:1", "conflicting fieldspecs"),
    "krm-function-plugin": ({"ov/kustomization.yaml": "resources: [d.yaml]\ntransformers: [fn.yaml]\n", "ov/d.yaml": DEPLOY,
                             "ov/fn.yaml": "apiVersion: fn.example.com/v1\nkind: SetTeam\nmetadata:\n  name: t\n  annotations:\n"
                                           "    config.kubernetes.io/function: |\n      container: {image: example/set-team}\n"},
                            "ov/fn.yaml:1", "KRM functions) are not supported"),
    "missing-env-var": ({"ov/kcompile.yaml": "secretGenerator:\n- name: db\n  envVars: [KCOMPILE_TEST_UNSET_VAR]\n"},
                        "ov/kcompile.yaml:2", "KCOMPILE_TEST_UNSET_VAR is not set"),
}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_clear_line_and_writes_nothing(name, tmp_path):
    # "-strict" cases are warnings that --strict turns into errors
    files, location, fragment = CASES[name]
    (tmp_path / ".git").mkdir()
    write(tmp_path, files)
    overlay = "a" if name == "include-cycle" else "ov"
    (tmp_path / "existing.yaml").write_text("untouched\n")
    env = {k: v for k, v in os.environ.items() if k != "KCOMPILE_TEST_UNSET_VAR"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH")]))
    for output in ("new.yaml", "existing.yaml", "outdir/"):
        proc = subprocess.run(
            [sys.executable, "-m", "kcompile", "build", overlay, "-o", output,
             *(["--strict"] if name.endswith("-strict") else [])],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env,
        )
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.splitlines()
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith(f"kcompile: error: {location}: "), lines[0]
        assert fragment in lines[0]
    assert not (tmp_path / "new.yaml").exists()
    assert not (tmp_path / "outdir").exists()
    assert (tmp_path / "existing.yaml").read_text() == "untouched\n"
