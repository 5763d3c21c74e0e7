"""`kcompile history OVERLAY`: the revisions applied to an environment."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from ._state import add_state_options

    p = sub.add_parser("history", help="list the revisions applied to an environment")
    p.add_argument("overlay", metavar="OVERLAY")
    p.add_argument("--format", choices=["text", "json"], default="text")
    add_state_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ._state import locate, store_for

    _, root, env = locate(args)
    revisions = store_for(args, root).history(env)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps([r.summary() for r in revisions], indent=2) + "\n")
        return 0
    if not revisions:
        print(f"{env}: nothing applied yet")
        return 0
    print(f"{'REVISION':<9} {'TIME':<21} {'USER':<12} {'COMMIT':<14} MESSAGE")
    for r in revisions:
        print(f"{r.revision:<9} {r.time:<21} {r.user[:12]:<12} {(r.commit or '-')[:12]:<14} {r.message}")
    return 0
