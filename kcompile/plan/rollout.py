"""Rollout impact: what a change does to running pods, with Kubernetes' own rules.

RollingUpdate Deployment with R replicas: maxSurge S (a percentage rounds up) and
maxUnavailable U (rounds down; if both are 0, U is 1; defaults 25%/25%). All R pods are
replaced; at least R-U are available and at most R+S exist at any time; each step can
replace S+U pods, so the roll takes ceil(R / (S+U)) steps. Recreate stops all pods
first (downtime). StatefulSets roll one pod at a time (R steps, R-1 available).
"""

from __future__ import annotations

from typing import Any

from ..validate.checks import resolve_int_or_percent
from .model import Rollout

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod"}


def _template(obj: dict | None) -> Any:
    if not obj:
        return None
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    return spec.get("template")


def deployment_rollout(spec: dict, replicas: int) -> Rollout:
    strategy = spec.get("strategy") if isinstance(spec.get("strategy"), dict) else {}
    if strategy.get("type") == "Recreate":
        return Rollout("recreate", replicas, 0, replicas, 0, replicas, 1 if replicas else 0, replicas > 0,
                       f"Recreate: all {replicas} pods stop before new ones start (downtime)")
    ru = strategy.get("rollingUpdate") if isinstance(strategy.get("rollingUpdate"), dict) else {}
    surge = resolve_int_or_percent(ru.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = resolve_int_or_percent(ru.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    per_step = surge + unavailable
    steps = -(-replicas // per_step) if replicas else 0
    min_available = max(replicas - unavailable, 0)
    max_total = replicas + surge
    return Rollout("rolling", replicas, surge, unavailable, min_available, max_total, steps, min_available == 0 and replicas > 0,
                   f"{replicas} pods roll in {steps} step(s); at least {min_available} available, "
                   f"at most {max_total} running")


def rollout_for(action: str, before: dict | None, after: dict | None) -> Rollout | None:
    obj = after or before
    if not obj or obj.get("kind") not in WORKLOADS:
        return None
    kind = obj["kind"]
    spec = (after or {}).get("spec") or {}
    replicas = spec.get("replicas", 1) if kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController") else None
    if kind == "Pod":
        replicas = 1
    if action == "create":
        return Rollout("none", replicas, 0, 0, replicas, replicas, 0, False, "new: pods start")
    if action == "delete":
        old = (before or {}).get("spec") or {}
        n = old.get("replicas", 1) if kind in ("Deployment", "StatefulSet", "ReplicaSet") else replicas
        return Rollout("none", n, 0, 0, 0, n, 0, True, "deleted: its pods stop")
    if action == "replace":
        return Rollout("replace", replicas, 0, replicas or 0, 0, replicas, 1, True,
                       "replaced (delete and recreate): all pods stop, then start again (downtime)")
    template_changed = _template(before) != _template(after)
    old_replicas = ((before or {}).get("spec") or {}).get("replicas", 1)
    if not template_changed:
        if replicas is not None and replicas != old_replicas:
            return Rollout("scale", replicas, 0, 0, min(old_replicas, replicas), max(old_replicas, replicas), 1, False,
                           f"scales from {old_replicas} to {replicas} pods without restarting any")
        return Rollout("none", replicas, 0, 0, replicas, replicas, 0, False, "no pod changes")
    if kind == "Deployment":
        return deployment_rollout(spec, replicas if isinstance(replicas, int) else 1)
    if kind == "StatefulSet":
        strategy = (spec.get("updateStrategy") or {})
        if strategy.get("type") == "OnDelete":
            return Rollout("none", replicas, 0, 0, replicas, replicas, 0, False,
                           "OnDelete: pods change only when deleted by hand")
        ru = strategy.get("rollingUpdate") or {}
        unavailable = resolve_int_or_percent(ru.get("maxUnavailable", 1), replicas or 0, round_up=False) or 1
        steps = -(-(replicas or 0) // unavailable)
        return Rollout("rolling", replicas, 0, unavailable, max((replicas or 0) - unavailable, 0), replicas, steps,
                       False, f"{replicas} pods roll {unavailable} at a time, in reverse ordinal order")
    if kind == "DaemonSet":
        ru = ((spec.get("updateStrategy") or {}).get("rollingUpdate")) or {}
        return Rollout("rolling", None, 0, 1 if ru.get("maxUnavailable") is None else ru.get("maxUnavailable"),
                       None, None, 0, False, "one pod per node rolls, node by node")
    return Rollout("replace" if kind == "Pod" else "rolling", replicas, 0, replicas or 0, 0, replicas, 1,
                   kind == "Pod", "pod template changed")
