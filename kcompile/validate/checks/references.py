"""References from pods to ConfigMaps and Secrets that the build does not hold.
"""

from __future__ import annotations

from typing import Iterator

from ...model import Resource
from .. import Finding
from .pods import containers, pod_spec


def config_references(spec: dict, base: list) -> Iterator[tuple[str, str, list, bool]]:
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


def check(resources: list[Resource]) -> list[Finding]:
    """A warning for each ConfigMap or Secret a pod uses (not optionally) that is not in
    the build: it may exist in the cluster, else the pods do not start."""
    present = {(r.kind, r.namespace or "default", r.name) for r in resources if r.kind in ("ConfigMap", "Secret")}
    out = []
    for r in resources:
        base, spec = pod_spec(r)
        if spec is None:
            continue
        ns = r.namespace or "default"
        for kind, name, path, optional in config_references(spec, base):
            if optional or (kind, ns, name) in present:
                continue
            out.append(Finding("warning", r, path,
                               f"refers to {kind} {name!r}, which is not in this build (pods will not start "
                               "unless it exists in the cluster)"))
    return out
