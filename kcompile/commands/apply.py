"""`kcompile apply OVERLAY`: record the build as the environment's next revision
(with --kubectl, pipe it to `kubectl apply -f -` first and record only on success)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from ._state import add_state_options
    from .build import add_build_options

    p = sub.add_parser("apply", help="record a build as the environment's next revision",
                       description="Build, validate and record the result as the environment's next revision.")
    p.add_argument("overlay", metavar="OVERLAY")
    p.add_argument("-m", "--message", default="", help="a note stored with the revision")
    p.add_argument("--kubectl", action="store_true", help="also run `kubectl apply -f -` (record only on success)")
    p.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="how long to wait for another apply to the same environment (default 30)")
    p.add_argument("--no-validate", action="store_true")
    add_state_options(p)
    add_build_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from ._state import environment_name, git_commit, record_with_kubectl, store_for
    from .build import build_options

    result = build(args.overlay, build_options(args))
    if not args.no_validate:
        from ._validation import validate_or_fail

        validate_or_fail(result, kube_version=args.kube_version)
    objects = [r.body for r in result.resources]
    env = environment_name(args, result.overlay, result.root)
    store = store_for(args, result.root)
    # The lock covers kubectl too: two applies to one environment never interleave,
    # in the cluster or in the store.
    rev, plan = record_with_kubectl(store, env, objects, use_kubectl=args.kubectl, commit=git_commit(result.root),
                                    message=args.message, lock_timeout=args.lock_timeout)
    s = plan.summary
    print(f"kcompile: recorded revision {rev.revision} of {env} ({len(objects)} objects: {s['create']} created, "
          f"{s['update']} updated, {s['replace']} replaced, {s['delete']} deleted)", file=sys.stderr)
    return 0
