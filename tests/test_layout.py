"""The package layout holds: every module imports on its own (no import cycles), the CLI's
start-up imports nothing heavy, the package root keeps only its face and the pipeline
entry point, and every package says what it owns."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import kcompile

PACKAGE = Path(kcompile.__file__).parent
# __main__ runs the CLI when imported; it holds one import of kcompile.cli.
MODULES = sorted(m.name for m in pkgutil.walk_packages(kcompile.__path__, "kcompile.") if m.name != "kcompile.__main__")
HEAVY = ("yaml", "yaml_rs", "jinja2", "jsonschema", "jsonschema_rs", "sqlite3", "ruamel", "psycopg",
         "cryptography", "jsonpatch", "kubernetes_validate")


def _run(code: str, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_module_imports_first(tmp_path):
    """Each module imported before any other kcompile module: a cycle between two
    modules fails for whichever of them is imported first."""
    code = f"""
import importlib, json, sys, traceback
failed = {{}}
for name in {MODULES!r}:
    for m in [m for m in sys.modules if m == "kcompile" or m.startswith("kcompile.")]:
        del sys.modules[m]
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=-3)
print(json.dumps(failed))
"""
    assert len(MODULES) > 60
    assert json.loads(_run(code, tmp_path)) == {}


def _modules_after(statement: str, cwd: Path) -> set[str]:
    code = f"import sys\n{statement}\nimport json; print(json.dumps(sorted(sys.modules)))"
    return set(json.loads(_run(code, cwd).splitlines()[-1]))


def _loaded_after(statement: str, cwd: Path) -> set[str]:
    """The top-level packages loaded after running ``statement`` in a fresh interpreter."""
    return {m.split(".")[0] for m in _modules_after(statement, cwd)}


@pytest.mark.parametrize("statement", [
    "import kcompile.cli",
    # the parser of every command, as `kcompile --help` builds it
    "import kcompile.cli; kcompile.cli.make_parser()",
])
def test_start_up_imports_nothing_heavy(tmp_path, statement):
    assert _loaded_after(statement, tmp_path).isdisjoint(HEAVY)


def test_a_build_answered_from_the_cache_imports_neither_parsers_nor_the_pipeline(tmp_path):
    (tmp_path / ".kcompile").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n")
    (tmp_path / "app/kustomization.yaml").write_text("resources: [cm.yaml]\nnamePrefix: p-\n")
    run = "from kcompile.cli import main\nimport contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n" \
          "    assert main(['build', 'app']) == 0"
    first = _modules_after(run, tmp_path)
    assert "kcompile.build" in first and ("yaml" in first or "yaml_rs" in first)  # the cold build
    again = _modules_after(run, tmp_path)
    assert {m.split(".")[0] for m in again}.isdisjoint(HEAVY)
    assert not {m for m in again if m == "kcompile.build" or m.startswith(("kcompile.pipeline", "kcompile.yaml"))}


def test_package_root_keeps_only_its_face_and_the_pipeline_entry_point():
    root = {p.stem for p in PACKAGE.glob("*.py")}
    assert root == {"__init__", "__main__", "cli", "errors", "model", "options", "build"}


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_every_package_says_what_it_owns(package):
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    assert doc and len(doc.split()) >= 15, f"kcompile/{package}/__init__.py needs a docstring saying what it owns"
