"""Services: the API server's rules the JSON schema does not express (types, ports, names,
node ports), node ports two Services ask for, and selectors that select no pod template.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ...fields.specs import POD_SPEC_PATHS
from ...model import Resource
from .. import Finding, object_id
from .pods import pod_template_labels
from .syntax import DNS1123_LABEL, DNS1123_SUBDOMAIN, transformer_set_keys


def check(resources: list[Resource]) -> list[Finding]:
    """Each v1 Service's own rules, then node ports taken twice across Services, then
    Services whose selector matches no pod template of their namespace (a warning)."""
    out: list[Finding] = []
    for r in resources:
        if r.kind == "Service" and r.api_version == "v1":
            out += _service_rules(r)
    out += _node_port_clashes(resources)
    out += _selecting_nothing(resources)
    return out


SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


# IANA service names, which a container port name and a named targetPort must be.
IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def _port_name_problem(name: str) -> str | None:
    if len(name) > 15 or not IANA_SVC_NAME.fullmatch(name) or "--" in name or not re.search("[a-z]", name):
        return (f"{name!r} is not a valid port name (at most 15 lower case letters, digits and '-', "
                "at least one letter, no '--')")
    return None


def _service_rules(r: Resource) -> list[Finding]:
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


def _node_port_clashes(resources: list[Resource]) -> list[Finding]:
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


def _selecting_nothing(resources: list[Resource]) -> list[Finding]:
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
        if not _selects(selector, ns, by_pair):
            path = ["spec", "selector"]
            # an overlay's label that, left out, lets the selector match: point at the overlay
            for k in transformer_set_keys(r, selector):
                rest = {key: v for key, v in selector.items() if key != k}
                if rest and _selects(rest, ns, by_pair):
                    path = ["spec", "selector", k]
                    break
            out.append(Finding("warning", r, path,
                               "selects no pod template in this build (no endpoints unless pods come from elsewhere)"))
    return out


def _selects(selector: dict, ns: str, by_pair: dict[tuple, list[dict]]) -> bool:
    if not all(isinstance(v, str) for v in selector.values()):
        return True  # the schema check reports the value; no second finding
    candidates = min((by_pair.get((ns, k, v), []) for k, v in selector.items()), key=len)
    return any(all(t.get(k) == v for k, v in selector.items()) for t in candidates)
