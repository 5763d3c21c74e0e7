"""The checks Kubernetes would make only at apply time, or never (SPEC §6)."""

from __future__ import annotations

import re
from collections import defaultdict
from fractions import Fraction
from typing import Any, Iterator

from ..fieldspecs import POD_SPEC_PATHS, is_cluster_scoped
from ..model import Resource, split_api_version
from . import Finding, object_id
from .quantity import format_quantity, parse_quantity

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")

# Kinds whose names must be DNS-1123 labels (no dots, <= 63).
LABEL_NAMED = {"Namespace", "Service"}
# Built-in kinds whose names are path segments only (RBAC allows ':' and more).
PATH_SEGMENT_NAMED = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
                  "storage.k8s.io", "scheduling.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io",
                  "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io", "certificates.k8s.io"}

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


def semantic_checks(resources: list[Resource]) -> list[Finding]:
    out: list[Finding] = []
    out += check_duplicates(resources)
    for r in resources:
        out += check_names_and_labels(r)
        if r.kind == "Service" and r.api_version == "v1":
            out += check_service(r)
        if r.kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
            out += check_selector(r)
        spec_path, spec = pod_spec(r)
        if spec is not None:
            out += check_requests_limits(r, spec, spec_path)
    out += check_service_selectors(resources)
    out += check_references(resources)
    out += check_quotas(resources)
    return out


# -- identity, names and labels ----------------------------------------------------------

def check_duplicates(resources: list[Resource]) -> list[Finding]:
    seen: dict[tuple, Resource] = {}
    out = []
    for r in resources:
        group, _ = split_api_version(r.api_version)
        key = (group, r.kind, r.namespace, r.name)
        if key in seen:
            out.append(Finding("error", r, ["metadata", "name"],
                               f"duplicate object: {object_id(r)} is defined twice"))
        seen[key] = r
    return out


def _label_key_problem(key: str) -> str | None:
    prefix, sep, name = key.rpartition("/")
    if sep:
        if not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.fullmatch(prefix):
            return f"label key {key!r}: the prefix must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not LABEL_NAME.fullmatch(name):
        return f"label key {key!r}: the name must be 63 characters or less, alphanumeric, '-', '_' or '.' inside"
    return None


def _label_value_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"label value {value!r} must be a string"
    if value and (len(value) > 63 or not LABEL_NAME.fullmatch(value)):
        return f"label value {value!r} must be 63 characters or less, alphanumeric, '-', '_' or '.' inside"
    return None


def check_labels_at(r: Resource, path: list, labels: Any) -> list[Finding]:
    out = []
    if not isinstance(labels, dict):
        return out
    for k, v in labels.items():
        problem = _label_key_problem(str(k)) or _label_value_problem(v)
        if problem:
            out.append(Finding("error", r, path + [k], problem))
    return out


def check_names_and_labels(r: Resource) -> list[Finding]:
    out = []
    name = r.name
    group, _ = split_api_version(r.api_version)
    if name and group in BUILTIN_GROUPS:
        if r.kind in LABEL_NAMED:
            if len(name) > 63 or not DNS1123_LABEL.fullmatch(name):
                out.append(Finding("error", r, ["metadata", "name"],
                                   f"name {name!r} must be a DNS-1123 label (lower case alphanumeric or '-', at most 63)"))
        elif r.kind in PATH_SEGMENT_NAMED:
            if name in (".", "..") or "/" in name or "%" in name:
                out.append(Finding("error", r, ["metadata", "name"], f"name {name!r} may not contain '/' or '%'"))
        elif len(name) > 253 or not DNS1123_SUBDOMAIN.fullmatch(name):
            out.append(Finding("error", r, ["metadata", "name"],
                               f"name {name!r} must be a DNS-1123 subdomain (lower case alphanumeric, '-' or '.')"))
    ns = r.namespace
    if ns and (len(ns) > 63 or not DNS1123_LABEL.fullmatch(ns)):
        out.append(Finding("error", r, ["metadata", "namespace"], f"namespace {ns!r} must be a DNS-1123 label"))
    out += check_labels_at(r, ["metadata", "labels"], r.labels())
    path, labels = pod_template_labels(r)
    if path != ["metadata", "labels"]:
        out += check_labels_at(r, path, labels)
    return out


# -- Services ---------------------------------------------------------------------------

def check_service(r: Resource) -> list[Finding]:
    out = []
    spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
    stype = spec.get("type") or "ClusterIP"
    ports = spec.get("ports") or []
    if stype == "ExternalName":
        if not spec.get("externalName"):
            out.append(Finding("error", r, ["spec", "externalName"], "a Service of type ExternalName needs spec.externalName"))
        return out
    if not ports and spec.get("clusterIP") != "None":
        out.append(Finding("error", r, ["spec", "ports"], f"a Service of type {stype} needs at least one port"))
    seen: dict[tuple, int] = {}
    names: dict[str, int] = {}
    for i, p in enumerate(ports):
        if not isinstance(p, dict):
            continue
        node_port = p.get("nodePort")
        if node_port is not None:
            if stype not in ("NodePort", "LoadBalancer"):
                out.append(Finding("error", r, ["spec", "ports", i, "nodePort"],
                                   f"nodePort is only allowed for type NodePort or LoadBalancer, not {stype}"))
            elif isinstance(node_port, int) and not 30000 <= node_port <= 32767:
                out.append(Finding("error", r, ["spec", "ports", i, "nodePort"],
                                   f"nodePort {node_port} is outside the default range 30000-32767"))
        key = (p.get("port"), p.get("protocol") or "TCP")
        if key in seen:
            out.append(Finding("error", r, ["spec", "ports", i],
                               f"port {key[0]}/{key[1]} is defined twice"))
        seen[key] = i
        name = p.get("name")
        if len(ports) > 1 and not name:
            out.append(Finding("error", r, ["spec", "ports", i], "ports must be named when a Service has several"))
        if name:
            if name in names:
                out.append(Finding("error", r, ["spec", "ports", i, "name"], f"port name {name!r} is used twice"))
            names[name] = i
    return out


# -- selectors ----------------------------------------------------------------------------

def selector_matches(selector: Any, labels: dict) -> bool | None:
    """Does a LabelSelector select these labels? None if the selector is malformed."""
    if not isinstance(selector, dict):
        return None
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        if not isinstance(e, dict):
            return None
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return None
    return True


def check_selector(r: Resource) -> list[Finding]:
    spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
    selector = spec.get("selector")
    if selector is None:
        return []
    _, labels = pod_template_labels(r)
    ok = selector_matches(selector, labels or {})
    if ok is None:
        return [Finding("error", r, ["spec", "selector"], "selector is malformed")]
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return [Finding("error", r, ["spec", "selector"], "selector is empty: it would select every pod")]
    if not ok:
        return [Finding("error", r, ["spec", "selector"],
                        "selector does not match the pod template's labels: the workload would never own its pods")]
    return []


def check_service_selectors(resources: list[Resource]) -> list[Finding]:
    templates: dict[str, list[dict]] = defaultdict(list)
    for r in resources:
        if r.kind in POD_SPEC_PATHS:
            _, labels = pod_template_labels(r)
            templates[r.namespace or "default"].append(labels or {})
    out = []
    for r in resources:
        if r.kind != "Service" or r.api_version != "v1":
            continue
        spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
        selector = spec.get("selector")
        if not selector or spec.get("type") == "ExternalName":
            continue
        ns = r.namespace or "default"
        if not any(all(t.get(k) == v for k, v in selector.items()) for t in templates[ns]):
            out.append(Finding("warning", r, ["spec", "selector"],
                               "selects no pod template in this build (no endpoints unless pods come from elsewhere)"))
    return out


# -- containers: requests and limits -----------------------------------------------------------

def check_requests_limits(r: Resource, spec: dict, base: list) -> list[Finding]:
    out = []
    for path, c, _ in containers(spec, base):
        res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
        requests = res.get("requests") or {}
        limits = res.get("limits") or {}
        for name, req in requests.items():
            if name not in limits:
                continue
            rq, lm = parse_quantity(req), parse_quantity(limits[name])
            if rq is not None and lm is not None and rq > lm:
                out.append(Finding("error", r, path + ["resources", "requests", name],
                                   f"request {req} is more than the limit {limits[name]}"))
    return out


# -- references to ConfigMaps and Secrets ------------------------------------------------------

def _refs(spec: dict, base: list) -> Iterator[tuple[str, str, list, bool]]:
    """(kind, name, path, optional) of every ConfigMap/Secret a pod spec uses."""
    for path, c, _ in containers(spec, base):
        for i, e in enumerate(c.get("env") or []):
            vf = e.get("valueFrom") if isinstance(e, dict) else None
            if isinstance(vf, dict):
                for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    ref = vf.get(key)
                    if isinstance(ref, dict) and ref.get("name"):
                        yield kind, ref["name"], path + ["env", i, "valueFrom", key, "name"], bool(ref.get("optional"))
        for i, e in enumerate(c.get("envFrom") or []):
            if not isinstance(e, dict):
                continue
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = e.get(key)
                if isinstance(ref, dict) and ref.get("name"):
                    yield kind, ref["name"], path + ["envFrom", i, key, "name"], bool(ref.get("optional"))
    for i, v in enumerate(spec.get("volumes") or []):
        if not isinstance(v, dict):
            continue
        cm, sec = v.get("configMap"), v.get("secret")
        if isinstance(cm, dict) and cm.get("name"):
            yield "ConfigMap", cm["name"], base + ["volumes", i, "configMap", "name"], bool(cm.get("optional"))
        if isinstance(sec, dict) and sec.get("secretName"):
            yield "Secret", sec["secretName"], base + ["volumes", i, "secret", "secretName"], bool(sec.get("optional"))
        proj = v.get("projected")
        if isinstance(proj, dict):
            for j, s in enumerate(proj.get("sources") or []):
                for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                    ref = s.get(key) if isinstance(s, dict) else None
                    if isinstance(ref, dict) and ref.get("name"):
                        yield kind, ref["name"], base + ["volumes", i, "projected", "sources", j, key, "name"], bool(
                            ref.get("optional"))
    for i, s in enumerate(spec.get("imagePullSecrets") or []):
        if isinstance(s, dict) and s.get("name"):
            yield "Secret", s["name"], base + ["imagePullSecrets", i, "name"], False


def check_references(resources: list[Resource]) -> list[Finding]:
    present = {(r.kind, r.namespace or "default", r.name) for r in resources if r.kind in ("ConfigMap", "Secret")}
    out = []
    for r in resources:
        base, spec = pod_spec(r)
        if spec is None:
            continue
        ns = r.namespace or "default"
        for kind, name, path, optional in _refs(spec, base):
            if optional or (kind, ns, name) in present:
                continue
            out.append(Finding("warning", r, path,
                               f"refers to {kind} {name!r}, which is not in this build (pods will not start "
                               "unless it exists in the cluster)"))
    return out


# -- ResourceQuota fit ----------------------------------------------------------------------------

QUOTA_RESOURCES = ("pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory")


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
        return v if isinstance(v, int) else None
    if r.kind == "Pod":
        return 1
    if r.kind == "Job":
        p = spec.get("parallelism", 1)
        return p if isinstance(p, int) else 1
    return None  # DaemonSet (one per node), CronJob (runs later): not counted


def _container_figures(c: dict, defaults: dict[str, dict]) -> dict[str, Fraction]:
    res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
    requests = dict(res.get("requests") or {})
    limits = dict(res.get("limits") or {})
    # LimitRange defaults (Container type) for what the container does not set
    for name, v in (defaults.get("default") or {}).items():
        limits.setdefault(name, v)
    for name, v in (defaults.get("defaultRequest") or {}).items():
        requests.setdefault(name, v)
    for name, v in limits.items():  # a request defaults to the limit
        requests.setdefault(name, v)
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
    """What one pod asks for: max(sum of app containers, largest init container)."""
    total: dict[str, Fraction] = defaultdict(Fraction)
    for c in spec.get("containers") or []:
        if isinstance(c, dict):
            for k, v in _container_figures(c, defaults).items():
                total[k] += v
    for c in spec.get("initContainers") or []:
        if isinstance(c, dict) and c.get("restartPolicy") != "Always":
            for k, v in _container_figures(c, defaults).items():
                total[k] = max(total[k], v)
        elif isinstance(c, dict):  # sidecar containers run alongside
            for k, v in _container_figures(c, defaults).items():
                total[k] += v
    total["pods"] = Fraction(1)
    return dict(total)


def namespace_usage(resources: list[Resource], include_surge: bool = True) -> dict[str, dict[str, tuple[Fraction, list[str]]]]:
    """Per namespace and quota resource: (figure, contributing objects), replicas x pod
    figures with LimitRange defaults, plus RollingUpdate surge pods."""
    defaults: dict[str, dict] = {}
    for r in resources:
        if r.kind == "LimitRange":
            for lim in (r.body.get("spec") or {}).get("limits") or []:
                if isinstance(lim, dict) and lim.get("type") == "Container":
                    defaults[r.namespace or "default"] = lim
    hpa_min: dict[tuple, int] = {}
    for r in resources:
        if r.kind == "HorizontalPodAutoscaler":
            spec = r.body.get("spec") or {}
            ref = spec.get("scaleTargetRef") or {}
            hpa_min[(r.namespace or "default", ref.get("kind"), ref.get("name"))] = int(spec.get("minReplicas") or 1)
    usage: dict[str, dict[str, tuple[Fraction, list[str]]]] = defaultdict(dict)
    for r in resources:
        _, spec = pod_spec(r)
        if spec is None:
            continue
        n = _replicas(r, hpa_min)
        if n is None:
            continue
        ns = r.namespace or "default"
        pods = n
        wspec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
        if include_surge and r.kind == "Deployment":
            pods += _surge(wspec, n)
        if pods == 0:
            continue
        figures = pod_figures(spec, defaults.get(ns, {}))
        label = f"{r.kind}/{r.name} ({pods} pods)" if pods != n else f"{r.kind}/{r.name} ({n} pods)"
        for k, v in figures.items():
            total, who = usage[ns].get(k, (Fraction(0), []))
            usage[ns][k] = (total + v * pods, who + [label])
    return usage


def check_quotas(resources: list[Resource]) -> list[Finding]:
    quotas = [r for r in resources if r.kind == "ResourceQuota" and r.api_version == "v1"]
    if not quotas:
        return []
    usage = namespace_usage(resources)
    out = []
    for q in quotas:
        hard = ((q.body.get("spec") or {}).get("hard")) or {}
        ns = q.namespace or "default"
        used = usage.get(ns, {})
        for name, limit in hard.items():
            key = {"cpu": "requests.cpu", "memory": "requests.memory"}.get(name, name)
            if key not in ("pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"):
                continue
            lim = parse_quantity(limit)
            total, who = used.get(key, (Fraction(0), []))
            if lim is not None and total > lim:
                figure = format_quantity(total, key)
                out.append(Finding(
                    "error", q, ["spec", "hard", name],
                    f"namespace {ns} needs {key}={figure} but ResourceQuota {q.name} allows {limit} "
                    f"(during rolling updates, surge pods included): {', '.join(who)}",
                ))
    return out
