"""`kcompile validate OVERLAY...`: build and validate only (schemas + apply-time checks).

Several overlays are validated in parallel processes (as `kcompile build` builds them),
with a progress bar on a terminal; results are printed in argument order. Findings are
kept in the build cache: an overlay whose inputs did not change is not validated again.
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


class _Validation:
    """Validating one overlay, through the build cache: findings of an overlay whose
    inputs did not change are reused (the pre-commit hook runs this on every commit)."""

    def __init__(self, options, strict: bool) -> None:
        from ..multi.jobs import cache_fingerprint

        self.options = options
        self.strict = strict
        self.fingerprint = cache_fingerprint(options, "validate", strict)

    def cached(self, overlay: str) -> tuple | None:
        import json

        from ..multi.jobs import build_cache_for

        cache = build_cache_for(self.options)
        hit = cache.get(cache.key(overlay, self.fingerprint)) if cache is not None else None
        if hit is None:
            return None
        try:
            recorded = json.loads(hit[1].data())
        except (OSError, ValueError):
            return None
        return overlay, recorded["findings"], recorded["text"], None

    def build(self, overlay: str) -> tuple[str, list[dict], str, str | None]:
        """(overlay, findings as dicts, findings as text, error line) — runs in a worker."""
        import json

        from ..build import build
        from ..errors import KcompileError
        from ..multi.jobs import build_cache_for
        from ..validate import format_findings, validate

        try:
            result = build(overlay, self.options)
            findings = validate(result.resources, kube_version=self.options.kube_version, strict=self.strict,
                                extra_schemas=[*result.crds, *getattr(result, "openapi", [])])
        except KcompileError as e:
            return overlay, [], "", f"kcompile: error: {e.format()}"
        as_dicts, text = [f.as_dict() for f in findings], format_findings(findings, "text")
        cache = build_cache_for(self.options)
        if cache is not None:
            cache.put(cache.key(overlay, self.fingerprint), result.inputs,
                      json.dumps({"findings": as_dicts, "text": text}), None, "")
        return overlay, as_dicts, text, None

    # Results are plain data already; a failed worker leaves an error line (multi.run_jobs).
    @staticmethod
    def frame(result: tuple) -> tuple:
        return result

    @staticmethod
    def unframe(overlay: str, payload: tuple) -> tuple:
        return tuple(payload)

    @staticmethod
    def failed(overlay: str, message: str, detail: str = "") -> tuple:
        return overlay, [], "", f"kcompile: error: {message}" + (f"\n{detail}" if detail else "")

    @staticmethod
    def prepare() -> None:
        from importlib import import_module

        for name in ("build", "validate"):
            import_module(f"kcompile.{name}")


def run(args: argparse.Namespace) -> int:
    import json

    from ..cache.builds import new_run
    from ..multi.pool import run_jobs
    from ..multi.progress import ProgressBar
    from .build import build_options

    options = build_options(args)
    if len(args.overlays) > 1:
        options = options.for_several_overlays()
    new_run()
    results = run_jobs(_Validation(options, args.strict), list(args.overlays), args.jobs, ProgressBar())
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
