"""`kcompile rollback OVERLAY --to-revision N`: print or re-apply revision N's manifests
and record them as a new revision (like `kubectl rollout undo` and `helm rollback`).

Secret values are kept encrypted in the state, so revision N's Secrets come back exactly as
they were applied; that needs the state key (the key file, or ``$KCOMPILE_STATE_KEY``), and
without it the rollback stops before writing anything and says so. Revisions recorded
before kcompile kept values (digests only) roll back as they did then: such a Secret is
taken from the current build when the build has it with exactly the same values (same
digests), and otherwise the rollback stops naming it. It never applies a Secret with
digest data. Revisions whose Secrets were kept roll back without building at all, so a
rollback works even when the working tree does not build.
"""

from __future__ import annotations

import argparse
import re
import sys


def add_parser(sub) -> None:
    from ._state import add_state_options
    from .build import add_build_options

    p = sub.add_parser("rollback", help="go back to an earlier revision",
                       description="Print revision N's manifests and record them as the environment's next "
                                   "revision (--dry-run: only print).")
    p.add_argument("overlay", metavar="OVERLAY")
    p.add_argument("--to-revision", type=int, required=True, metavar="N")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan from the current state to revision N; record nothing")
    p.add_argument("--format", choices=["text", "markdown", "json", "yaml"], default="text",
                   help="with --dry-run: the plan's format (default text), or yaml: revision N's manifests "
                        "as the rollback would apply them (Secrets restored)")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="with --dry-run: exit 0 when revision N is what is applied, 2 when it is not")
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


def restore_secrets(objects: list[dict], current: list[dict], store, revision: int,
                    positions: list[int] | None = None) -> list[dict]:
    """``objects`` with each digest-only Secret (at ``positions``, default: every masked
    one) given its real values from ``current`` (the build) where the digests match; raises
    KcompileError naming the first Secret that cannot be restored. Messages never include
    values."""
    from ..errors import KcompileError
    from ..state.masking import SENSITIVE_FIELDS, has_masked_values

    by_id = {_oid(o): o for o in current if o.get("kind") == "Secret"}
    wanted = set(positions) if positions is not None else None
    old = (f"revision {revision} was recorded before kcompile kept Secret values (digests only), so its Secrets "
           "can only come from the current build")
    out = []
    for i, o in enumerate(objects):
        if has_masked_values(o) and (wanted is None or i in wanted):
            cur = by_id.get(_oid(o))
            md = o.get("metadata") or {}
            shown = f"{md.get('namespace')}/{md.get('name')}" if md.get("namespace") else md.get("name")
            if cur is None:
                raise KcompileError(
                    f"cannot roll back to revision {revision}: Secret {shown} is not in the current build, and {old}; "
                    "add it back to the overlay with the values it had, then retry")
            masked = store.mask([cur])[0]
            if any(masked.get(f) != o.get(f) for f in SENSITIVE_FIELDS):
                raise KcompileError(
                    f"cannot roll back to revision {revision}: Secret {shown} had other values then than the "
                    f"current build has, and {old}; restore its old values in the overlay (or its source), then retry")
            o = dict(o)
            for f in SENSITIVE_FIELDS:
                if f in o:
                    o[f] = cur.get(f)
        out.append(o)
    return out


ROLLBACK_MESSAGE = re.compile(r"rollback to revision (\d+)(?::\s|$)")


def rollback_message(revision: int, message: str | None) -> str:
    """What a rollback revision is recorded with: how ``history`` tells it is one."""
    return f"rollback to revision {revision}" + (f": {message}" if message else "")


def rollback_target(message: str | None) -> int | None:
    """The revision a recorded revision rolled back to, or None for an apply."""
    m = ROLLBACK_MESSAGE.match(message or "")
    return int(m.group(1)) if m else None


def _print_plan(args: argparse.Namespace, store, env: str, target) -> int:
    """The plan from the current state to revision N: what the rollback would change
    (Secret values compared by digest, so neither the key nor a build is needed)."""
    from ..plan import compute_plan
    from .plan import render as render_plan

    current = store.latest(env)
    plan = compute_plan(current.objects or [] if current else [], target.objects or [], environment=env,
                        base_revision=current.revision if current else None, kube_version=args.kube_version)
    sys.stdout.write(render_plan(plan, args.format))
    if args.detailed_exitcode:
        return 2 if plan.has_changes else 0
    return 0


def run(args: argparse.Namespace) -> int:
    from ..output.emit import render
    from ..errors import KcompileError
    from ._state import git_commit, locate, record_with_kubectl, store_for

    overlay, root, env = locate(args)
    store = store_for(args, root)
    target = store.get(env, args.to_revision)
    if target is None:
        known = [r.revision for r in store.history(env)]
        have = f"it has revisions {known[0]}..{known[-1]}" if known else "nothing was applied to it yet"
        raise KcompileError(f"environment {env!r} has no revision {args.to_revision} ({have})")
    if args.dry_run and args.format != "yaml":
        return _print_plan(args, store, env, target)
    objects, legacy = store.restore(env, target)
    if legacy:
        from ..build import build
        from .build import build_options

        if not store.key_available():
            raise store.needs_key(f"rolling back to revision {args.to_revision} (recorded before kcompile kept "
                                  "Secret values: its Secrets are matched against the build by keyed digest)")
        try:
            current = [r.body for r in build(overlay, build_options(args)).resources]
        except KcompileError as e:
            e.message = (f"revision {args.to_revision} was recorded before kcompile kept Secret values, so rollback "
                         f"needs the current build to restore them, and it failed: {e.message}")
            raise
        objects = restore_secrets(objects, current, store, args.to_revision, legacy)
        print(f"kcompile: note: revision {args.to_revision} was recorded before kcompile kept Secret values; "
              "its Secrets were taken from the current build (same values)", file=sys.stderr)
    manifests = render(objects)
    if args.dry_run:
        sys.stdout.write(manifests)
        return 0
    message = rollback_message(args.to_revision, args.message)
    rev, _ = record_with_kubectl(store, env, objects, use_kubectl=args.kubectl, commit=git_commit(root),
                                 message=message, lock_timeout=args.lock_timeout)
    sys.stdout.write(manifests)
    print(f"kcompile: recorded revision {rev.revision} of {env} (rollback to revision {args.to_revision})",
          file=sys.stderr)
    return 0
