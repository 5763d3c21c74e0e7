"""`kcompile schema`: print the JSON Schema of kcompile.yaml (shipped in the package), for
editors: `kcompile schema > .kcompile.schema.json` and the yaml-language-server comment."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of kcompile.yaml (editor completion)",
                       description="Print the JSON Schema of kcompile.yaml and kustomization.yaml fields.")
    p.set_defaults(run=run)


def schema_text() -> str:
    from importlib.resources import files

    return (files("kcompile") / "data" / "kcompile.schema.json").read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0
