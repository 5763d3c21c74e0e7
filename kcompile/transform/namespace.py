"""namespace: set metadata.namespace of every namespaced object (Kustomize semantics).

Also renames a Namespace object (its metadata.name), fills the other namespace fields
field specs list (APIService, CRD conversion webhook), and sets the namespace of
RoleBinding/ClusterRoleBinding subjects named ``default`` as Kustomize does.
"""

from __future__ import annotations

from typing import Any

from ..fields import specs as fieldspecs
from ..fields.path import walk
from ..errors import KcompileError
from ..model import Resource, split_api_version


def set_namespace(resources: list[Resource], namespace: str, *, file: str | None = None) -> None:
    if not namespace:
        return
    seen: dict[tuple, Resource] = {}

    def setter(parent: dict[str, Any], key: str) -> None:
        parent[key] = namespace

    for r in resources:
        if not r.body or (r.origin is not None and r.origin.helm_generated):
            continue
        r.store_previous()
        group, version = split_api_version(r.api_version)
        kind = r.kind
        if not fieldspecs.is_cluster_scoped(group, kind):
            r.metadata["namespace"] = namespace
        for spec in fieldspecs.NAMESPACE:
            if spec.path == ("metadata", "name") and r.api_version != "v1":
                continue
            if spec.selects(group, version, kind):
                walk(r.body, spec.path, setter, spec.create)
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            subjects = r.body.get("subjects")
            if isinstance(subjects, list):
                for s in subjects:
                    if isinstance(s, dict) and s.get("name") == "default":
                        s["namespace"] = namespace
        key = tuple(r.id())
        other = seen.get(key)
        if other is not None:
            raise KcompileError(
                f"namespace {namespace!r} makes two objects the same: {r.id()}", file
            )
        seen[key] = r
