"""Fields Kubernetes refuses to change in place: a change to one is a ``replace``
(delete, then create), with the downtime that implies."""

from __future__ import annotations

from typing import Any

_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
# StatefulSet spec fields the API server rejects updates to (everything but replicas,
# template, updateStrategy, persistentVolumeClaimRetentionPolicy, minReadySeconds, ordinals).
_STATEFULSET_FIXED = ("selector", "volumeClaimTemplates", "serviceName", "podManagementPolicy")


def _get(o: dict | None, *path: str) -> Any:
    node: Any = o
    for p in path:
        node = node.get(p) if isinstance(node, dict) else None
    return node


def _pvc_fixed_spec(spec: Any) -> dict:
    """A PVC spec without what may change in place: storage requests (expansion) and
    the volume attributes class."""
    spec = dict(spec) if isinstance(spec, dict) else {}
    spec.pop("volumeAttributesClassName", None)
    resources = dict(spec.get("resources") or {})
    requests = dict(resources.get("requests") or {})
    requests.pop("storage", None)
    if requests:
        resources["requests"] = requests
    else:
        resources.pop("requests", None)
    if resources:
        spec["resources"] = resources
    else:
        spec.pop("resources", None)
    return spec


def needs_replace(before: dict, after: dict) -> str | None:
    """Why changing ``before`` into ``after`` needs delete + create, or None."""
    kind = after.get("kind")
    if kind in _SELECTOR_KINDS:
        fields = _STATEFULSET_FIXED if kind == "StatefulSet" else ("selector",)
        for f in fields:
            if _get(before, "spec", f) != _get(after, "spec", f):
                return f"spec.{f} is immutable"
    elif kind == "Job":
        for f in ("selector", "template"):
            if _get(before, "spec", f) != _get(after, "spec", f):
                return f"spec.{f} is immutable"
    elif kind == "Service":
        b, a = _get(before, "spec", "clusterIP"), _get(after, "spec", "clusterIP")
        # an unset clusterIP keeps the allocated one; "None" (headless) cannot be switched either way
        if b != a and (b is not None and a is not None or "None" in (a, b)):
            return "spec.clusterIP is immutable"
    elif kind == "PersistentVolumeClaim":
        if _pvc_fixed_spec(before.get("spec")) != _pvc_fixed_spec(after.get("spec")):
            return "a PersistentVolumeClaim's spec is immutable (except storage requests)"
    elif kind == "Pod":
        if _get(before, "spec") != _get(after, "spec"):
            return "a Pod's spec is immutable (only images and a few fields can change in place)"
    if kind == "Secret" and (before.get("type") or "Opaque") != (after.get("type") or "Opaque"):
        return "a Secret's type is immutable"
    if kind in ("ConfigMap", "Secret") and before.get("immutable") is True:
        if after.get("immutable") is not True:
            return f"an immutable {kind} cannot be made mutable again"
        for f in ("data", "binaryData", "stringData"):
            if before.get(f) != after.get(f):
                return f"{kind} is immutable (immutable: true): its {f} cannot change in place"
    return None
