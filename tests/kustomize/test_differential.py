"""Differential tests: `kcompile build` against the reference `kubectl kustomize`.

Every directory under ``cases/`` is a Kustomize overlay tree built unchanged by both
tools; the parsed documents must be equal, in the same order. A ``case.yaml`` may name
the overlay to build (``build: overlays/prod``). Where kcompile deliberately differs
(docs/compat.md), ``case.yaml`` says ``expect_difference: <why>`` and the case compares
kcompile's output with ``expected.yaml`` beside it instead.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml as pyyaml

from kcompile.yaml.read import load_documents, load_one
from kcompile.cli import main

CASES = Path(__file__).parent / "cases"


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir())


def case_config(case: Path) -> dict:
    f = case / "case.yaml"
    return load_one(f.read_text()) if f.exists() else {}


def kcompile_build(capsys, overlay: Path, *extra: str) -> str:
    code = main(["build", str(overlay), "--no-validate", "--no-cache", *extra])
    out, err = capsys.readouterr()
    assert code == 0, f"kcompile failed:\n{err}"
    return out


def kustomize_build(kubectl: Path, overlay: Path) -> str:
    proc = subprocess.run([str(kubectl), "kustomize", str(overlay)], capture_output=True, text=True)
    assert proc.returncode == 0, f"the reference rejects this case (fix the case):\n{proc.stderr}"
    return proc.stdout


def documents(text: str) -> list:
    return [d.data for d in load_documents(text)]


def test_corpus_is_large_enough():
    assert len(case_dirs()) >= 40


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_same_objects_as_kustomize(case, ref_tools, capsys):
    config = case_config(case)
    overlay = case / config.get("build", ".")
    ours = kcompile_build(capsys, overlay)
    if config.get("expect_difference"):
        expected = (case / "expected.yaml").read_text()
        assert documents(ours) == documents(expected), config["expect_difference"]
        return
    theirs = kustomize_build(ref_tools.kubectl, overlay)
    assert documents(ours) == documents(theirs)
    # Every string kcompile writes reads back the same under YAML 1.1 (PyYAML) too.
    assert [d for d in pyyaml.safe_load_all(ours) if d is not None] == documents(ours)


@pytest.mark.parametrize("name", ["nested-three-levels", "generator-behavior-across-levels", "images"])
def test_output_is_byte_identical_across_runs(name, capsys):
    case = CASES / name
    overlay = case / case_config(case).get("build", ".")
    assert kcompile_build(capsys, overlay) == kcompile_build(capsys, overlay)


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_same_objects_outside_any_git_work_tree(case, tmp_path, capsys, monkeypatch):
    """A copy of the case in a temporary directory (no git work tree above it), built from
    the overlay directory (``.``, bases reached through ``../``) and from its parent,
    gives what the case gives in place: loading never depends on git or the current
    directory."""
    import shutil

    config = case_config(case)
    expected = documents(kcompile_build(capsys, case / config.get("build", ".")))
    copy = tmp_path / case.name
    shutil.copytree(case, copy, symlinks=True)
    overlay = (copy / config.get("build", ".")).resolve()
    for cwd, arg in ((overlay, "."), (overlay.parent, overlay.name or ".")):
        monkeypatch.chdir(cwd)
        assert documents(kcompile_build(capsys, Path(arg))) == expected, f"built from {cwd}"
