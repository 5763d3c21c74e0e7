"""docs/reference/ is generated from the argument parser and the schema: it cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "tools" / "gen_reference.py")
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

STALE = "docs/reference is out of date: run `python tools/gen_reference.py` and commit the result"


@pytest.mark.parametrize("name, make", [("cli.md", gen.cli_reference), ("fields.md", gen.fields_reference)])
def test_reference_is_current(name, make):
    assert (ROOT / "docs" / "reference" / name).read_text() == make(), STALE


def test_reference_names_every_command_and_field():
    from kcompile.cli import COMMANDS

    cli = gen.cli_reference()
    for command in COMMANDS:
        assert f"`kcompile {command}`" in cli
    assert "`--detailed-exitcode`" in cli and "| 2 |" in cli
    fields = gen.fields_reference()
    for field in ("resources", "patches", "charts", "chartValues", "helmCharts", "replacements"):
        assert f"| `{field}` |" in fields
