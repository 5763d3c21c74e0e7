"""`kcompile plan OVERLAY`: build and compare with the environment's last applied revision."""

from __future__ import annotations

import argparse
import sys


def add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 0 when there are no changes, 2 when there are, 1 on errors")
    p.add_argument("--show-unchanged", action="store_true", help="list unchanged objects too")


def add_parser(sub) -> None:
    from ._state import add_state_options
    from .build import add_build_options

    p = sub.add_parser("plan", help="show what applying an overlay would change",
                       description="Build an overlay and compare it with the environment's last applied revision.")
    p.add_argument("overlay", metavar="OVERLAY")
    p.add_argument("--revision", type=int, metavar="N", help="compare with revision N instead of the latest")
    p.add_argument("--no-validate", action="store_true")
    add_output_options(p)
    add_state_options(p)
    add_build_options(p)
    p.set_defaults(run=run)


def render(plan, fmt: str) -> str:
    from ..report import render_json, render_markdown, render_text

    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    import os

    return render_text(plan, color=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from ..errors import KcompileError
    from ..plan import compute_plan
    from ._state import environment_name, store_for, warn_without_key
    from .build import build_options

    result = build(args.overlay, build_options(args))
    if not args.no_validate:
        from ._validation import validate_or_fail

        validate_or_fail(result, kube_version=args.kube_version)
    env = environment_name(args, result.overlay, result.root)
    store = store_for(args, result.root)
    if args.revision is not None:
        base = store.get(env, args.revision)
        if base is None:
            known = [r.revision for r in store.history(env)]
            have = f"it has revisions {known[0]}..{known[-1]}" if known else "nothing was applied to it yet"
            raise KcompileError(f"environment {env!r} has no revision {args.revision} ({have})")
    else:
        base = store.latest(env)
    before = base.objects if base else []
    after = store.mask([r.body for r in result.resources], before)
    warn_without_key(store)
    plan = compute_plan(before or [], after, environment=env, base_revision=base.revision if base else None,
                        show_unchanged=args.show_unchanged, kube_version=args.kube_version)
    sys.stdout.write(render(plan, args.format))
    if args.detailed_exitcode:
        return 2 if plan.has_changes else 0
    return 0
