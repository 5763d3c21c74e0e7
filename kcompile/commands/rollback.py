"""`kcompile rollback OVERLAY --to-revision N`: print or re-apply revision N's manifests
and record them as a new revision (like `kubectl rollout undo` and `helm rollback`).

Secret values are never stored, only their keyed digests, so a stored Secret cannot be
re-applied as it is. A Secret of revision N is restored from the current build when the
build has that Secret (same namespace and name) with exactly the same values (same
digests); otherwise the rollback stops before writing anything and names the Secret whose
values must be put back in the overlay first. It never applies a Secret with placeholder
or digest data. Revisions without Secret values roll back without building at all, so a
rollback works even when the working tree does not build.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from ._state import add_state_options
    from .build import add_build_options

    p = sub.add_parser("rollback", help="go back to an earlier revision",
                       description="Print revision N's manifests and record them as the environment's next "
                                   "revision (--dry-run: only print).")
    p.add_argument("overlay", metavar="OVERLAY")
    p.add_argument("--to-revision", type=int, required=True, metavar="N")
    p.add_argument("--dry-run", action="store_true", help="print the manifests; record nothing")
    p.add_argument("-m", "--message", default=None, help="note stored with the new revision")
    p.add_argument("--kubectl", action="store_true", help="also run `kubectl apply -f -` (record only on success)")
    p.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="how long to wait for another apply to the same environment (default 30)")
    add_state_options(p)
    add_build_options(p)
    p.set_defaults(run=run)


def _oid(o: dict) -> tuple:
    md = o.get("metadata") or {}
    return (o.get("apiVersion"), o.get("kind"), md.get("namespace") or "", md.get("name"))


def restore_secrets(objects: list[dict], current: list[dict], store, revision: int) -> list[dict]:
    """``objects`` with each masked Secret's real values taken from ``current`` (the build)
    where the digests match; raises KcompileError naming the first Secret that cannot be
    restored. Error messages never include values."""
    from ..errors import KcompileError
    from ..state.masking import SENSITIVE_FIELDS, has_masked_values

    by_id = {_oid(o): o for o in current if o.get("kind") == "Secret"}
    out = []
    for o in objects:
        if has_masked_values(o):
            cur = by_id.get(_oid(o))
            md = o.get("metadata") or {}
            shown = f"{md.get('namespace')}/{md.get('name')}" if md.get("namespace") else md.get("name")
            if cur is None:
                raise KcompileError(
                    f"cannot roll back to revision {revision}: Secret {shown} is not in the current build, and "
                    "Secret values are not kept in the state (by design); add it back to the overlay with the "
                    "values it had, then retry")
            masked = store.mask([cur])[0]
            if any(masked.get(f) != o.get(f) for f in SENSITIVE_FIELDS):
                raise KcompileError(
                    f"cannot roll back to revision {revision}: Secret {shown} had other values then than the "
                    "current build has, and Secret values are not kept in the state (by design); restore its "
                    "old values in the overlay (or its source), then retry")
            o = dict(o)
            for f in SENSITIVE_FIELDS:
                if f in o:
                    o[f] = cur.get(f)
        out.append(o)
    return out


def run(args: argparse.Namespace) -> int:
    from ..output.emit import render
    from ..errors import KcompileError
    from ..state.masking import has_masked_values
    from ._state import git_commit, locate, record_with_kubectl, store_for

    overlay, root, env = locate(args)
    store = store_for(args, root)
    target = store.get(env, args.to_revision)
    if target is None:
        known = [r.revision for r in store.history(env)]
        have = f"it has revisions {known[0]}..{known[-1]}" if known else "nothing was applied to it yet"
        raise KcompileError(f"environment {env!r} has no revision {args.to_revision} ({have})")
    objects = target.objects or []
    if any(has_masked_values(o) for o in objects):
        from ..build import build
        from .build import build_options

        try:
            current = [r.body for r in build(overlay, build_options(args)).resources]
        except KcompileError as e:
            e.message = f"rollback needs the current build to restore Secret values, and it failed: {e.message}"
            raise
        objects = restore_secrets(objects, current, store, args.to_revision)
    manifests = render(objects)
    if args.dry_run:
        sys.stdout.write(manifests)
        return 0
    message = args.message if args.message is not None else f"rollback to revision {args.to_revision}"
    rev, _ = record_with_kubectl(store, env, objects, use_kubectl=args.kubectl, commit=git_commit(root),
                                 message=message, lock_timeout=args.lock_timeout)
    sys.stdout.write(manifests)
    print(f"kcompile: recorded revision {rev.revision} of {env} (rollback to revision {args.to_revision})",
          file=sys.stderr)
    return 0
