"""`kcompile diff --base-ref`: plans between a git revision and the working tree."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kcompile.cli import main

ROOT = Path(__file__).resolve().parent.parent


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    for d in ("charts", "overlays"):
        shutil.copytree(ROOT / d, tmp_path / d)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_diff(capsys, *args: str) -> tuple[int, str]:
    code = main(["diff", *args, "--base-ref", "HEAD"])
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    return code, out


def test_no_changes_exit_zero(repo, capsys):
    code, out = run_diff(capsys, "overlays/dev", "overlays/prod", "--detailed-exitcode")
    assert code == 0 and out.count("No changes.") == 2


def test_chart_values_change_shows_field_diff(repo, capsys):
    text = (repo / "overlays/prod/kcompile.yaml").read_text().replace("replicas: 5", "replicas: 7")
    (repo / "overlays/prod/kcompile.yaml").write_text(text)
    code, out = run_diff(capsys, "overlays/prod", "--format", "json", "--detailed-exitcode")
    assert code == 2
    plan = json.loads(out)[0]
    assert plan["base_ref"] == "HEAD" and plan["environment"] == "overlays/prod"
    dep = next(c for c in plan["changes"] if c["kind"] == "Deployment")
    assert dep["fields"] == [{"path": "spec.replicas", "before": 5, "after": 7}]
    assert dep["rollout"]["strategy"] == "scale"
    # the working tree and index were not touched by building at HEAD
    assert "M overlays/prod/kcompile.yaml" in git(repo, "status", "--porcelain")


def test_change_only_in_chart_values_file(repo, capsys):
    values = repo / "overlays/base/web-values.yaml"
    values.write_text(values.read_text().replace("LOG_LEVEL: info", "LOG_LEVEL: warn"))
    code, out = run_diff(capsys, "overlays/staging", "--format", "json")
    plan = json.loads(out)[0]
    cm = next(c for c in plan["changes"] if c["kind"] == "ConfigMap")
    assert {"path": "data.LOG_LEVEL", "before": "info", "after": "warn"} in cm["fields"]
    dep = next(c for c in plan["changes"] if c["kind"] == "Deployment")
    assert dep["rollout"]["strategy"] == "rolling"  # checksum/config annotation rolls the pods


def test_renamed_and_deleted_overlays(repo, capsys):
    shutil.move(repo / "overlays/staging", repo / "overlays/stage")
    shutil.rmtree(repo / "overlays/dev")
    code, out = run_diff(capsys, "overlays/staging", "overlays/stage", "overlays/dev", "--format", "json")
    plans = {p["environment"]: p for p in json.loads(out)}
    assert plans["overlays/staging"]["summary"]["delete"] == 8 and plans["overlays/staging"]["summary"]["create"] == 0
    assert plans["overlays/stage"]["summary"]["create"] == 8
    assert plans["overlays/dev"]["summary"]["delete"] == 8


def test_markdown_is_one_comment_with_a_summary_table(repo, capsys):
    text = (repo / "overlays/prod/kcompile.yaml").read_text().replace("newTag: 2.3.1", "newTag: 2.4.0")
    (repo / "overlays/prod/kcompile.yaml").write_text(text)
    secret = repo / "overlays/prod/secrets/db-password.txt"
    secret.write_text("a-new-password\n")
    code, out = run_diff(capsys, "overlays/dev", "overlays/prod", "--format", "markdown", "--output-dir", "report")
    assert out.startswith("## kcompile plan")
    assert "| overlays/dev | 0 | 0 | 0 | 0 |" in out
    assert "| overlays/prod | 0 | 1 | 1 | 0 |" in out  # Deployment update, Secret rename (hash) replace
    assert "<details>" in out and "spec.template.spec.containers[name=webapp].image" in out
    assert "a-new-password" not in out and "example-not-a-real-password" not in out
    full = (repo / "report" / "overlays_prod.md").read_text()
    assert "spec.template.spec.containers[name=webapp].image" in full
    assert json.loads((repo / "report" / "overlays_prod.json").read_text())["summary"]["update"] == 1


def test_unknown_ref_is_an_error(repo, capsys):
    assert main(["diff", "overlays/dev", "--base-ref", "nope"]) == 1
    assert "revision 'nope' not found" in capsys.readouterr().err


def test_overlays_are_compared_in_parallel_with_the_same_report(repo, capsys):
    (repo / "overlays/prod/kcompile.yaml").write_text(
        (repo / "overlays/prod/kcompile.yaml").read_text().replace("replicas: 5", "replicas: 6"))
    code_serial, serial = run_diff(capsys, "overlays/dev", "overlays/prod", "--format", "json", "-j", "1")
    code_parallel, parallel = run_diff(capsys, "overlays/dev", "overlays/prod", "--format", "json", "-j", "2")
    assert serial == parallel and code_serial == code_parallel
    assert json.loads(parallel)[1]["summary"]["update"] >= 1


def test_an_error_in_one_overlay_is_reported_as_a_serial_run_would(repo, capsys):
    (repo / "overlays/dev/kcompile.yaml").write_text("resources: [: broken\n")
    (repo / "overlays/prod/kcompile.yaml").write_text("resources: [missing.yaml]\n")
    assert main(["diff", "overlays/dev", "overlays/prod", "--base-ref", "HEAD", "-j", "2"]) == 1
    err = capsys.readouterr().err
    assert err.count("kcompile: error:") == 1 and "overlays/dev/kcompile.yaml" in err
