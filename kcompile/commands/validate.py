"""`kcompile validate OVERLAY...`: build and validate only (schemas + apply-time checks).

Several overlays are validated in parallel processes (as `kcompile build` builds them),
with a progress bar on a terminal; results are printed in argument order.
"""

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
    p.add_argument("-j", "--jobs", type=int, default=None, help="parallel validations (default: number of cores)")
    add_build_options(p)
    p.set_defaults(run=run)


def validate_overlay(job: tuple) -> tuple[str, list[dict], str, str | None]:
    """(overlay, findings as dicts, findings as text, error line) — runs in a worker."""
    from ..build import build
    from ..errors import KcompileError
    from ..validate import format_findings, validate

    overlay, options, strict = job
    try:
        result = build(overlay, options)
        findings = validate(result.resources, kube_version=options.kube_version, strict=strict,
                            extra_schemas=[*result.crds, *getattr(result, "openapi", [])])
        return overlay, [f.as_dict() for f in findings], format_findings(findings, "text"), None
    except KcompileError as e:
        return overlay, [], "", f"kcompile: error: {e.format()}"


def run(args: argparse.Namespace) -> int:
    import json

    from ..multi import ProgressBar, map_in_workers
    from .build import build_options

    options = build_options(args)
    results = map_in_workers(lambda i: validate_overlay((args.overlays[i], options, args.strict)),
                             list(args.overlays), jobs=args.jobs, progress=ProgressBar())
    failed = False
    all_findings: list[dict] = []
    for overlay, findings, text, error in results:
        if error:
            print(error, file=sys.stderr)
            failed = True
            continue
        if any(f["severity"] == "error" for f in findings):
            failed = True
        all_findings.extend({**f, "overlay": overlay} for f in findings)
        if args.format == "text":
            sys.stdout.write(text)
    if args.format == "json":
        sys.stdout.write(json.dumps(all_findings, indent=2) + "\n")
    elif not failed:
        n = sum(1 for f in all_findings if f["severity"] == "warning")
        print(f"kcompile: {len(args.overlays)} overlay(s) valid" + (f" ({n} warning(s))" if n else ""), file=sys.stderr)
    return 1 if failed else 0
