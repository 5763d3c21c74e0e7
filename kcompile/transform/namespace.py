"""namespace: set metadata.namespace of every namespaced object (Kustomize semantics).

Also renames a Namespace object (its metadata.name), fills the other namespace fields
the configuration's ``namespace`` table lists (APIService, CRD conversion webhook, and
whatever ``configurations`` add), and sets the namespace of RoleBinding/ClusterRoleBinding
subjects as ``role_binding_subjects`` says: ``defaultOnly`` (subjects named ``default``,
the ``namespace:`` field's behaviour), ``allServiceAccounts`` or ``none``.
``unset_only`` (NamespaceTransformer's ``unsetOnly``) leaves namespaces already set.
"""

from __future__ import annotations

from typing import Any

from ..fields import specs as fieldspecs
from ..fields.path import SpecIndex, walk
from ..errors import KcompileError
from ..model import Resource, split_api_version
from .config import DEFAULT, TransformerConfig

SUBJECT_MODES = ("defaultOnly", "allServiceAccounts", "none")


def set_namespace(resources: list[Resource], namespace: str, *, file: str | None = None,
                  config: TransformerConfig = DEFAULT, specs: Any = None, unset_only: bool = False,
                  role_binding_subjects: str = "defaultOnly") -> None:
    """``specs`` (a plugin's own fieldSpecs) replaces the configuration's table."""
    if not namespace:
        return
    if role_binding_subjects not in SUBJECT_MODES:
        raise KcompileError(
            f"invalid value {role_binding_subjects!r} for setRoleBindingSubjects: must be one of "
            + ", ".join(repr(m) for m in SUBJECT_MODES), file,
        )
    table = config.namespace if specs is None else tuple(specs)
    # metadata/namespace is set below for every namespaced object; metadata/name only
    # of a v1 Namespace (Kustomize drops both specs from the table).
    named = SpecIndex([s for s in table if s.path != ("metadata", "namespace")])
    seen: dict[tuple, Resource] = {}

    def setter(parent: dict[str, Any], key: str) -> None:
        if unset_only and parent.get(key) not in (None, ""):
            return
        parent[key] = namespace

    for r in resources:
        if not r.body or (r.origin is not None and r.origin.helm_generated):
            continue
        r.store_previous()
        group, version = split_api_version(r.api_version)
        kind = r.kind
        if not fieldspecs.is_cluster_scoped(group, kind) or (group, kind) in fieldspecs.NAMESPACE_SET_BY_KUSTOMIZE:
            setter(r.metadata, "namespace")
        for spec in named.for_kind(group, version, kind):
            if spec.path == ("metadata", "name") and r.api_version != "v1":
                continue
            if kind in ("RoleBinding", "ClusterRoleBinding") and spec.path == ("subjects", "namespace"):
                continue
            walk(r.body, spec.path, setter, spec.create, spec.lists)
        if kind in ("RoleBinding", "ClusterRoleBinding") and role_binding_subjects != "none":
            subjects = r.body.get("subjects")
            if isinstance(subjects, list):
                for s in subjects:
                    if not isinstance(s, dict):
                        continue
                    if (s.get("name") == "default" if role_binding_subjects == "defaultOnly"
                            else s.get("kind") == "ServiceAccount"):
                        setter(s, "namespace")
        key = tuple(r.id())
        other = seen.get(key)
        if other is not None:
            raise KcompileError(
                f"namespace {namespace!r} makes two objects the same: {r.id()}", file
            )
        seen[key] = r
