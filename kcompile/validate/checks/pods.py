"""What an object's pods are: the pod spec and template labels, containers, the
requests and limits the API server stores (LimitRange defaults applied), and how many pods
run (replicas, surge pods of a RollingUpdate).

Shared by the checks of requests, references and quotas, and by plan/ (rollout figures,
quota usage). Reports nothing itself.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any, Iterator

from ...fields.specs import POD_SPEC_PATHS
from ...model import Resource
from ..quantity import parse_quantity


WORKLOAD_REPLICAS = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}


def pod_spec(r: Resource) -> tuple[list[str], dict | None]:
    """(path, pod spec) of an object that runs pods, or ([], None)."""
    prefix = POD_SPEC_PATHS.get(r.kind)
    if not prefix:
        return [], None
    path = prefix.split("/")
    node: Any = r.body
    for p in path:
        node = node.get(p) if isinstance(node, dict) else None
    return path, node if isinstance(node, dict) else None


def pod_template_labels(r: Resource) -> tuple[list[str], dict]:
    prefix = POD_SPEC_PATHS.get(r.kind)
    if not prefix or r.kind == "Pod":
        return ["metadata", "labels"], r.labels()
    path = prefix.split("/")[:-1] + ["metadata", "labels"]
    node: Any = r.body
    for p in path:
        node = node.get(p) if isinstance(node, dict) else None
    return path, node if isinstance(node, dict) else {}


def containers(spec: dict, base: list) -> Iterator[tuple[list, dict, str]]:
    for kind in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(kind) or []):
            if isinstance(c, dict):
                yield base + [kind, i], c, kind


def _surge(spec: dict, replicas: int) -> int:
    strategy = spec.get("strategy") if isinstance(spec.get("strategy"), dict) else {}
    if strategy.get("type") == "Recreate":
        return 0
    ru = strategy.get("rollingUpdate") if isinstance(strategy.get("rollingUpdate"), dict) else {}
    surge = ru.get("maxSurge", "25%")
    return resolve_int_or_percent(surge, replicas, round_up=True)


def resolve_int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    """Kubernetes' intstr rule: a percentage of ``total``, rounded up (surge) or down
    (unavailable)."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        try:
            pct = Fraction(value[:-1])
        except ValueError:
            return 0
        exact = pct * total / 100
        return int(-(-exact // 1)) if round_up else int(exact // 1)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def _replicas(r: Resource, hpa_min: dict[tuple, int]) -> int | None:
    spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
    if r.kind in WORKLOAD_REPLICAS:
        v = spec.get("replicas")
        if v is None:
            return hpa_min.get((r.namespace or "default", r.kind, r.name), 1)
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if r.kind == "Pod":
        return 1
    if r.kind == "Job":
        p = spec.get("parallelism", 1)
        return p if isinstance(p, int) and not isinstance(p, bool) else 1
    return None  # DaemonSet (one per node), CronJob (runs later): not counted


def container_limits(c: dict, defaults: dict[str, dict]) -> tuple[dict, dict]:
    """A container's (requests, limits) as the API server stores them: LimitRange
    defaults (type Container) fill what the container does not set, then a missing
    request defaults to the limit."""
    res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
    requests = dict(res.get("requests") or {}) if isinstance(res.get("requests") or {}, dict) else {}
    limits = dict(res.get("limits") or {}) if isinstance(res.get("limits") or {}, dict) else {}
    for name, v in (defaults.get("default") or {}).items():
        limits.setdefault(name, v)
    for name, v in (defaults.get("defaultRequest") or {}).items():
        requests.setdefault(name, v)
    for name, v in limits.items():
        requests.setdefault(name, v)
    return requests, limits


def _container_figures(c: dict, defaults: dict[str, dict]) -> dict[str, Fraction]:
    requests, limits = container_limits(c, defaults)
    out: dict[str, Fraction] = {}
    for name in ("cpu", "memory"):
        q = parse_quantity(requests.get(name))
        if q is not None:
            out[f"requests.{name}"] = q
        q = parse_quantity(limits.get(name))
        if q is not None:
            out[f"limits.{name}"] = q
    return out


def pod_figures(spec: dict, defaults: dict[str, dict]) -> dict[str, Fraction]:
    """What one pod asks for: the sum of its app (and sidecar) containers, or the
    largest plain init container if that is more (init containers run one at a time,
    before the others)."""
    total: dict[str, Fraction] = defaultdict(Fraction)
    for c in spec.get("containers") or []:
        if isinstance(c, dict):
            for k, v in _container_figures(c, defaults).items():
                total[k] += v
    sidecars: dict[str, Fraction] = defaultdict(Fraction)
    init_peak: dict[str, Fraction] = defaultdict(Fraction)
    for c in spec.get("initContainers") or []:
        if not isinstance(c, dict):
            continue
        figures = _container_figures(c, defaults)
        if c.get("restartPolicy") == "Always":  # a sidecar: runs alongside everything after it
            for k, v in figures.items():
                sidecars[k] += v
        else:  # runs alone, next to the sidecars started before it
            for k, v in figures.items():
                init_peak[k] = max(init_peak[k], sidecars[k] + v)
    for k in set(total) | set(sidecars) | set(init_peak):
        total[k] = max(total[k] + sidecars[k], init_peak[k])
    total["pods"] = Fraction(1)
    return dict(total)


class PodGroup:
    """The pods one object runs in a namespace: replicas (steady state), surge pods a
    RollingUpdate adds, and what each pod asks for (LimitRange defaults applied)."""

    __slots__ = ("resource", "namespace", "replicas", "surge", "figures", "spec", "spec_path")

    def __init__(self, resource: Resource, namespace: str, replicas: int, surge: int,
                 figures: dict[str, Fraction], spec: dict, spec_path: list) -> None:
        self.resource = resource
        self.namespace = namespace
        self.replicas = replicas
        self.surge = surge
        self.figures = figures
        self.spec = spec
        self.spec_path = spec_path

    @property
    def label(self) -> str:
        extra = f" + {self.surge} surge" if self.surge else ""
        return f"{self.resource.kind}/{self.resource.name} ({self.replicas} pods{extra})"


def limit_range_defaults(resources: list[Resource]) -> dict[str, dict]:
    defaults: dict[str, dict] = {}
    for r in resources:
        if r.kind == "LimitRange":
            spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
            for lim in spec.get("limits") or []:
                if isinstance(lim, dict) and lim.get("type") == "Container":
                    defaults[r.namespace or "default"] = lim
    return defaults


def pod_groups(resources: list[Resource], *, counted_only: bool = True) -> list[PodGroup]:
    """Every object that runs pods, with its pod counts. DaemonSets (one pod per node)
    and CronJobs (pods later) have no count: with ``counted_only`` they are left out,
    else they appear with 0 replicas (for per-container checks)."""
    defaults = limit_range_defaults(resources)
    hpa_min: dict[tuple, int] = {}
    for r in resources:
        if r.kind == "HorizontalPodAutoscaler":
            spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
            ref = spec.get("scaleTargetRef") if isinstance(spec.get("scaleTargetRef"), dict) else {}
            m = spec.get("minReplicas")
            hpa_min[(r.namespace or "default", ref.get("kind"), ref.get("name"))] = m if isinstance(m, int) else 1
    out = []
    for r in resources:
        spec_path, spec = pod_spec(r)
        if spec is None:
            continue
        n = _replicas(r, hpa_min)
        if n is None and counted_only:
            continue
        n = n or 0
        ns = r.namespace or "default"
        wspec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
        surge = _surge(wspec, n) if r.kind == "Deployment" and n else 0
        out.append(PodGroup(r, ns, n, surge, pod_figures(spec, defaults.get(ns, {})), spec, spec_path))
    return out


def namespace_usage(resources: list[Resource], include_surge: bool = True) -> dict[str, dict[str, tuple[Fraction, list[str]]]]:
    """Per namespace and quota resource: (figure, contributing objects), replicas x pod
    figures with LimitRange defaults, plus RollingUpdate surge pods."""
    usage: dict[str, dict[str, tuple[Fraction, list[str]]]] = defaultdict(dict)
    for g in pod_groups(resources):
        pods = g.replicas + (g.surge if include_surge else 0)
        if pods == 0:
            continue
        label = f"{g.resource.kind}/{g.resource.name} ({pods} pods)"
        for k, v in g.figures.items():
            total, who = usage[g.namespace].get(k, (Fraction(0), []))
            usage[g.namespace][k] = (total + v * pods, who + [label])
    return usage
