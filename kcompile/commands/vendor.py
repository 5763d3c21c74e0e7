"""`kcompile vendor OVERLAY...`: fetch the Helm charts the overlays take from chart
repositories (``repo:`` in ``charts`` or ``helmCharts``) into ``.kcompile/vendor`` and pin
them in ``kcompile.lock``, so that builds stay offline and reproducible.

Each overlay is built as ``kcompile build --enable-helm`` would build it, except that a
repository chart the lock does not pin yet (or whose copy is missing or changed) is
fetched with ``helm pull`` first. Charts already pinned and intact are not fetched again.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from .build import add_build_options

    p = sub.add_parser("vendor", help="fetch and pin the Helm charts overlays take from repositories",
                       description="Fetch the Helm charts the overlays take from chart repositories into "
                                   ".kcompile/vendor and pin them in kcompile.lock.")
    p.add_argument("overlays", metavar="OVERLAY", nargs="+", help="overlay directory")
    add_build_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from ..charts.vendor import ChartLock
    from ..load.files import find_repo_root
    from .build import build_options

    from pathlib import Path

    options = build_options(args)
    options.enable_helm = True  # vendoring helmCharts needs no separate flag
    options.fetch_charts = True
    options.use_cache = False
    for overlay in args.overlays:
        root = find_repo_root(Path(overlay)).resolve()
        before = {_key(c) for c in ChartLock(root).charts}
        build(overlay, options)
        lock = ChartLock(root)
        pinned = [c for c in lock.charts if _key(c) not in before]
        for c in pinned:
            print(f"{overlay}: pinned {c['name']} {c.get('resolved') or c.get('version')} from {c['repo']} "
                  f"({c['digest']})", file=sys.stderr)
        if not pinned:
            print(f"{overlay}: every repository chart is pinned in {lock.path.name}", file=sys.stderr)
    return 0


def _key(c: dict) -> tuple:
    return (c.get("repo"), c.get("name"), c.get("version"), c.get("digest"))
