"""The published JSON Schema for kcompile.yaml accepts every overlay in the repository
and agrees with the loader about unknown fields."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from kcompile.load.overlay import OVERLAY_FILES, SUPPORTED_FIELDS
from kcompile.yaml.read import load_one

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "kcompile" / "data" / "kcompile.schema.json").read_text())
SKIP_PARTS = {".git", ".venv", "node_modules", "errors", "invalid"}


def repository_overlays() -> list[Path]:
    found = []
    for name in OVERLAY_FILES:
        for p in ROOT.rglob(name):
            rel = p.relative_to(ROOT)
            if SKIP_PARTS & set(rel.parts) or rel.parts[0].startswith(".") or _spelled_otherwise(p):
                continue
            found.append(p)
    return sorted(found)


def _spelled_otherwise(overlay: Path) -> bool:
    """A corpus case that writes field names inside entries in another case (``fieldpath``,
    ``Target``): the loader accepts them, as Kustomize does; the editor schema names only
    the canonical spelling, which is what an editor should suggest."""
    case = overlay.parent / "case.yaml"
    return case.exists() and bool((load_one(case.read_text()) or {}).get("noncanonical_spelling"))


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_names_exactly_the_supported_fields():
    assert set(SCHEMA["properties"]) == set(SUPPORTED_FIELDS)


@pytest.mark.parametrize("path", repository_overlays(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_overlay_matches_the_schema(path):
    data = load_one(path.read_text(), str(path)) or {}
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_rejects_an_unknown_field():
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors({"namePrefx": "a-"}))
