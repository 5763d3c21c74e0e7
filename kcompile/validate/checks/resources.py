"""Container resources: no request above its limit (the container's own or its namespace's
LimitRange default).
"""

from __future__ import annotations

from ...model import Resource
from .. import Finding
from ..quantity import parse_quantity
from .pods import containers, limit_range_defaults, pod_spec


def check(resources: list[Resource]) -> list[Finding]:
    """Every container of every object that runs pods."""
    limit_ranges = limit_range_defaults(resources)
    out: list[Finding] = []
    for r in resources:
        spec_path, spec = pod_spec(r)
        if spec is not None:
            out += _requests_above_limits(r, spec, spec_path, limit_ranges.get(r.namespace or "default"))
    return out


def _requests_above_limits(r: Resource, spec: dict, base: list, defaults: dict | None = None) -> list[Finding]:
    """Each container's requests against its limits, exactly. A limit the container
    does not set may come from its namespace's LimitRange ``default``: the API server
    applies it first, then refuses the pod if the request is above it."""
    out = []
    default_limits = (defaults or {}).get("default") or {}
    for path, c, _ in containers(spec, base):
        res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
        requests = res.get("requests") if isinstance(res.get("requests"), dict) else {}
        limits = res.get("limits") if isinstance(res.get("limits"), dict) else {}
        for name, req in requests.items():
            if name in limits:
                limit, source = limits[name], ""
            elif isinstance(default_limits, dict) and name in default_limits:
                limit, source = default_limits[name], " that the namespace's LimitRange sets by default"
            else:
                continue
            rq, lm = parse_quantity(req), parse_quantity(limit)
            if rq is not None and lm is not None and rq > lm:
                out.append(Finding("error", r, path + ["resources", "requests", name],
                                   f"request {req} is more than the limit {limit}{source}"))
    return out
