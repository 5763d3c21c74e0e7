"""Duplicate objects: two objects of one build with the same group, kind, namespace and name.
"""

from __future__ import annotations

from ...model import Resource, split_api_version
from .. import Finding, object_id


def check(resources: list[Resource]) -> list[Finding]:
    """An error for each object whose (group, kind, namespace, name) an earlier one has:
    the cluster would keep only one of them."""
    seen: dict[tuple, Resource] = {}
    out = []
    for r in resources:
        group, _ = split_api_version(r.api_version)
        key = (group, r.kind, r.namespace, r.name)
        if key in seen:
            out.append(Finding("error", r, ["metadata", "name"],
                               f"duplicate object: {object_id(r)} is defined twice"))
        seen[key] = r
    return out
