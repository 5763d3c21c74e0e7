"""Every overlay in examples/ builds with kcompile, gives the objects `kubectl kustomize`
gives, has the kinds it is about, and validates without errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kcompile.yaml.read import load_documents
from kcompile.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("example", sorted(p for p in EXAMPLES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_example_builds_like_kustomize(example, ref_tools, capsys):
    assert main(["build", str(example)]) == 0
    out = capsys.readouterr().out
    ours = [d.data for d in load_documents(out)]
    ref = subprocess.run([str(ref_tools.kubectl), "kustomize", str(example)], capture_output=True, text=True, check=True)
    assert ours == [d.data for d in load_documents(ref.stdout)]
    expected = sorted((example / "expected-kinds.txt").read_text().split())
    assert sorted(d["kind"] for d in ours) == expected
