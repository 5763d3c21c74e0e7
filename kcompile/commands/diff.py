"""`kcompile diff OVERLAY... --base-ref REF`: what each overlay's manifests become
between a git revision and the working tree, as a plan (same formats and exit codes).

The base side is built from git's objects in a temporary directory (the working tree and
index are never touched). An overlay present on one side only is all-create or
all-delete. Markdown is one comment for all overlays; ``--output-dir`` writes the full,
untruncated report per overlay.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_parser(sub) -> None:
    from .build import add_build_options
    from .plan import add_output_options

    p = sub.add_parser("diff", help="compare overlays between a git revision and the working tree",
                       description="Build each overlay at a git revision and in the working tree and print the plan "
                                   "between them.")
    p.add_argument("overlays", metavar="OVERLAY", nargs="+")
    p.add_argument("--base-ref", required=True, metavar="REF", help="git revision to compare with (e.g. origin/main)")
    p.add_argument("--output-dir", metavar="DIR", help="also write the full report per overlay (markdown and JSON)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="overlays compared in parallel (default: number of cores)")
    add_output_options(p)
    add_build_options(p)
    p.set_defaults(run=run)


def _build_objects(overlay: Path, options) -> list[dict]:
    from ..build import build

    if not overlay.is_dir():
        return []
    return [r.body for r in build(overlay, options).resources]


def _build_at_revision(snap, overlay: Path, options) -> list[dict]:
    """The objects of ``overlay`` at the snapshot's revision; its errors and warnings name
    the repository's paths (``overlays/prod/kcompile.yaml:3``), never the export's."""
    import contextlib
    import io

    from ..errors import KcompileError

    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return _build_objects(overlay, options)
    except KcompileError as e:
        if e.file:
            e.file = snap.repository_path(e.file)
        e.message = f"{snap.repository_text(e.message)} (at {snap.ref})"
        raise
    finally:
        for line in snap.repository_text(said.getvalue()).splitlines(keepends=True):
            sys.stderr.write(f"{line.rstrip()} (at {snap.ref})\n" if line.startswith("kcompile: warning:") else line)


def _check_output_dir(path: str | None) -> None:
    """--output-dir must be a directory or absent: said before anything is built."""
    from ..errors import KcompileError

    if path and os.path.lexists(path) and not os.path.isdir(path):
        raise KcompileError(f"--output-dir {path} exists and is not a directory")


def _write_reports(out: Path, titles: list[str], plans: list) -> None:
    from ..errors import KcompileError
    from ..report import render_json, render_markdown

    try:
        out.mkdir(parents=True, exist_ok=True)
        for title, p in zip(titles, plans):
            stem = title.strip("/").replace("/", "_") or "root"
            (out / f"{stem}.md").write_text(render_markdown(p, [title], limit=10**12), encoding="utf-8")
            (out / f"{stem}.json").write_text(render_json(p), encoding="utf-8")
    except OSError as e:
        where = e.filename if isinstance(e.filename, str) else str(out)
        raise KcompileError(f"--output-dir: cannot write {where}: {e.strerror or e}") from None


def run(args: argparse.Namespace) -> int:
    from ..build import BuildOptions
    from ..load.files import find_repo_root
    from ..load.gitref import Snapshot
    from ..multi.pool import map_in_workers
    from ..plan import compute_plan
    from ..report import render_json, render_markdown, render_text
    from .build import build_options

    from ..state.masking import keyed_digest, mask_secrets

    key = os.urandom(32)  # digests only need to compare within this run

    def mask(objects: list[dict]) -> list[dict]:
        return mask_secrets(objects, lambda v: keyed_digest(key, v))

    _check_output_dir(args.output_dir)
    work_opts = build_options(args)
    first = Path(args.overlays[0])
    repo_root = find_repo_root(first if first.exists() else Path.cwd())
    with Snapshot(repo_root, args.base_ref, overlays=[Path(o) for o in args.overlays],
                  everything=work_opts.load_restrictor == "none") as snap:
        base_opts = BuildOptions(load_restrictor=work_opts.load_restrictor, kube_version=work_opts.kube_version,
                                 set_values=work_opts.set_values, api_versions=work_opts.api_versions,
                                 repo_root=snap.path,
                                 use_cache=work_opts.use_cache, cache_dir=work_opts.cache_dir,
                                 enable_helm=work_opts.enable_helm, helm_command=work_opts.helm_command,
                                 helm_kube_version=work_opts.helm_kube_version,
                                 helm_api_versions=work_opts.helm_api_versions)
        from ..charts.vendor import vendored_charts_at

        vendored_charts_at(snap)  # the base's kcompile.lock, over the working tree's vendored archives
        if len(args.overlays) > 1:
            work_opts, base_opts = work_opts.for_several_overlays(), base_opts.for_several_overlays()
        def plan_of(i: int):
            """Build one overlay on both sides and compare (in a worker process)."""
            path = Path(args.overlays[i])
            base_path = snap.map(path)
            if not path.is_dir() and not base_path.is_dir():
                from ..errors import KcompileError

                raise KcompileError(f"overlay {args.overlays[i]} exists neither in the working tree nor at "
                                    f"{args.base_ref}")
            before = mask(_build_at_revision(snap, base_path, base_opts))
            after = mask(_build_objects(path, work_opts))
            return compute_plan(before, after, environment=path.as_posix(), base_revision=None)

        plans = map_in_workers(plan_of, list(args.overlays), jobs=args.jobs)
        titles = [Path(o).as_posix() for o in args.overlays]
    for p in plans:
        p.base_ref = args.base_ref  # type: ignore[attr-defined]
    if args.output_dir:
        _write_reports(Path(args.output_dir), titles, plans)
    if args.format == "json":
        sys.stdout.write(render_json(plans))
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(plans, titles))
    else:
        color = sys.stdout.isatty()
        sys.stdout.write("\n".join(render_text(p, color) for p in plans))
    if args.detailed_exitcode:
        return 2 if any(p.has_changes for p in plans) else 0
    return 0
