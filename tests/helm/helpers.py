"""Helpers for the Helm tests: lay a case out in a temporary directory (outside any git
work tree) with copies of the charts in ``charts/``, and run kcompile, ``kubectl
kustomize --enable-helm`` and ``helm template`` on it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from kcompile.yaml.read import load_documents
from kcompile.cli import main

CHARTS = Path(__file__).parent / "charts"


def lay_out(root: Path, files: dict[str, str], charts: dict[str, str] | None = None) -> Path:
    """Write ``files`` (path -> text) under ``root`` and copy each chart of ``charts``
    (destination directory -> chart name in ``CHARTS``)."""
    for dest, name in (charts or {}).items():
        shutil.copytree(CHARTS / name, root / dest)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def documents(text: str) -> list:
    return [d.data for d in load_documents(text) if d.data is not None]


def kcompile(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def kcompile_build(capsys, overlay: Path, *extra: str) -> list:
    code, out, err = kcompile(capsys, "build", str(overlay), "--no-validate", "--no-cache", *extra)
    assert code == 0, f"kcompile failed:\n{err}"
    return documents(out)


def kustomize_build(ref_tools, overlay: Path, *extra: str) -> list:
    proc = subprocess.run(
        [str(ref_tools.kubectl), "kustomize", "--enable-helm", "--helm-command", str(ref_tools.helm),
         *extra, str(overlay)], capture_output=True, text=True)
    assert proc.returncode == 0, f"the reference rejects this case (fix the case):\n{proc.stderr}"
    return documents(proc.stdout)


def helm_template(ref_tools, *args: str) -> list:
    proc = subprocess.run([str(ref_tools.helm), "template", *args], capture_output=True, text=True)
    assert proc.returncode == 0, f"helm rejects this case (fix the case):\n{proc.stderr}"
    return documents(proc.stdout)
