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
    """Text: one line per revision, the whole commit id (``-dirty`` when the work tree had
    changes), rollbacks marked ``rollback to N``. JSON: each revision's summary plus
    ``rollback_to`` (the revision it went back to, or null)."""
    from ._state import locate, store_for
    from .rollback import rollback_target

    _, root, env = locate(args)
    revisions = store_for(args, root).history(env)
    if args.format == "json":
        import json

        rows = [{**r.summary(), "rollback_to": rollback_target(r.message)} for r in revisions]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    if not revisions:
        print(f"{env}: nothing applied yet")
        return 0
    commit_width = max(len(r.commit or "-") for r in revisions)
    print(f"{'REVISION':<9} {'TIME':<21} {'USER':<12} {'ACTION':<15} {'COMMIT':<{commit_width}} MESSAGE")
    for r in revisions:
        target = rollback_target(r.message)
        action = f"rollback to {target}" if target is not None else "apply"
        print(f"{r.revision:<9} {r.time:<21} {r.user[:12]:<12} {action:<15} {(r.commit or '-'):<{commit_width}} "
              f"{r.message}".rstrip())
    return 0
