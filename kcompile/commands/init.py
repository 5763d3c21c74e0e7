"""`kcompile init [DIR]`: scaffold a new repository (kcompile/scaffold)."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("init", help="scaffold a new repository: a chart, overlays base/dev/prod, .gitignore",
                       description="Write a small chart (charts/web), overlays/base, overlays/dev and "
                                   "overlays/prod, a .gitignore for .kcompile/ and the editor schema. "
                                   "Refuses to overwrite any existing file.")
    p.add_argument("directory", metavar="DIR", nargs="?", default=".")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..scaffold import init

    for rel in init(args.directory):
        print(f"created {rel}")
    print("next: kcompile build overlays/prod, then kcompile plan overlays/prod")
    return 0
