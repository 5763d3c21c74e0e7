"""Apply order (SPEC §7): Namespace, ResourceQuota, LimitRange, ServiceAccount, Secret,
ConfigMap, storage, RBAC, Service, workloads, autoscalers, ingress, then everything else.
Deletes run after every apply, in reverse order.

CustomResourceDefinitions go with Namespaces (custom objects need their definitions
first). Inside a group the listed order holds (a Role before the RoleBinding that names
it, an IngressClass before Ingresses), then namespace and name.
"""

from __future__ import annotations

APPLY_ORDER: list[list[str]] = [
    ["Namespace", "CustomResourceDefinition"],
    ["ResourceQuota"],
    ["LimitRange"],
    ["ServiceAccount"],
    ["Secret"],
    ["ConfigMap"],
    ["StorageClass", "PersistentVolume", "PersistentVolumeClaim"],
    ["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"],
    ["Service"],
    ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod"],
    ["HorizontalPodAutoscaler", "VerticalPodAutoscaler"],
    ["IngressClass", "Ingress"],
]
_RANK = {kind: (group, i) for group, kinds in enumerate(APPLY_ORDER) for i, kind in enumerate(kinds)}
_REST = (len(APPLY_ORDER), 0)


def apply_rank(kind: str) -> tuple[int, int]:
    """(group, position in group) of a kind; kinds not listed come last."""
    return _RANK.get(kind, _REST)


def sort_key(action: str, kind: str, namespace: str, name: str) -> tuple:
    """Applies in apply order, then deletes in reverse apply order."""
    group, pos = apply_rank(kind)
    if action == "delete":
        return (1, -group, -pos, kind, namespace, name)
    return (0, group, pos, kind, namespace, name)
