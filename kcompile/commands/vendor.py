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

    p = sub.add_parser("vendor", help="fetch and pin remote bases and repository Helm charts (kcompile.lock)",
                       description="Fetch the remote bases and repository Helm charts the overlays use into "
                                   ".kcompile/vendor and pin them in kcompile.lock.")
    p.add_argument("overlays", metavar="OVERLAY", nargs="+", help="overlay directory")
    p.add_argument("--update", nargs="*", metavar="URL",
                   help="fetch remote bases again even if pinned (all, or the URLs named), moving their pins")
    p.add_argument("--vendor-dir", metavar="DIR",
                   help="where remote bases go (inside the repository; default .kcompile/vendor/remotes, "
                        "which git ignores: name a directory to commit the copies)")
    p.add_argument("--plain-http", action="store_true",
                   help="reach oci:// chart registries over plain HTTP (helm pull --plain-http), "
                        "e.g. a registry on this machine")
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
    options.plain_http = args.plain_http
    options.fetch_remotes = True
    options.update_urls = tuple(args.update) if args.update is not None else None
    options.vendor_dir = args.vendor_dir
    options.use_cache = False
    for overlay in args.overlays:
        root = find_repo_root(Path(overlay)).resolve()
        old = ChartLock(root)
        before = {_key(c) for c in old.charts}
        before_remotes = {(r.get("url"), r.get("digest")) for r in old.data.get("remotes") or [] if isinstance(r, dict)}
        build(overlay, options)
        lock = ChartLock(root)
        pinned = [c for c in lock.charts if _key(c) not in before]
        for c in pinned:
            print(f"{overlay}: pinned {c['name']} {c.get('resolved') or c.get('version')} from {c['repo']} "
                  f"({c['digest']})", file=sys.stderr)
        remotes = [r for r in lock.data.get("remotes") or [] if (r.get("url"), r.get("digest")) not in before_remotes]
        for r in remotes:
            print(f"{overlay}: pinned {r['url']}" + (f" at {r['commit']}" if r.get("commit") else "")
                  + f" ({r['digest']})", file=sys.stderr)
        if not pinned and not remotes:
            print(f"{overlay}: every repository chart and remote base is pinned in {lock.path.name}",
                  file=sys.stderr)
    return 0


def _key(c: dict) -> tuple:
    return (c.get("repo"), c.get("name"), c.get("version"), c.get("digest"))
