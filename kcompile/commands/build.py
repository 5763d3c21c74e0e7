"""`kcompile build OVERLAY...`: print the final manifests (validated unless --no-validate).

Several overlays build in parallel processes; with ``-o DIR/`` each overlay's objects go
under ``DIR/<overlay path>/`` (the rendered-manifests pattern), and ``--check`` compares
instead of writing (exit 1 when DIR is out of date: a CI gate).
"""

from __future__ import annotations

import argparse
import sys


def add_build_options(p: argparse.ArgumentParser) -> None:
    """Flags every command that builds an overlay shares."""
    p.add_argument("--load-restrictor", default="rootOnly", choices=["rootOnly", "none"],
                   help="rootOnly (default): files must lie in or below the directory of the "
                        "kustomization naming them (bases and components may lie anywhere); none: no restriction")
    p.add_argument("--kube-version", metavar="VERSION",
                   help="Kubernetes version whose schemas to use (default: the newest installed)")
    p.add_argument("--api-versions", dest="api_versions", action="append", default=[], metavar="GROUP/VERSION[/KIND]",
                   help="an API version charts see in capabilities.api_versions besides those of "
                        "--kube-version's schemas (as helm template's); repeatable or comma-separated")
    p.add_argument("--no-cache", action="store_true",
                   help="do not read or write the caches (in $KCOMPILE_CACHE_DIR, else "
                        "$XDG_CACHE_HOME/kcompile, else ~/.cache/kcompile)")
    p.add_argument("--set", dest="set_values", action="append", default=[], metavar="RELEASE.KEY=VALUE",
                   help="override a chart value (highest precedence); repeatable")
    p.add_argument("--enable-helm", action="store_true",
                   help="render Kustomize's helmCharts with the helm binary (as kubectl kustomize)")
    p.add_argument("--helm-command", default="helm", metavar="PATH",
                   help="the helm binary for helmCharts and Helm charts (default: helm on PATH)")
    p.add_argument("--helm-kube-version", metavar="VERSION",
                   help="Kubernetes version helm's Capabilities.KubeVersion reports for helmCharts")
    p.add_argument("--helm-api-versions", action="append", default=[], metavar="GROUP/VERSION",
                   help="API versions for helm's Capabilities.APIVersions in helmCharts; repeatable")
    p.add_argument("--helm-debug", action="store_true",
                   help="run helm template with --debug for helmCharts (as kubectl kustomize): "
                   "a template helm fails on is shown as helm rendered it")


def build_options(args: argparse.Namespace):
    from ..options import BuildOptions

    return BuildOptions(
        load_restrictor=args.load_restrictor,
        kube_version=args.kube_version,
        set_values=tuple(args.set_values),
        use_cache=not args.no_cache,
        api_versions=tuple(v.strip() for a in args.api_versions for v in a.split(",") if v.strip()),
        enable_helm=args.enable_helm,
        helm_command=args.helm_command,
        helm_kube_version=args.helm_kube_version,
        helm_api_versions=tuple(v.strip() for a in args.helm_api_versions for v in a.split(",") if v.strip()),
        helm_debug=args.helm_debug,
        strict=bool(getattr(args, "strict", False)),
    )


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build overlays into final manifests",
                       description="Build overlays into their final manifests.")
    p.add_argument("overlays", metavar="OVERLAY", nargs="+", help="overlay directory (several: built in parallel)")
    p.add_argument("-o", "--output", metavar="FILE|DIR/",
                   help="write to FILE, or one file per object under DIR/ (stale files removed); "
                        "with several overlays, under DIR/<overlay>/")
    p.add_argument("--format", choices=["yaml", "json"], default="yaml", help="output format (default yaml)")
    p.add_argument("--check", action="store_true",
                   help="with -o DIR/: do not write; exit 1 if DIR differs from a fresh build")
    p.add_argument("-j", "--jobs", type=int, default=None, help="parallel builds (default: number of cores)")
    p.add_argument("--no-validate", action="store_true", help="skip validation")
    p.add_argument("--strict", action="store_true",
                   help="treat warnings (validation, and patches whose target matches nothing) as errors")
    add_build_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import KcompileError

    if args.check and not args.output:
        raise KcompileError("--check needs -o DIR/ (the directory to compare with)")
    if len(args.overlays) == 1 and not args.check:
        return _build_one(args)
    return _build_many(args)


def _build_one(args: argparse.Namespace) -> int:
    if not args.no_cache and not args.debug:
        return _build_one_cached(args)
    from ..build import build
    from ..output.emit import emit

    result = build(args.overlays[0], build_options(args))
    if not args.no_validate:
        from ._validation import validate_or_fail

        validate_or_fail(result, strict=args.strict, kube_version=args.kube_version)
    if args.output and args.output != "-":
        from ..multi.jobs import build_inputs
        from ..output.directory import is_directory_target

        check_target(args.output, is_directory_target(args.output), build_inputs(result), args.overlays)
    emit(result.resources, args.output, args.format)
    return 0


def check_target(output: str, to_dir: bool, inputs, overlays: list[str]) -> None:
    """Refuse an ``-o`` that would write over the build's inputs or the repository."""
    from ..cache.location import repo_root_of
    from ..output.targets import check_output_target

    check_output_target(output, to_dir, inputs, repo_root_of(overlays[0]))


def _build_one_cached(args: argparse.Namespace) -> int:
    """One overlay through the build-output cache: an unchanged overlay is not rebuilt."""
    from ..cache.builds import new_run
    from ..multi.jobs import render_overlay
    from ..multi.outcome import write_outputs

    new_run()
    to_file = bool(args.output) and args.output != "-"
    to_dir = False
    if to_file:
        from ..output.directory import is_directory_target

        to_dir = is_directory_target(args.output)
    outcome = render_overlay(args.overlays[0], build_options(args), args.format, not args.no_validate,
                             args.strict, to_dir)
    if outcome.messages:
        sys.stderr.write(outcome.messages)
    if outcome.error:
        print(outcome.error, file=sys.stderr)
        return 1
    if to_file:
        from ..output.emit import write_output_file
        from ..output.directory import write_directory

        check_target(args.output, to_dir, outcome.inputs, args.overlays)
        if to_dir:
            write_directory(args.output, outcome.file_set())
        else:
            write_output_file(args.output, outcome.cached.data() if outcome.cached is not None else outcome.text or "")
    else:
        write_outputs([outcome])
    return 0


def overlay_dir_name(overlay: str) -> str:
    """Where an overlay's files go under DIR/: its path relative to the repository."""
    import os

    from ..cache.location import repo_root_of

    path = os.path.realpath(overlay)
    root = repo_root_of(path)
    rel = os.path.relpath(path, root) if path != root else os.path.basename(path)
    return rel.replace(os.sep, "/")


def _build_many(args: argparse.Namespace) -> int:
    from ..errors import KcompileError
    from ..multi.jobs import build_many
    from ..multi.outcome import write_outputs
    from ..multi.progress import ProgressBar

    single = len(args.overlays) == 1
    to_dir = False
    if args.output:  # the emitter (and YAML writer) is only imported when writing files
        from ..output.directory import is_directory_target

        to_dir = is_directory_target(args.output)
    if args.output and not to_dir:
        raise KcompileError("several overlays need -o DIR/ (one directory per overlay), not a file")
    outcomes = build_many(
        args.overlays, build_options(args), fmt=args.format, validate=not args.no_validate,
        strict=args.strict, per_object=to_dir, jobs=args.jobs, progress=ProgressBar(),
    )
    failed = [o for o in outcomes if not o.ok]
    for o in outcomes:
        if o.messages:
            sys.stderr.write(o.messages)
        if o.error:
            print(o.error, file=sys.stderr)
    if failed:
        print(f"kcompile: {len(failed)} of {len(outcomes)} overlays failed; nothing was written", file=sys.stderr)
        return 1
    if not to_dir:
        parts: list = []
        for o in outcomes:
            parts += ["---\n"] if parts else []
            parts += [f"# overlay: {o.overlay}\n", o]
        write_outputs(parts)
        return 0
    import os

    from ..output.directory import directory_differences, write_directory

    targets = [(args.output if single else os.path.join(args.output, overlay_dir_name(o.overlay)), o)
               for o in outcomes]
    if not args.check:
        inputs = [p for o in outcomes for p in o.inputs]
        for target in [args.output] + [t for t, _o in targets]:
            check_target(target, True, inputs, args.overlays)
    if args.check:
        diffs = [d for target, o in targets for d in directory_differences(target, o.file_set())]
        for d in diffs:
            print(d, file=sys.stderr)
        if diffs:
            print(f"kcompile: {args.output} is out of date ({len(diffs)} file(s)); run without --check",
                  file=sys.stderr)
            return 1
        return 0
    for target, o in targets:
        write_directory(target, o.file_set())
    return 0
