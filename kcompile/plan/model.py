"""The plan as data: what a rollout will create, update, replace or delete, in order.

Renderers (:mod:`kcompile.report`) format it; nothing here prints or recomputes.
``Plan.as_dict()`` is the documented JSON format (docs/plan.md).
"""

from __future__ import annotations

from typing import Any

ACTIONS = ("create", "update", "replace", "delete")
SENSITIVE_CHANGED = "(sensitive value changed)"
SENSITIVE_ADDED = "(sensitive value added)"
SENSITIVE_REMOVED = "(sensitive value removed)"


class FieldChange:
    """One changed field: ``path`` like ``spec.template.spec.containers[name=web].image``;
    ``before``/``after`` are None when the field is added/removed."""

    __slots__ = ("path", "before", "after")

    def __init__(self, path: str, before: Any, after: Any) -> None:
        self.path = path
        self.before = before
        self.after = after

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}

    def __repr__(self) -> str:
        return f"FieldChange({self.path!r}, {self.before!r}, {self.after!r})"


class Rollout:
    """What a change does to running pods.

    ``strategy``: rolling | recreate | scale | replace | none. ``replicas``: desired pods
    after the change; ``pods``: pods replaced (rolling/recreate/replace), started or
    stopped (scale, create, delete). ``max_surge``/``max_unavailable`` are resolved pod
    counts; ``min_available``/``max_total`` bound the pods during the change; None where
    the plan cannot know (a DaemonSet's node count)."""

    __slots__ = ("strategy", "replicas", "pods", "max_surge", "max_unavailable", "min_available", "max_total",
                 "steps", "downtime", "description")

    def __init__(self, strategy: str, replicas: int | None = None, pods: int | None = None, max_surge: int | None = 0,
                 max_unavailable: int | None = 0, min_available: int | None = None, max_total: int | None = None,
                 steps: int | None = 0, downtime: bool = False, description: str = "") -> None:
        self.strategy = strategy
        self.replicas = replicas
        self.pods = pods
        self.max_surge = max_surge
        self.max_unavailable = max_unavailable
        self.min_available = min_available
        self.max_total = max_total
        self.steps = steps
        self.downtime = downtime
        self.description = description

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class Change:
    """One object's change. ``before``/``after`` are the whole objects (Secret values as
    digests) for renderers that want them; ``replaces`` is the old name when a
    content-hash-named ConfigMap/Secret is replaced by its new name."""

    __slots__ = ("action", "api_version", "kind", "namespace", "name", "fields", "rollout", "warnings",
                 "before", "after", "replaces")

    def __init__(self, action: str, api_version: str, kind: str, namespace: str, name: str,
                 before: dict | None, after: dict | None) -> None:
        self.action = action
        self.api_version = api_version
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.before = before
        self.after = after
        self.fields: list[FieldChange] = []
        self.rollout: Rollout | None = None
        self.warnings: list[str] = []
        self.replaces: str | None = None

    @property
    def object_id(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    def as_dict(self) -> dict[str, Any]:
        d = {
            "action": self.action, "apiVersion": self.api_version, "kind": self.kind,
            "namespace": self.namespace or None, "name": self.name,
            "fields": [f.as_dict() for f in self.fields],
            "rollout": self.rollout.as_dict() if self.rollout else None,
            "warnings": list(self.warnings),
        }
        if self.replaces:
            d["replaces"] = self.replaces
        return d


class QuotaUse:
    """One ResourceQuota limit after the change: ``used`` in steady state, ``peak`` during
    rolling updates (surge pods count), ``over`` when the peak exceeds ``hard``."""

    __slots__ = ("namespace", "quota", "resource", "used", "peak", "hard", "over")

    def __init__(self, namespace: str, quota: str, resource: str, used: str, peak: str, hard: str,
                 over: bool) -> None:
        self.namespace, self.quota, self.resource = namespace, quota, resource
        self.used, self.peak, self.hard, self.over = used, peak, hard, over

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class Plan:
    """Changes in apply order (applies, then deletes in reverse), plus what did not change
    (only when asked), quota use per namespace and plan-wide warnings."""

    def __init__(self, environment: str, base_revision: int | None, changes: list[Change],
                 unchanged: list[Change] | None = None, quota: list[QuotaUse] | None = None,
                 warnings: list[str] | None = None) -> None:
        self.environment = environment
        self.base_revision = base_revision
        self.changes = changes
        self.unchanged = unchanged or []
        self.quota = quota or []
        self.warnings = warnings or []
        self.base_ref: str | None = None  # set by `kcompile diff`

    @property
    def summary(self) -> dict[str, int]:
        s = {a: 0 for a in ACTIONS}
        for c in self.changes:
            s[c.action] += 1
        return s

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "base_revision": self.base_revision,
            **({"base_ref": self.base_ref} if self.base_ref else {}),
            "summary": self.summary,
            "changes": [c.as_dict() for c in self.changes],
            "unchanged": [c.object_id for c in self.unchanged],
            "quota": [q.as_dict() for q in self.quota],
            "warnings": list(self.warnings),
        }
