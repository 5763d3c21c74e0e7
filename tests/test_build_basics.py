"""Build pipeline basics through the CLI: overlay files, errors, output modes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kcompile.yaml.read import load_documents, load_one
from kcompile.cli import main

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.21
"""
CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: other
data:
  a: "on"
"""


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["kcompile.yaml", "kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_every_overlay_file_name_is_recognised(repo, capsys, name):
    write(repo, {"ov/" + name: "resources: [d.yaml]\n", "ov/d.yaml": DEPLOY})
    code, out, err = run(capsys, "build", "ov", "--no-validate")
    assert code == 0, err
    assert [d.data["kind"] for d in load_documents(out)] == ["Deployment"]


def test_two_overlay_files_is_an_error(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: []\n", "ov/kustomization.yaml": "resources: []\n"})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1
    assert "several overlay files" in err


def test_unknown_field_suggests_the_right_one(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: [d.yaml]\nnamePrefx: p-\n", "ov/d.yaml": DEPLOY})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1
    assert err.startswith(f"kcompile: error: {os.path.join('ov', 'kcompile.yaml')}:2: ")
    assert "did you mean 'namePrefix'?" in err


def test_exec_plugin_is_refused_clearly(repo, capsys):
    plugin = "apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: x\n"
    write(repo, {"ov/kustomization.yaml": "resources: [d.yaml]\ntransformers: [p.yaml]\n", "ov/d.yaml": DEPLOY,
                 "ov/p.yaml": plugin})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1 and "exec or Go plugin, which is not supported" in err and "p.yaml:1:" in err


def test_include_cycle_is_an_error(repo, capsys):
    write(repo, {"a/kustomization.yaml": "resources: [../b]\n", "b/kustomization.yaml": "resources: [../a]\n"})
    code, _, err = run(capsys, "build", "a")
    assert code == 1
    assert "include cycle" in err
    assert err.count("\n") == 1  # one line, no traceback


def test_missing_resource_names_the_overlay_line(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources:\n- d.yaml\n- missing.yaml\n", "ov/d.yaml": DEPLOY})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1
    assert f"{os.path.join('ov', 'kcompile.yaml')}:3:" in err and "missing.yaml" in err


def test_file_outside_overlay_is_refused_unless_restrictor_lifted(repo, capsys):
    write(repo, {"shared/d.yaml": DEPLOY, "ov/kcompile.yaml": "resources: [../shared/d.yaml]\n"})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1 and "load restrictor" in err
    code, out, err = run(capsys, "build", "ov", "--load-restrictor", "none", "--no-validate")
    assert code == 0, err
    assert "kind: Deployment" in out


def test_base_outside_repository_builds_as_in_kustomize(tmp_path, capsys, monkeypatch):
    """No repository boundary: a base is a kustomization directory of its own, anywhere."""
    repo = tmp_path / "repo"
    write(tmp_path, {"outside/kustomization.yaml": "resources: [d.yaml]\n", "outside/d.yaml": DEPLOY,
                     "repo/ov/kcompile.yaml": "resources: [../../outside]\n"})
    (repo / ".git").mkdir()
    monkeypatch.chdir(repo)
    code, out, err = run(capsys, "build", "ov")
    assert code == 0, err
    assert "name: web" in out


def test_output_to_file_is_atomic_and_untouched_on_error(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: [d.yaml]\n", "ov/d.yaml": DEPLOY,
                 "bad/kcompile.yaml": "resources: [nope.yaml]\n"})
    code, _, err = run(capsys, "build", "ov", "-o", "out.yaml", "--no-validate")
    assert code == 0, err
    before = (repo / "out.yaml").read_text()
    assert "kind: Deployment" in before
    code, _, _ = run(capsys, "build", "bad", "-o", "out.yaml")
    assert code == 1
    assert (repo / "out.yaml").read_text() == before
    code, _, _ = run(capsys, "build", "bad", "-o", "new.yaml")
    assert code == 1 and not (repo / "new.yaml").exists()
    assert not [p for p in repo.iterdir() if p.name.startswith(".new.yaml")]


def test_output_directory_one_file_per_object_and_stale_files_removed(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: [d.yaml, c.yaml]\n", "ov/d.yaml": DEPLOY, "ov/c.yaml": CM})
    code, _, err = run(capsys, "build", "ov", "-o", "rendered/", "--no-validate")
    assert code == 0, err
    files = sorted(str(p.relative_to(repo / "rendered")) for p in (repo / "rendered").rglob("*.yaml"))
    assert files == ["deployment-web.yaml", os.path.join("other", "configmap-cfg.yaml")]
    assert load_one((repo / "rendered/other/configmap-cfg.yaml").read_text())["data"] == {"a": "on"}
    (repo / "ov/kcompile.yaml").write_text("resources: [d.yaml]\n")
    code, _, err = run(capsys, "build", "ov", "-o", "rendered/", "--no-validate")
    assert code == 0, err
    assert not (repo / "rendered/other").exists()
    assert (repo / "rendered/deployment-web.yaml").exists()


def test_json_format_is_a_list(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: [d.yaml, c.yaml]\n", "ov/d.yaml": DEPLOY, "ov/c.yaml": CM})
    code, out, err = run(capsys, "build", "ov", "--format", "json", "--no-validate")
    assert code == 0, err
    data = json.loads(out)
    assert data["apiVersion"] == "v1" and data["kind"] == "List"
    assert [i["kind"] for i in data["items"]] == ["ConfigMap", "Deployment"]


def test_output_is_byte_identical_across_runs(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: [d.yaml, c.yaml]\nnamePrefix: p-\ncommonLabels: {a: b}\n",
                 "ov/d.yaml": DEPLOY, "ov/c.yaml": CM})
    outs = {run(capsys, "build", "ov", "--no-validate")[1] for _ in range(3)}
    assert len(outs) == 1


def test_duplicate_object_is_an_error(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: [d.yaml, e.yaml]\n", "ov/d.yaml": DEPLOY, "ov/e.yaml": DEPLOY})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1 and "defined twice" in err and "e.yaml:1" in err


def test_debug_shows_traceback(repo, capsys):
    write(repo, {"ov/kcompile.yaml": "resources: [missing.yaml]\n"})
    code, _, err = run(capsys, "--debug", "build", "ov")
    assert code == 1 and "Traceback" in err and "kcompile: error:" in err


def test_usage_errors_exit_1_not_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["plan", "overlays/dev", "--no-such-flag"])
    assert e.value.code == 1  # 2 is reserved for "changes" (--detailed-exitcode)
    assert "kcompile: error: unrecognized arguments" in capsys.readouterr().err
