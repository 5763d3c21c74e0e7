"""Object names, namespaces and labels (metadata and pod template) as the API server checks them.
"""

from __future__ import annotations

from ...model import Resource, split_api_version
from .. import Finding
from .pods import pod_template_labels
from .syntax import DNS1123_LABEL, DNS1123_SUBDOMAIN, label_findings


# Kinds whose names must be DNS-1123 labels (no dots, <= 63).
LABEL_NAMED = {"Namespace", "Service"}


# Built-in kinds whose names are path segments only (RBAC allows ':' and more).
PATH_SEGMENT_NAMED = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
                  "storage.k8s.io", "scheduling.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io",
                  "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io", "certificates.k8s.io"}


def check(resources: list[Resource]) -> list[Finding]:
    """Names by kind (DNS-1123 label, subdomain or path segment; built-in kinds only),
    namespaces, and label keys and values."""
    out: list[Finding] = []
    for r in resources:
        out += _object_problems(r)
    return out


def _object_problems(r: Resource) -> list[Finding]:
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
    out += label_findings(r, ["metadata", "labels"], r.labels())
    path, labels = pod_template_labels(r)
    if path != ["metadata", "labels"]:
        out += label_findings(r, path, labels)
    return out
