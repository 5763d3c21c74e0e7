"""`kcompile build OVERLAY`: print the final manifests (validated unless --no-validate)."""

from __future__ import annotations

import argparse


def add_build_options(p: argparse.ArgumentParser) -> None:
    """Flags every command that builds an overlay shares."""
    p.add_argument("--load-restrictor", default="rootOnly", choices=["rootOnly", "none"],
                   help="rootOnly (default): files must lie inside their overlay's directory, bases "
                        "inside the repository; none: no restriction")
    p.add_argument("--kube-version", metavar="VERSION",
                   help="Kubernetes version whose schemas to use (default: the newest installed)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not read or write the parsed-file cache in .kcompile/cache")
    p.add_argument("--set", dest="set_values", action="append", default=[], metavar="RELEASE.KEY=VALUE",
                   help="override a chart value (highest precedence); repeatable")


def build_options(args: argparse.Namespace):
    from ..build import BuildOptions

    return BuildOptions(
        load_restrictor=args.load_restrictor,
        kube_version=args.kube_version,
        set_values=tuple(args.set_values),
        use_cache=not args.no_cache,
    )


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build an overlay into final manifests",
                       description="Build an overlay into its final manifests.")
    p.add_argument("overlay", metavar="OVERLAY", help="overlay directory")
    p.add_argument("-o", "--output", metavar="FILE|DIR/",
                   help="write to FILE, or one file per object under DIR/ (stale files removed)")
    p.add_argument("--format", choices=["yaml", "json"], default="yaml", help="output format (default yaml)")
    p.add_argument("--no-validate", action="store_true", help="skip validation")
    p.add_argument("--strict", action="store_true", help="treat validation warnings as errors")
    add_build_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from ..emit import emit

    result = build(args.overlay, build_options(args))
    if not args.no_validate:
        from ._validation import validate_or_fail

        validate_or_fail(result, strict=args.strict, kube_version=args.kube_version)
    emit(result.resources, args.output, args.format)
    return 0
