"""ResourceQuota fit: the pods of a namespace (replicas, surge pods, LimitRange defaults)
against each quota that selects them (scopes, scopeSelector), and containers a quota forces
to declare a request or limit.
"""

from __future__ import annotations

from fractions import Fraction

from ...model import Resource
from .. import Finding
from ..quantity import format_quantity, parse_quantity
from .pods import PodGroup, container_limits, containers, limit_range_defaults, pod_groups


def _is_best_effort(spec: dict, defaults: dict) -> bool:
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind) or []:
            if isinstance(c, dict):
                requests, limits = container_limits(c, defaults)
                if requests or limits:
                    return False
    return True


def _cross_namespace_affinity(spec: dict) -> bool:
    affinity = spec.get("affinity") if isinstance(spec.get("affinity"), dict) else {}
    for kind in ("podAffinity", "podAntiAffinity"):
        a = affinity.get(kind) if isinstance(affinity.get(kind), dict) else {}
        terms = list(a.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        terms += [t.get("podAffinityTerm") for t in a.get("preferredDuringSchedulingIgnoredDuringExecution") or []
                  if isinstance(t, dict)]
        if any(isinstance(t, dict) and (t.get("namespaces") or t.get("namespaceSelector") is not None) for t in terms):
            return True
    return False


def _scope_matches(scope: str, operator: str, values: list, spec: dict, defaults: dict) -> bool | None:
    """Does a pod with this spec fall under a quota scope? None for scopes we do not know."""
    if scope == "Terminating":
        return spec.get("activeDeadlineSeconds") is not None
    if scope == "NotTerminating":
        return spec.get("activeDeadlineSeconds") is None
    if scope == "BestEffort":
        return _is_best_effort(spec, defaults)
    if scope == "NotBestEffort":
        return not _is_best_effort(spec, defaults)
    if scope == "CrossNamespacePodAffinity":
        return _cross_namespace_affinity(spec)
    if scope == "PriorityClass":
        pc = spec.get("priorityClassName")
        if operator == "In":
            return pc in values
        if operator == "NotIn":
            return pc not in values
        if operator == "Exists":
            return bool(pc)
        if operator == "DoesNotExist":
            return not pc
    return None


def quota_selects(quota: Resource, group: PodGroup, defaults: dict) -> bool | None:
    """Does a ResourceQuota count this group's pods? Its ``scopes`` and ``scopeSelector``
    must all match; None when a scope is one we cannot evaluate."""
    spec = quota.body.get("spec") if isinstance(quota.body.get("spec"), dict) else {}
    terms: list[tuple[str, str, list]] = [(s, "Exists", []) for s in spec.get("scopes") or [] if isinstance(s, str)]
    selector = spec.get("scopeSelector") if isinstance(spec.get("scopeSelector"), dict) else {}
    for e in selector.get("matchExpressions") or []:
        if isinstance(e, dict):
            terms.append((e.get("scopeName"), e.get("operator") or "", e.get("values") or []))
    for scope, operator, values in terms:
        ok = _scope_matches(scope, operator, values, group.spec, defaults)
        if ok is None:
            return None
        if scope != "PriorityClass" and operator == "DoesNotExist":
            ok = not ok  # DoesNotExist on a yes/no scope: its opposite
        if not ok:
            return False
    return True


QUOTA_KEYS = {"cpu": "requests.cpu", "memory": "requests.memory"}


COUNTED = ("pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def check(resources: list[Resource]) -> list[Finding]:
    """Each ResourceQuota against the pods its namespace's objects ask for (replicas x
    containers, LimitRange defaults applied), counting the surge pods of RollingUpdate
    Deployments, as during an apply that rolls them all; and every container that the
    quota forces to declare a request or limit it does not declare."""
    quotas = [r for r in resources if r.kind == "ResourceQuota" and r.api_version == "v1"]
    if not quotas:
        return []
    defaults = limit_range_defaults(resources)
    groups = pod_groups(resources, counted_only=False)
    out: list[Finding] = []
    missing_seen: set[tuple] = set()
    for q in quotas:
        spec = q.body.get("spec") if isinstance(q.body.get("spec"), dict) else {}
        hard = spec.get("hard") if isinstance(spec.get("hard"), dict) else {}
        ns = q.namespace or "default"
        selected = []
        for g in groups:
            if g.namespace != ns:
                continue
            ok = quota_selects(q, g, defaults.get(ns, {}))
            if ok is None:
                out.append(Finding("note", q, ["spec"], "quota scopes not understood; this quota is not checked"))
                selected = []
                break
            if ok:
                selected.append(g)
        else:
            out += _quota_fit(q, hard, ns, selected)
            out += _quota_missing(q, hard, ns, selected, defaults.get(ns, {}), missing_seen)
    return out


def _quota_fit(q: Resource, hard: dict, ns: str, groups: list[PodGroup]) -> list[Finding]:
    out = []
    for name, limit in hard.items():
        key = QUOTA_KEYS.get(name, name)
        if key not in COUNTED:
            continue
        lim = parse_quantity(limit)
        if lim is None:
            continue
        steady = surge = Fraction(0)
        who = []
        for g in groups:
            v = g.figures.get(key)
            if not v or not (g.replicas or g.surge):
                continue
            steady += v * g.replicas
            surge += v * g.surge
            who.append(g.label)
        peak = steady + surge
        if peak <= lim:
            continue
        figure = format_quantity(peak, key)
        how = ""
        if surge:
            how = (f" ({format_quantity(steady, key)} running + {format_quantity(surge, key)} for surge pods "
                   "during a rolling update" + ("; rollouts would stall at the quota)" if steady <= lim else ")"))
        out.append(Finding(
            "error", q, ["spec", "hard", name],
            f"namespace {ns} needs {key}={figure}{how} but ResourceQuota {q.name} allows {limit}: {', '.join(who)}",
        ))
    return out


def _quota_missing(q: Resource, hard: dict, ns: str, groups: list[PodGroup], defaults: dict,
                   seen: set[tuple]) -> list[Finding]:
    """A quota on requests.cpu (say) makes the API server refuse pods with a container
    that has no cpu request after LimitRange defaults."""
    needed = []
    for name in hard:
        key = QUOTA_KEYS.get(name, name)
        if key in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory"):
            needed.append((name, key))
    out = []
    for g in groups:
        for path, c, _ in containers(g.spec, g.spec_path):
            requests, limits = container_limits(c, defaults)
            for name, key in needed:
                which, resource = key.split(".")
                have = requests if which == "requests" else limits
                if resource in have:
                    continue
                k = (id(g.resource), tuple(path), key)
                if k in seen:
                    continue
                seen.add(k)
                out.append(Finding(
                    "error", g.resource, path + ["resources"],
                    f"sets no {key} but ResourceQuota {q.name} limits {name} in namespace {ns}, and no LimitRange "
                    f"gives a default: the cluster refuses these pods",
                ))
    return out
