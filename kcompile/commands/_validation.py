"""Validation as a build step: findings on stderr; errors stop the build (exit 1)."""

from __future__ import annotations

import sys

from ..errors import KcompileError


def validate_or_fail(result, *, strict: bool = False, kube_version: str | None = None) -> None:
    try:
        from ..validate import format_findings, validate
    except ImportError:  # validation module not installed in this build
        return
    findings = validate(result.resources, kube_version=kube_version, strict=strict,
                        extra_schemas=[*(getattr(result, "crds", None) or []), *(getattr(result, "openapi", None) or [])])
    if not findings:
        return
    errors = [f for f in findings if f.severity == "error"]
    shown = [f for f in findings if f.severity in ("error", "warning")]
    if shown:
        sys.stderr.write(format_findings(shown, "text"))
    if errors:
        raise KcompileError(f"validation failed: {len(errors)} error(s); nothing was written")
