"""A corpus of invalid overlays: each must produce its finding, at the right file and line,
through `kcompile validate`; the repository's own overlays and examples produce no errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kcompile.yaml.read import load_one
from kcompile.cli import main

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_invalid_overlay_gives_expected_finding(case, capsys, monkeypatch):
    expect = load_one((case / "expect.yaml").read_text())
    monkeypatch.chdir(case)
    code = main(["validate", ".", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)
    match = [f for f in findings if expect["message"] in f["message"]]
    assert match, f"no finding with {expect['message']!r} in {findings}"
    f = match[0]
    assert f["severity"] == expect["severity"]
    assert (f["file"], f["line"]) == (expect["file"], expect["line"]), f
    assert f["object"] and f["path"] is not None
    assert code == (1 if expect["severity"] == "error" else 0)
    if expect["severity"] == "warning":
        assert main(["validate", ".", "--strict"]) == 1  # --strict turns warnings into errors


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/staging", "overlays/prod",
                                     *sorted(f"examples/{p.name}" for p in (ROOT / "examples").iterdir() if p.is_dir())])
def test_repository_overlays_are_valid(overlay, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["validate", overlay, "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert not [f for f in findings if f["severity"] == "error"], findings


def test_build_refuses_invalid_output_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(HERE / "cases" / "nodeport-out-of-range")
    out = tmp_path / "out.yaml"
    assert main(["build", ".", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "s.yaml:11: error: Service/web" in err and "kcompile: error: validation failed" in err
    assert not out.exists()
    assert main(["build", ".", "--no-validate", "-o", str(out)]) == 0 and out.exists()


def test_text_format_names_file_line_object_and_path(capsys, monkeypatch):
    monkeypatch.chdir(HERE / "cases" / "request-over-limit-cpu")
    assert main(["validate", "."]) == 1
    out = capsys.readouterr().out
    assert "d.yaml:18: error: Deployment/web: spec.template.spec.containers[name=web].resources.requests.cpu: " in out


def test_several_overlays_validate_in_parallel_and_report_each(capsys, monkeypatch):
    monkeypatch.chdir(HERE / "cases")
    names = ["nodeport-out-of-range", "service-selects-nothing", "request-over-limit-cpu"]
    code = main(["validate", *names, "--format", "json", "-j", "2"])
    findings = json.loads(capsys.readouterr().out)
    assert code == 1
    by_overlay = {f["overlay"] for f in findings if f["severity"] in ("error", "warning")}
    assert by_overlay == set(names)
    assert main(["validate", *names[1:2], "-j", "2"]) == 0  # warnings only


def test_kube_version_option(tmp_path, capsys, monkeypatch):
    (tmp_path / "kustomization.yaml").write_text("resources: [p.yaml]\n")
    (tmp_path / "p.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
        "    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", ".", "--kube-version", "1.37"]) == 0
    assert main(["validate", ".", "--kube-version", "1.25"]) == 1
    assert "p.yaml:8: error: Pod/p: spec.containers[name=c].resizePolicy: unknown field 'resizePolicy'" in capsys.readouterr().out


def test_notes_alone_exit_zero(tmp_path, capsys, monkeypatch):
    (tmp_path / "kustomization.yaml").write_text("resources: [w.yaml]\n")
    (tmp_path / "w.yaml").write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", ".", "--format", "json", "--strict"]) == 0
    (f,) = json.loads(capsys.readouterr().out)
    assert f["severity"] == "note" and "not schema-checked" in f["message"]


def test_findings_of_unchanged_overlays_come_from_the_cache(tmp_path, capsys, monkeypatch):
    from kcompile.commands import validate as validate_command

    for name in ("nodeport-out-of-range", "service-selects-nothing"):
        shutil.copytree(HERE / "cases" / name, tmp_path / name)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    validated: list[str] = []
    real = validate_command._Validation.build
    monkeypatch.setattr(validate_command._Validation, "build", lambda self, o: validated.append(o) or real(self, o))
    args = ["validate", "nodeport-out-of-range", "service-selects-nothing", "-j", "1"]
    runs = []
    for _ in range(2):
        code = main([*args, "--format", "json"])
        runs.append((code, capsys.readouterr()))
    assert validated == ["nodeport-out-of-range", "service-selects-nothing"]  # not again the second time
    assert runs[0] == runs[1] and runs[0][0] == 1
    text = tmp_path / "service-selects-nothing" / "s.yaml"
    text.write_text(text.read_text().replace("app: api", "app: other"))
    assert main([*args, "--format", "json"]) == 1
    assert validated[2:] == ["service-selects-nothing"]
    monkeypatch.chdir(tmp_path / "nodeport-out-of-range")  # file names are relative to the current directory
    assert main(["validate", ".", "-j", "1"]) == 1
    assert "s.yaml:11: error: Service/web" in capsys.readouterr().out
