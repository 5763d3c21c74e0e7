"""Output order: Kustomize's default 'legacy' order, or FIFO (sortOptions)."""

from __future__ import annotations

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
    namespace/name (Kustomize's own sort strings, '~' standing for empty parts).

    Kustomize compares two Namespace GVKs in reverse when either has no group, which puts
    the core Namespace before grouped kinds named Namespace; the key encodes that directly
    (a plain tuple key sorts ~5x faster than a comparison function)."""
    ranks = {k: -len(order_first) + i for i, k in enumerate(order_first)}
    ranks.update({k: 1 + i for i, k in enumerate(order_last)})

    def key(r: Resource) -> tuple:
        group, version = split_api_version(r.api_version)
        kind = r.kind
        gvk = _gvk_string(group, version, kind)
        gvk_key = ((0, "") if not group else (1, gvk)) if kind == "Namespace" else (0, gvk)
        return (ranks.get(kind, 0), gvk_key, _id_string(kind, version, group, r.namespace, r.name))

    return key


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
