"""`kcompile init` scaffolds a repository that builds, plans and applies; it never
overwrites. `kcompile schema` prints the packaged schema, which validates the overlays."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema

from kcompile.cli import main
from kcompile.yaml.read import load_one


def test_init_then_build_plan_apply(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "new"
    assert main(["init", str(repo)]) == 0
    assert "created overlays/prod/kcompile.yaml" in capsys.readouterr().out
    assert (repo / ".gitignore").read_text() == ".kcompile/\n"
    monkeypatch.chdir(repo)
    assert main(["build", "overlays/prod"]) == 0
    out = capsys.readouterr().out
    assert "namespace: prod" in out and "replicas: 3" in out and "image: nginx:1.27.2" in out
    assert main(["build", "overlays/dev"]) == 0
    assert "replicas: 1" in capsys.readouterr().out
    assert main(["plan", "overlays/prod", "--detailed-exitcode"]) == 2
    assert main(["apply", "overlays/prod", "-m", "first"]) == 0
    assert main(["plan", "overlays/prod", "--detailed-exitcode"]) == 0


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "charts").mkdir()
    (tmp_path / ".gitignore").write_text("mine\n")
    assert main(["init", str(tmp_path)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert (tmp_path / ".gitignore").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "charts"]


def test_schema_command_prints_the_packaged_schema_and_it_validates_scaffolded_overlays(tmp_path, capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert main(["init", str(tmp_path)]) == 0
    assert json.loads((tmp_path / ".kcompile.schema.json").read_text()) == schema
    for env in ("base", "dev", "prod"):
        text = (tmp_path / "overlays" / env / "kcompile.yaml").read_text()
        assert text.startswith("# yaml-language-server: $schema=../../.kcompile.schema.json\n")
        jsonschema.validate(load_one(text), schema)


def test_schema_works_from_an_installed_package_anywhere(tmp_path):
    out = subprocess.run([sys.executable, "-m", "kcompile", "schema"], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out)["$schema"].startswith("https://json-schema.org/")
