"""Duplicate objects: two objects of one build with the same group, kind, namespace and name.
"""

from __future__ import annotations

from ...model import Resource, split_api_version
from .. import Finding, object_id


def check(resources: list[Resource]) -> list[Finding]:
    """An error for each object whose (group, kind, namespace, name) an earlier one has:
    the cluster would keep only one of them. The same name in two API versions of a
    kind (the v1 and v2 samples an operator scaffold writes) is a warning: one object
    in the cluster, the one applied last wins."""
    seen: dict[tuple, Resource] = {}
    out = []
    for r in resources:
        group, _ = split_api_version(r.api_version)
        key = (group, r.kind, r.namespace, r.name)
        other = seen.get(key)
        if other is not None:
            if other.api_version != r.api_version:
                out.append(Finding("warning", r, ["apiVersion"],
                                   f"{object_id(r)} is also defined as {other.api_version}: one object in the "
                                   "cluster, the one applied last wins"))
            else:
                out.append(Finding("error", r, ["metadata", "name"],
                                   f"duplicate object: {object_id(r)} is defined twice"))
        seen[key] = r
    return out
