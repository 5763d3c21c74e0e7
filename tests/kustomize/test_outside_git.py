"""The differential corpus built from a copy outside any git work tree, as a user who
downloaded an overlay tree would: from the overlay directory (``kcompile build .``) and
from its parent (``kcompile build NAME``). Each must give the same documents as
``kubectl kustomize`` on the copy (or the case's ``expected.yaml``), and leave nothing
behind in the tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kcompile.cli import main

from .test_differential import CASES, case_config, case_dirs, documents


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("outside-git") / "cases"
    shutil.copytree(CASES, root)
    probe = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, text=True)
    assert probe.returncode != 0, f"the copy must not be inside a git work tree: {probe.stdout}"
    return root


def _build_in(cwd: Path, target: str, capsys, monkeypatch) -> str:
    monkeypatch.chdir(cwd)
    code = main(["build", target, "--no-validate"])
    out, err = capsys.readouterr()
    assert code == 0, f"kcompile build {target} (in {cwd}) failed:\n{err}"
    return out


@pytest.mark.parametrize("name", [p.name for p in case_dirs()])
def test_builds_outside_git_from_overlay_and_parent(name, corpus_copy, ref_tools, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the user's cache, not the tree
    monkeypatch.delenv("KCOMPILE_CACHE_DIR", raising=False)
    case = corpus_copy / name
    config = case_config(case)
    overlay = (case / config.get("build", ".")).resolve()
    if config.get("expect_difference"):
        expected = documents((case / "expected.yaml").read_text())
    else:
        proc = subprocess.run([str(ref_tools.kubectl), "kustomize", str(overlay)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        expected = documents(proc.stdout)
    before = sorted(str(p.relative_to(case)) for p in case.rglob("*"))

    assert documents(_build_in(overlay, ".", capsys, monkeypatch)) == expected
    assert documents(_build_in(overlay.parent, overlay.name, capsys, monkeypatch)) == expected

    after = sorted(str(p.relative_to(case)) for p in case.rglob("*"))
    assert after == before, "a build left files in the overlay tree"
    assert not os.path.exists(corpus_copy.parent / ".kcompile")
