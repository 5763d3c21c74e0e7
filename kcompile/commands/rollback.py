"""`kcompile rollback OVERLAY --to-revision N`: print or re-apply revision N's manifests
and record them as a new revision (like `kubectl rollout undo` and `helm rollback`).

Secret values are never stored, only their digests. A Secret of revision N is restored
from the current build when the build has the same Secret with the same values (same
digests); otherwise the rollback stops and says which Secret to restore first.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from ._state import add_state_options
    from .build import add_build_options

    p = sub.add_parser("rollback", help="go back to an earlier revision")
    p.add_argument("overlay", metavar="OVERLAY")
    p.add_argument("--to-revision", type=int, required=True, metavar="N")
    p.add_argument("--dry-run", action="store_true", help="print the manifests; record nothing")
    p.add_argument("-m", "--message", default=None)
    p.add_argument("--kubectl", action="store_true", help="also run `kubectl apply -f -` (record only on success)")
    p.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS")
    add_state_options(p)
    add_build_options(p)
    p.set_defaults(run=run)


def restore_secrets(objects: list[dict], current: list[dict], store) -> list[dict]:
    """Put real Secret values back from the current build where the digests match."""
    from ..errors import KcompileError
    from ..state.sqlite import DIGEST_PREFIX

    by_id = {(o.get("kind"), (o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name")): o
             for o in current}
    out = []
    for o in objects:
        fields = [f for f in ("data", "stringData") if isinstance(o.get(f), dict)]
        masked = any(isinstance(v, str) and v.startswith(DIGEST_PREFIX) for f in fields for v in o[f].values())
        if o.get("kind") == "Secret" and masked:
            md = o.get("metadata") or {}
            cur = by_id.get(("Secret", md.get("namespace"), md.get("name")))
            if cur is None or store.mask([cur])[0].get("data") != o.get("data") or \
                    store.mask([cur])[0].get("stringData") != o.get("stringData"):
                raise KcompileError(
                    f"cannot restore Secret {md.get('name')}: its values are not kept in the state (by design) "
                    "and the current build has different ones; restore them in the overlay first")
            o = dict(o)
            for f in fields:
                o[f] = cur.get(f)
        out.append(o)
    return out


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from ..emit import render
    from ..errors import KcompileError
    from ._state import environment_name, git_commit, kubectl_apply, store_for
    from .build import build_options

    result = build(args.overlay, build_options(args))
    env = environment_name(args, result.overlay, result.root)
    store = store_for(args, result.root)
    target = store.get(env, args.to_revision)
    if target is None:
        raise KcompileError(f"environment {env!r} has no revision {args.to_revision}")
    objects = restore_secrets(target.objects or [], [r.body for r in result.resources], store)
    manifests = render(objects)
    if args.dry_run:
        sys.stdout.write(manifests)
        return 0
    if args.kubectl:
        kubectl_apply(manifests)
    message = args.message if args.message is not None else f"rollback to revision {args.to_revision}"
    rev = store.record(env, objects, commit=git_commit(result.root), message=message, lock_timeout=args.lock_timeout)
    sys.stdout.write(manifests)
    print(f"kcompile: recorded revision {rev.revision} of {env} (rollback to {args.to_revision})", file=sys.stderr)
    return 0
