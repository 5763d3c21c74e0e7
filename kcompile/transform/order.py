"""Output order: Kustomize's default 'legacy' order, or FIFO (sortOptions)."""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any

from ..errors import KcompileError
from ..model import Resource, split_api_version

DEFAULT_ORDER_FIRST = [
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
    "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap",
    "Secret", "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume",
    "PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
]
DEFAULT_ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]


def _gvk_string(group: str, version: str, kind: str) -> str:
    return "_".join((group or "~G", version or "~V", kind or "~K"))


def _id_string(kind: str, version: str, group: str, ns: str, name: str) -> str:
    return "|".join((".".join((kind or "~K", version or "~V", group or "~G")), ns or "~X", name or "~N"))


def legacy_key(order_first: list[str], order_last: list[str]):
    """A sort key reproducing Kustomize's legacy order: kind rank, then GVK, then
    namespace/name (Kustomize's own sort strings, '~' standing for empty parts)."""
    ranks = {k: -len(order_first) + i for i, k in enumerate(order_first)}
    ranks.update({k: 1 + i for i, k in enumerate(order_last)})

    def prepared(r: Resource) -> tuple:
        group, version = split_api_version(r.api_version)
        kind = r.kind
        return (
            ranks.get(kind, 0), kind, group, _gvk_string(group, version, kind),
            _id_string(kind, version, group, r.namespace, r.name),
        )

    def compare(a: tuple, b: tuple) -> int:
        if a[3] != b[3]:
            if a[0] != b[0]:
                return -1 if a[0] < b[0] else 1
            if a[1] == "Namespace" and b[1] == "Namespace" and (not a[2] or not b[2]):
                return -1 if a[3] > b[3] else 1
            return -1 if a[3] < b[3] else 1
        if a[4] == b[4]:
            return 0
        return -1 if a[4] < b[4] else 1

    cmp_key = cmp_to_key(compare)
    return lambda r: cmp_key(prepared(r))


def sort_resources(
    resources: list[Resource], sort_options: dict[str, Any] | None, *, file: str | None = None,
    line: int | None = None,
) -> list[Resource]:
    """Sort for output. Default (no sortOptions): legacy order, as `kustomize build`."""
    if not sort_options:
        return sorted(resources, key=legacy_key(DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST))
    order = sort_options.get("order")
    legacy_opts = sort_options.get("legacySortOptions")
    if order == "fifo":
        if legacy_opts is not None:
            raise KcompileError("sortOptions.legacySortOptions is set but the order is 'fifo', not 'legacy'", file, line)
        return resources
    if order == "legacy":
        first = DEFAULT_ORDER_FIRST
        last = DEFAULT_ORDER_LAST
        if legacy_opts is not None:
            first = list(legacy_opts.get("orderFirst") or [])
            last = list(legacy_opts.get("orderLast") or [])
        return sorted(resources, key=legacy_key(first, last))
    raise KcompileError(f"sortOptions.order must be 'legacy' or 'fifo', not {order!r}", file, line)
