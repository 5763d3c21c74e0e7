"""The checks Kubernetes would make only at apply time, or never (SPEC §6)."""

from __future__ import annotations

import re
from collections import defaultdict
from fractions import Fraction
from typing import Any, Iterator

from ..fields.specs import POD_SPEC_PATHS
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
    limit_ranges = _limit_range_defaults(resources)
    for r in resources:
        out += check_names_and_labels(r)
        if r.kind == "Service" and r.api_version == "v1":
            out += check_service(r)
        if r.kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
            out += check_selector(r)
        spec_path, spec = pod_spec(r)
        if spec is not None:
            out += check_requests_limits(r, spec, spec_path, limit_ranges.get(r.namespace or "default"))
    out += check_node_port_clashes(resources)
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

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
# IANA service names, which a container port name and a named targetPort must be.
IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def _port_name_problem(name: str) -> str | None:
    if len(name) > 15 or not IANA_SVC_NAME.fullmatch(name) or "--" in name or not re.search("[a-z]", name):
        return (f"{name!r} is not a valid port name (at most 15 lower case letters, digits and '-', "
                "at least one letter, no '--')")
    return None


def check_service(r: Resource) -> list[Finding]:
    """The API server's Service rules that the JSON schema does not express."""
    out = []
    spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
    stype = spec.get("type") or "ClusterIP"
    ports = spec.get("ports") if isinstance(spec.get("ports"), list) else []
    cluster_ip = spec.get("clusterIP")
    if stype not in SERVICE_TYPES:
        return [Finding("error", r, ["spec", "type"], f"unknown Service type {stype!r} "
                        f"(one of {', '.join(SERVICE_TYPES)})")]
    if stype == "ExternalName":
        ext = spec.get("externalName")
        if not ext:
            out.append(Finding("error", r, ["spec", "externalName"], "a Service of type ExternalName needs spec.externalName"))
        elif not isinstance(ext, str) or len(ext.rstrip(".")) > 253 or not DNS1123_SUBDOMAIN.fullmatch(ext.rstrip(".")):
            out.append(Finding("error", r, ["spec", "externalName"],
                               f"externalName {ext!r} must be a DNS name (lower case, '-' and '.')"))
        if cluster_ip not in (None, ""):
            out.append(Finding("error", r, ["spec", "clusterIP"],
                               "clusterIP may not be set for a Service of type ExternalName"))
    elif not ports and cluster_ip != "None":
        out.append(Finding("error", r, ["spec", "ports"], f"a Service of type {stype} needs at least one port"))
    if cluster_ip == "None" and stype in ("NodePort", "LoadBalancer"):
        out.append(Finding("error", r, ["spec", "clusterIP"],
                           f"a headless Service (clusterIP: None) cannot be of type {stype}"))
    seen: dict[tuple, int] = {}
    names: dict[str, int] = {}
    node_ports: dict[tuple, int] = {}
    for i, p in enumerate(ports):
        if not isinstance(p, dict):
            continue
        protocol = p.get("protocol") or "TCP"
        port = p.get("port")
        if isinstance(port, int) and not 1 <= port <= 65535:
            out.append(Finding("error", r, ["spec", "ports", i, "port"], f"port {port} is outside 1-65535"))
        target = p.get("targetPort")
        if isinstance(target, int) and not isinstance(target, bool) and not 1 <= target <= 65535:
            out.append(Finding("error", r, ["spec", "ports", i, "targetPort"], f"targetPort {target} is outside 1-65535"))
        elif isinstance(target, str) and not target.isdigit():
            problem = _port_name_problem(target)
            if problem:
                out.append(Finding("error", r, ["spec", "ports", i, "targetPort"], f"targetPort {problem}"))
        node_port = p.get("nodePort")
        if node_port is not None and node_port != 0:
            if stype not in ("NodePort", "LoadBalancer"):
                out.append(Finding("error", r, ["spec", "ports", i, "nodePort"],
                                   f"nodePort is only allowed for type NodePort or LoadBalancer, not {stype}"))
            elif isinstance(node_port, int) and not 30000 <= node_port <= 32767:
                out.append(Finding("error", r, ["spec", "ports", i, "nodePort"],
                                   f"nodePort {node_port} is outside the default range 30000-32767"))
            elif (node_port, protocol) in node_ports:
                out.append(Finding("error", r, ["spec", "ports", i, "nodePort"],
                                   f"nodePort {node_port}/{protocol} is used twice in this Service"))
            node_ports[(node_port, protocol)] = i
        key = (port, protocol)
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
            elif not isinstance(name, str) or len(name) > 63 or not DNS1123_LABEL.fullmatch(name):
                out.append(Finding("error", r, ["spec", "ports", i, "name"],
                                   f"port name {name!r} must be a DNS-1123 label"))
            names[name] = i
    return out


def check_node_port_clashes(resources: list[Resource]) -> list[Finding]:
    """Two Services asking for the same nodePort: the second is refused by the cluster
    (node ports are cluster-wide, whatever the namespace)."""
    taken: dict[tuple, str] = {}
    out = []
    for r in resources:
        if r.kind != "Service" or r.api_version != "v1":
            continue
        spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
        if (spec.get("type") or "ClusterIP") not in ("NodePort", "LoadBalancer"):
            continue
        mine: set[tuple] = set()
        for i, p in enumerate(spec.get("ports") or []):
            node_port = p.get("nodePort") if isinstance(p, dict) else None
            if not isinstance(node_port, int) or node_port == 0:
                continue
            key = (node_port, p.get("protocol") or "TCP")
            if key in taken and key not in mine:
                out.append(Finding("error", r, ["spec", "ports", i, "nodePort"],
                                   f"nodePort {key[0]}/{key[1]} is already taken by {taken[key]}"))
            else:
                taken.setdefault(key, object_id(r))
                mine.add(key)
    return out


# -- selectors ----------------------------------------------------------------------------

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def selector_matches(selector: Any, labels: dict) -> bool | None:
    """Does a LabelSelector select these labels? None if the selector is malformed.

    matchLabels and matchExpressions are ANDed; ``In`` needs the key with one of the
    values, ``NotIn`` is true when the key is absent, ``Exists``/``DoesNotExist`` look
    at the key only. An empty selector matches everything (callers decide if that is ok).
    """
    if not isinstance(selector, dict):
        return None
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return None
    for k, v in match_labels.items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        if not isinstance(e, dict):
            return None
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op not in SELECTOR_OPERATORS or not isinstance(values, list):
            return None
        if op == "In" and (key not in labels or labels[key] not in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _expression_problems(r: Resource, selector: dict, base: list) -> list[Finding]:
    """The API server's rules for matchExpressions: a known operator; values for In and
    NotIn, none for Exists and DoesNotExist; a valid label key."""
    out = []
    exprs = selector.get("matchExpressions")
    if not isinstance(exprs, list):
        return out
    for i, e in enumerate(exprs):
        path = base + ["matchExpressions", i]
        if not isinstance(e, dict):
            continue
        op, values = e.get("operator"), e.get("values")
        if op not in SELECTOR_OPERATORS:
            out.append(Finding("error", r, path + ["operator"],
                               f"unknown operator {op!r} (one of {', '.join(SELECTOR_OPERATORS)})"))
        elif op in ("In", "NotIn") and not values:
            out.append(Finding("error", r, path + ["values"], f"operator {op} needs at least one value"))
        elif op in ("Exists", "DoesNotExist") and values:
            out.append(Finding("error", r, path + ["values"], f"operator {op} takes no values"))
        key = e.get("key")
        problem = _label_key_problem(str(key)) if key is not None else "a matchExpression needs a key"
        if problem:
            out.append(Finding("error", r, path + ["key"], problem))
    return out


def check_selector(r: Resource) -> list[Finding]:
    spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
    selector = spec.get("selector")
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [Finding("error", r, ["spec", "selector"], "selector must be a LabelSelector (matchLabels/matchExpressions)")]
    problems = _expression_problems(r, selector, ["spec", "selector"])
    problems += check_labels_at(r, ["spec", "selector", "matchLabels"], selector.get("matchLabels"))
    if problems:
        return problems
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
    """A warning for each Service whose selector matches no pod template of its
    namespace in this build. Templates are indexed by label pair, so the check stays
    linear with thousands of Services."""
    by_pair: dict[tuple, list[dict]] = defaultdict(list)  # (namespace, key, value) -> template labels
    for r in resources:
        if r.kind in POD_SPEC_PATHS:
            _, labels = pod_template_labels(r)
            ns = r.namespace or "default"
            for k, v in (labels or {}).items():
                if isinstance(v, str):
                    by_pair[(ns, k, v)].append(labels)
    out = []
    for r in resources:
        if r.kind != "Service" or r.api_version != "v1":
            continue
        spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
        selector = spec.get("selector")
        if not selector or not isinstance(selector, dict) or spec.get("type") == "ExternalName":
            continue
        ns = r.namespace or "default"
        candidates = min((by_pair.get((ns, k, v), []) for k, v in selector.items()), key=len)
        if not any(all(t.get(k) == v for k, v in selector.items()) for t in candidates):
            out.append(Finding("warning", r, ["spec", "selector"],
                               "selects no pod template in this build (no endpoints unless pods come from elsewhere)"))
    return out


# -- containers: requests and limits -----------------------------------------------------------

def check_requests_limits(r: Resource, spec: dict, base: list, defaults: dict | None = None) -> list[Finding]:
    """Each container's requests against its limits, exactly. A limit the container
    does not set may come from its namespace's LimitRange ``default``: the API server
    applies it first, then refuses the pod if the request is above it."""
    out = []
    default_limits = (defaults or {}).get("default") or {}
    for path, c, _ in containers(spec, base):
        res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
        requests = res.get("requests") if isinstance(res.get("requests"), dict) else {}
        limits = res.get("limits") if isinstance(res.get("limits"), dict) else {}
        for name, req in requests.items():
            if name in limits:
                limit, source = limits[name], ""
            elif isinstance(default_limits, dict) and name in default_limits:
                limit, source = default_limits[name], " that the namespace's LimitRange sets by default"
            else:
                continue
            rq, lm = parse_quantity(req), parse_quantity(limit)
            if rq is not None and lm is not None and rq > lm:
                out.append(Finding("error", r, path + ["resources", "requests", name],
                                   f"request {req} is more than the limit {limit}{source}"))
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


def _container_limits(c: dict, defaults: dict[str, dict]) -> tuple[dict, dict]:
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
    requests, limits = _container_limits(c, defaults)
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


def _limit_range_defaults(resources: list[Resource]) -> dict[str, dict]:
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
    defaults = _limit_range_defaults(resources)
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


# -- quota scopes -----------------------------------------------------------------------------

def _is_best_effort(spec: dict, defaults: dict) -> bool:
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind) or []:
            if isinstance(c, dict):
                requests, limits = _container_limits(c, defaults)
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


# -- ResourceQuota fit ------------------------------------------------------------------------

QUOTA_KEYS = {"cpu": "requests.cpu", "memory": "requests.memory"}
COUNTED = ("pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def check_quotas(resources: list[Resource]) -> list[Finding]:
    """Each ResourceQuota against the pods its namespace's objects ask for (replicas x
    containers, LimitRange defaults applied), counting the surge pods of RollingUpdate
    Deployments, as during an apply that rolls them all; and every container that the
    quota forces to declare a request or limit it does not declare."""
    quotas = [r for r in resources if r.kind == "ResourceQuota" and r.api_version == "v1"]
    if not quotas:
        return []
    defaults = _limit_range_defaults(resources)
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
            requests, limits = _container_limits(c, defaults)
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
