"""Rollout impact: what a change does to running pods, with Kubernetes' own rules.

RollingUpdate Deployment with R replicas: maxSurge S (a percentage of R rounds up) and
maxUnavailable U (rounds down; if both come out 0, U is 1; defaults 25%/25%; U never
exceeds R). All R pods are replaced; at least R-U are available and at most R+S exist
at any time. Each wave of new pods becoming ready replaces S+U pods, so the roll takes
ceil(R / (S+U)) steps. Recreate stops all pods first (downtime). A StatefulSet rolls
``maxUnavailable`` (default 1) pods at a time from the highest ordinal, sparing ordinals
below ``partition``. A change to replicas only scales, restarting nothing.

A Deployment or StatefulSet without ``spec.replicas`` whose replicas a
HorizontalPodAutoscaler owns (its ``scaleTargetRef``, same namespace) is planned with
the HPA's ``minReplicas`` (default 1), the fewest pods it runs, and the rollout says so.
"""

from __future__ import annotations

from typing import Any

from .model import Rollout

WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
                       "CronJob", "Pod"})
STARTS = "new: its pods start"  # what a create or delete does, said only when there is more to say
STOPS = "deleted: its pods stop"
_SCALABLE = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})


def resolve_int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    """Kubernetes' IntOrString rule: an int as it is, ``"N%"`` as N% of ``total`` rounded
    up (surge) or down (unavailable); anything unreadable counts as 0."""
    from ..validate.checks.pods import resolve_int_or_percent as resolve

    return resolve(value, total, round_up=round_up)


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


HpaOwners = dict  # (namespace, kind, name) of a scale target -> (minReplicas, HPA name)


def hpa_owners(objects: list[dict]) -> HpaOwners:
    """The workloads HorizontalPodAutoscalers among ``objects`` scale, with their minReplicas."""
    out: HpaOwners = {}
    for o in objects:
        if o.get("kind") != "HorizontalPodAutoscaler":
            continue
        spec = _dict(o.get("spec"))
        ref = _dict(spec.get("scaleTargetRef"))
        low = spec.get("minReplicas", 1)
        low = low if isinstance(low, int) and not isinstance(low, bool) else 1
        md = _dict(o.get("metadata"))
        out[(md.get("namespace") or "", ref.get("kind"), ref.get("name"))] = (low, md.get("name"))
    return out


def _owner(obj: dict | None, owners: HpaOwners | None) -> tuple[int, str] | None:
    """(minReplicas, HPA name) when an HPA owns the replicas of ``obj`` (which has none)."""
    o = _dict(obj)
    if not owners or "replicas" in _dict(o.get("spec")):
        return None
    md = _dict(o.get("metadata"))
    return owners.get((md.get("namespace") or "", o.get("kind"), md.get("name")))


def _replicas(obj: dict | None, owners: HpaOwners | None = None) -> int:
    owner = _owner(obj, owners)
    if owner is not None:
        return owner[0]
    v = _dict(_dict(obj).get("spec")).get("replicas", 1)
    return v if isinstance(v, int) and not isinstance(v, bool) else 1


def pod_template(obj: dict | None) -> Any:
    """The pod template (or a Pod's spec) of a workload; None for other objects."""
    if not obj:
        return None
    spec = _dict(obj.get("spec"))
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        return _dict(_dict(spec.get("jobTemplate")).get("spec")).get("template")
    return spec.get("template")


def deployment_rollout(spec: dict, replicas: int) -> Rollout:
    """The roll of a Deployment's pod template change (``spec`` is the new spec)."""
    strategy = _dict(spec.get("strategy"))
    if strategy.get("type") == "Recreate":
        return Rollout("recreate", replicas, replicas, 0, replicas, 0, replicas, 1 if replicas else 0, replicas > 0,
                       f"Recreate: all {replicas} pods stop before new ones start (downtime)")
    ru = _dict(strategy.get("rollingUpdate"))
    surge = resolve_int_or_percent(ru.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = resolve_int_or_percent(ru.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    unavailable = min(unavailable, replicas)
    per_step = surge + unavailable
    steps = -(-replicas // per_step) if replicas and per_step else 0
    min_available = replicas - unavailable
    max_total = replicas + surge
    downtime = replicas > 0 and min_available == 0
    return Rollout("rolling", replicas, replicas, surge, unavailable, min_available, max_total, steps, downtime,
                   f"{replicas} pods roll in {steps} step(s) ({surge} surge, {unavailable} unavailable at a time); "
                   f"at least {min_available} available, at most {max_total} running"
                   + (" — downtime: no pod stays available" if downtime else ""))


def statefulset_rollout(spec: dict, replicas: int) -> Rollout:
    strategy = _dict(spec.get("updateStrategy"))
    if strategy.get("type") == "OnDelete":
        return Rollout("none", replicas, 0, 0, 0, replicas, replicas, 0, False,
                       "OnDelete: pods take the new template only when deleted by hand")
    ru = _dict(strategy.get("rollingUpdate"))
    unavailable = resolve_int_or_percent(ru.get("maxUnavailable", 1), replicas, round_up=False) or 1
    unavailable = min(unavailable, replicas) if replicas else unavailable
    partition = ru.get("partition", 0)
    partition = partition if isinstance(partition, int) and partition > 0 else 0
    pods = max(replicas - partition, 0)
    steps = -(-pods // unavailable) if pods else 0
    min_available = replicas - min(unavailable, pods)
    downtime = replicas > 0 and pods > 0 and min_available == 0
    spared = f"; ordinals below {partition} keep the old template (partition)" if partition else ""
    return Rollout("rolling", replicas, pods, 0, unavailable, min_available, replicas, steps, downtime,
                   f"{pods} pods roll {unavailable} at a time from the highest ordinal, in {steps} step(s); "
                   f"at least {min_available} available{spared}" + (" — downtime" if downtime else ""))


def daemonset_rollout(spec: dict) -> Rollout:
    strategy = _dict(spec.get("updateStrategy"))
    if strategy.get("type") == "OnDelete":
        return Rollout("none", None, None, 0, 0, None, None, 0, False,
                       "OnDelete: pods take the new template only when deleted by hand")
    ru = _dict(strategy.get("rollingUpdate"))
    surge, unavailable = ru.get("maxSurge", 0), ru.get("maxUnavailable", 1)
    # percentages are of the number of nodes, which the plan cannot know
    surge = surge if isinstance(surge, int) else None
    unavailable = unavailable if isinstance(unavailable, int) else None
    return Rollout("rolling", None, None, surge, unavailable, None, None, None, False,
                   f"one pod per node rolls, {ru.get('maxUnavailable', 1)} node(s) at a time")


def rollout_for(action: str, before: dict | None, after: dict | None,
                owners_before: HpaOwners | None = None, owners_after: HpaOwners | None = None) -> Rollout | None:
    """The rollout of one change; None for objects that run no pods. ``owners_*`` are the
    HPAs of the state before and after (:func:`hpa_owners`)."""
    rollout = _rollout(action, before, after, owners_before, owners_after)
    owner = _owner(after, owners_after) if after else _owner(before, owners_before)
    if rollout is not None and owner is not None and obj_kind(after or before) in _SCALABLE:
        rollout.description = (f"replicas owned by HorizontalPodAutoscaler {owner[1]}: planned with its "
                               f"minReplicas ({owner[0]}); " + rollout.description)
    return rollout


def obj_kind(obj: dict | None) -> Any:
    return _dict(obj).get("kind")


def _rollout(action: str, before: dict | None, after: dict | None,
             owners_before: HpaOwners | None, owners_after: HpaOwners | None) -> Rollout | None:
    obj = after or before
    if not obj or obj.get("kind") not in WORKLOADS:
        return None
    kind = obj["kind"]
    owners = owners_after if after else owners_before
    replicas: int | None = _replicas(obj, owners) if kind in _SCALABLE else 1 if kind == "Pod" else None
    if action == "create":
        return Rollout("none", replicas, replicas, 0, 0, 0, replicas, 0, False, STARTS)
    if action == "delete":
        return Rollout("none", replicas, replicas, 0, 0, 0, replicas, 0, True, STOPS)
    if action == "replace":
        return Rollout("replace", replicas, replicas, 0, replicas, 0, replicas, 1, True,
                       "replaced (deleted and created again): all its pods stop, then start again (downtime)")
    spec = _dict(after.get("spec")) if after else {}
    if pod_template(before) == pod_template(after):
        old = _replicas(before, owners_before) if kind in _SCALABLE else None
        if replicas is not None and old is not None and replicas != old:
            return Rollout("scale", replicas, abs(replicas - old), 0, 0, min(old, replicas), max(old, replicas), 1,
                           replicas == 0, f"scales from {old} to {replicas} pods without restarting any")
        return Rollout("none", replicas, 0, 0, 0, replicas, replicas, 0, False, "no pod changes")
    if kind == "Deployment":
        if spec.get("paused") is True:
            return Rollout("none", replicas, 0, 0, 0, replicas, replicas, 0, False,
                           "paused: pods keep the old template until the Deployment is resumed")
        return deployment_rollout(spec, replicas or 0)
    if kind == "StatefulSet":
        return statefulset_rollout(spec, replicas or 0)
    if kind == "DaemonSet":
        return daemonset_rollout(spec)
    if kind in ("ReplicaSet", "ReplicationController"):
        return Rollout("none", replicas, 0, 0, 0, replicas, replicas, 0, False,
                       f"a {kind} does not roll: running pods keep the old template until deleted")
    if kind == "CronJob":
        return Rollout("none", None, 0, 0, 0, None, None, 0, False,
                       "Jobs started from now on use the new template; running Jobs are unaffected")
    # Job and Pod template changes are replaces (immutable fields), handled above
    return Rollout("replace", replicas, replicas, 0, replicas or 0, 0, replicas, 1, True, "pods are recreated")
