"""Folded ('>') block scalars read as Kustomize's YAML reader (go-yaml v3) reads them,
case by case against `kubectl kustomize` (scalars.go_folded).

go-yaml keeps one more line break than YAML's rules before a more-indented line that
follows other text; everything else folds as YAML says.
"""

from __future__ import annotations

import subprocess

import pytest

from kcompile.yaml.read import load_documents
from kcompile.yaml.scalars import go_folded

# name -> the block scalar's header and lines, as written under a ConfigMap's data key
BLOCKS = {
    "folded-lines-only": ">\n  a\n  b\n\n  c\n",
    "more-indented-after-text": ">\n  a\n  b\n    more\n  c\n",
    "more-indented-after-empty-line": ">\n  a\n\n    more\n  c\n",
    "two-more-indented-lines": ">\n  a\n    m1\n    m2\n  c\n",
    "more-indented-across-empty-line": ">\n  a\n    m1\n\n    m2\n  c\n",
    "more-indented-twice": ">\n  a\n    m1\n  b\n    m2\n",
    "more-indented-first-line": ">2\n    lead\n  a\n",
    "tab-indented": ">\n  a\n  \tt\n  b\n",
    "strip-chomping": ">-\n  {\n    \"k\": 1\n  }\n",
    "json-document": ">\n  {\n    \"id\": null,\n    \"tags\": [],\n\n    \"rows\": [1]\n  }\n",
}


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_folded_block_reads_as_kustomize(name, ref_tools, tmp_path):
    block = BLOCKS[name]
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: " + block.replace("\n", "\n  ").rstrip(" ")
    (tmp_path / "cm.yaml").write_text(text)
    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    proc = subprocess.run([str(ref_tools.kubectl), "kustomize", "."], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    theirs = load_documents(proc.stdout)[0].data["data"]["k"]
    assert load_documents(text)[0].data["data"]["k"] == theirs


def test_text_without_more_indented_lines_is_unchanged():
    for value in ["", "a b\n", "a\n\nb\n", "  lead only\n", "a\n"]:
        assert go_folded(value) == value
