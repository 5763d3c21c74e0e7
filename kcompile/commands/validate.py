"""`kcompile validate OVERLAY...`: build and validate only (schemas + apply-time checks)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from .build import add_build_options

    p = sub.add_parser("validate", help="build overlays and validate the result",
                       description="Build overlays and check every object: Kubernetes schemas and the checks "
                                   "the cluster would make at apply time. Exit 1 on any error.")
    p.add_argument("overlays", metavar="OVERLAY", nargs="+")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--format", choices=["text", "json"], default="text")
    add_build_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from ..validate import format_findings, validate
    from .build import build_options

    failed = False
    all_findings = []
    for overlay in args.overlays:
        result = build(overlay, build_options(args))
        findings = validate(result.resources, kube_version=args.kube_version, strict=args.strict,
                            extra_schemas=result.crds)
        if any(f.severity == "error" for f in findings):
            failed = True
        all_findings.extend(findings)
        if args.format == "text":
            sys.stdout.write(format_findings(findings, "text"))
    if args.format == "json":
        sys.stdout.write(format_findings(all_findings, "json"))
    elif not failed:
        n = sum(1 for f in all_findings if f.severity == "warning")
        print(f"kcompile: {len(args.overlays)} overlay(s) valid" + (f" ({n} warning(s))" if n else ""), file=sys.stderr)
    return 1 if failed else 0
