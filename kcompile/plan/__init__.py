"""Computing a plan: the changes from one set of objects (the last applied revision, or
a build at another git revision) to another (the new build).

Field-level differences match list items by their merge keys from the Kubernetes schemas
(``spec.template.spec.containers[name=web].image``), so reordering is not a change.
Secret values are compared as keyed digests and shown only as "(sensitive value …)".
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .model import (ACTIONS, SENSITIVE_ADDED, SENSITIVE_CHANGED, SENSITIVE_REMOVED, Change, FieldChange, Plan,
                    QuotaUse)
from .rollout import rollout_for

__all__ = ["compute_plan", "Plan", "Change", "FieldChange", "ACTIONS", "apply_rank"]

# Apply order (SPEC §7); CustomResourceDefinitions go with Namespaces so custom objects
# can follow. Deletes run after, in reverse.
APPLY_ORDER = [
    ["Namespace", "CustomResourceDefinition"], ["ResourceQuota"], ["LimitRange"], ["ServiceAccount"], ["Secret"],
    ["ConfigMap"], ["StorageClass", "PersistentVolume", "PersistentVolumeClaim"],
    ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"], ["Service"],
    ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod"],
    ["HorizontalPodAutoscaler"], ["Ingress", "IngressClass"],
]
_RANK = {kind: i for i, kinds in enumerate(APPLY_ORDER) for kind in kinds}
HASH_SUFFIX = re.compile(r"^(?P<base>.+)-[a-z0-9]{10}$")


def apply_rank(kind: str) -> int:
    return _RANK.get(kind, len(APPLY_ORDER))


def _key(o: dict) -> tuple[str, str, str, str]:
    md = o.get("metadata") or {}
    group = o.get("apiVersion", "").rpartition("/")[0]
    return (group, o.get("kind", ""), md.get("namespace") or "", md.get("name") or "")


# -- field diffs -------------------------------------------------------------------------

def _merge_keys(api_version: str, kind: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
    try:
        from ..schema import list_merge_keys

        return list_merge_keys(api_version, kind, path)
    except Exception:  # no schemas installed: fall back to matching by position
        return None


def _item_key(item: Any, keys: tuple[str, ...]) -> tuple | None:
    if not isinstance(item, dict):
        return None
    out = []
    for k in keys:
        v = item.get(k)
        if v is None and k == "protocol":
            v = "TCP"
        if v is None:
            return None
        out.append(str(v))
    return tuple(out)


def diff_values(before: Any, after: Any, path: str, fpath: tuple[str, ...], api: str, kind: str,
                out: list[FieldChange]) -> None:
    """Append the differences between two values under ``path`` to ``out``."""
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for k in sorted(set(before) | set(after)):
            sub = f"{path}.{k}" if path else k
            diff_values(before.get(k), after.get(k), sub, fpath + (k,), api, kind, out)
        return
    if isinstance(before, list) and isinstance(after, list):
        keys = _merge_keys(api, kind, fpath)
        if keys:
            bmap = {_item_key(i, keys): i for i in before}
            amap = {_item_key(i, keys): i for i in after}
            if None not in bmap and None not in amap:
                for k in list(dict.fromkeys(list(bmap) + list(amap))):
                    label = ",".join(f"{n}={v}" for n, v in zip(keys, k))
                    diff_values(bmap.get(k), amap.get(k), f"{path}[{label}]", fpath, api, kind, out)
                return
        out.append(FieldChange(path, before, after))
        return
    out.append(FieldChange(path, before, after))


def _sensitive(fields: list[FieldChange], kind: str) -> None:
    if kind != "Secret":
        return
    for f in fields:
        if f.path.startswith(("data", "stringData")):
            if f.before is None:
                f.before, f.after = None, SENSITIVE_ADDED
            elif f.after is None:
                f.before, f.after = SENSITIVE_REMOVED, None
            else:
                f.before, f.after = SENSITIVE_CHANGED, SENSITIVE_CHANGED
            if isinstance(f.before, dict) or isinstance(f.after, dict):  # a whole map
                f.before = SENSITIVE_CHANGED if f.before is not None else None


def field_changes(before: dict, after: dict) -> list[FieldChange]:
    api, kind = (after or before).get("apiVersion", ""), (after or before).get("kind", "")
    out: list[FieldChange] = []
    diff_values(_strip_status(before), _strip_status(after), "", (), api, kind, out)
    _sensitive(out, kind)
    return out


def _strip_status(o: dict | None) -> Any:
    if not isinstance(o, dict):
        return o
    return {k: v for k, v in o.items() if k != "status"}


# -- immutable fields ---------------------------------------------------------------------

def _get(o: dict | None, *path: str) -> Any:
    node: Any = o
    for p in path:
        node = node.get(p) if isinstance(node, dict) else None
    return node


def needs_replace(before: dict, after: dict) -> str | None:
    """Why the change needs delete + create (an immutable field changed), or None."""
    kind = after.get("kind")
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        if _get(before, "spec", "selector") != _get(after, "spec", "selector"):
            return "spec.selector is immutable"
    if kind == "StatefulSet":
        for f in ("volumeClaimTemplates", "serviceName", "podManagementPolicy"):
            if _get(before, "spec", f) != _get(after, "spec", f):
                return f"spec.{f} is immutable"
    if kind == "Job":
        for f in ("template", "selector"):
            if _get(before, "spec", f) != _get(after, "spec", f):
                return f"spec.{f} is immutable"
    if kind == "Service":
        b, a = _get(before, "spec", "clusterIP"), _get(after, "spec", "clusterIP")
        if b is not None and a is not None and b != a:
            return "spec.clusterIP is immutable"
    if kind == "PersistentVolumeClaim":
        bs, as_ = dict(_get(before, "spec") or {}), dict(_get(after, "spec") or {})
        for s in (bs, as_):
            s.pop("resources", None)
        if bs != as_:
            return "a PersistentVolumeClaim's spec is immutable (except storage requests)"
    if kind == "Secret" and (before.get("type") or "Opaque") != (after.get("type") or "Opaque"):
        return "a Secret's type is immutable"
    if kind in ("ConfigMap", "Secret") and before.get("immutable") is True:
        for f in ("data", "binaryData", "stringData"):
            if before.get(f) != after.get(f):
                return f"{kind} is immutable: its data cannot change in place"
    if kind == "Pod" and _get(before, "spec") != _get(after, "spec"):
        return "a Pod's spec is (mostly) immutable"
    return None


# -- references from workloads to ConfigMaps/Secrets ---------------------------------------

def _config_refs(obj: dict) -> set[tuple[str, str]]:
    from ..model import Resource
    from ..validate.checks import _refs, pod_spec

    r = Resource(body=obj)
    base, spec = pod_spec(r)
    if spec is None:
        return set()
    return {(kind, name) for kind, name, _, _ in _refs(spec, base)}


# -- the plan --------------------------------------------------------------------------------

def compute_plan(
    before: list[dict],
    after: list[dict],
    *,
    environment: str,
    base_revision: int | None,
    show_unchanged: bool = False,
) -> Plan:
    """The ordered changes from ``before`` to ``after`` (Secret values already masked)."""
    bmap = {_key(o): o for o in before}
    amap = {_key(o): o for o in after}
    changes: list[Change] = []
    unchanged: list[Change] = []
    created = [k for k in amap if k not in bmap]
    deleted = [k for k in bmap if k not in amap]

    # hash-suffixed ConfigMap/Secret renames: one replacement, not create + delete
    renamed: dict[tuple, tuple] = {}
    by_base: dict[tuple, list[tuple]] = {}
    for k in deleted:
        m = HASH_SUFFIX.match(k[3])
        if k[1] in ("ConfigMap", "Secret") and m:
            by_base.setdefault((k[0], k[1], k[2], m.group("base")), []).append(k)
    for k in created:
        m = HASH_SUFFIX.match(k[3])
        if k[1] in ("ConfigMap", "Secret") and m:
            olds = by_base.get((k[0], k[1], k[2], m.group("base")))
            if olds:
                renamed[k] = olds.pop(0)

    for k, new in amap.items():
        old = bmap.get(k)
        if old is None and k in renamed:
            old_key = renamed[k]
            c = _change("replace", new, bmap[old_key], new)
            c.replaces = old_key[3]
            c.fields = field_changes(bmap[old_key], new)
            c.warnings.append(f"replaces {k[1]} {old_key[3]} (content-hash name): workloads that use it roll")
            changes.append(c)
            continue
        if old is None:
            c = _change("create", new, None, new)
            c.rollout = rollout_for("create", None, new)
            changes.append(c)
            continue
        fields = field_changes(old, new)
        if not fields:
            if show_unchanged:
                unchanged.append(_change("update", new, old, new))
            continue
        reason = needs_replace(old, new)
        c = _change("replace" if reason else "update", new, old, new)
        c.fields = fields
        if reason:
            c.warnings.append(f"{reason}: the object is deleted and created again")
        c.rollout = rollout_for(c.action, old, new)
        changes.append(c)
    replaced_old = set(renamed.values())
    for k in deleted:
        if k in replaced_old:
            continue
        old = bmap[k]
        c = _change("delete", old, old, None)
        c.rollout = rollout_for("delete", old, None)
        changes.append(c)

    _config_warnings(changes, after)
    quota = _quota(after)
    for q in quota:
        if q.over:
            for c in changes:
                if c.namespace == q.namespace and c.kind in ("Deployment", "StatefulSet", "ResourceQuota"):
                    c.warnings.append(f"namespace {q.namespace} would use {q.resource}={q.used}, over "
                                      f"ResourceQuota {q.quota} ({q.hard})")
                    break

    def order(c: Change) -> tuple:
        rank = apply_rank(c.kind)
        if c.action == "delete":
            return (1, -rank, c.namespace, c.name)
        return (0, rank, c.namespace, c.name)

    changes.sort(key=order)
    return Plan(environment, base_revision, changes, unchanged, quota)


def _change(action: str, obj: dict, before: dict | None, after: dict | None) -> Change:
    md = obj.get("metadata") or {}
    return Change(action, obj.get("apiVersion", ""), obj.get("kind", ""), md.get("namespace") or "",
                  md.get("name") or "", before, after)


def _config_warnings(changes: list[Change], after: list[dict]) -> None:
    """A ConfigMap/Secret changed in place (same name, so no content hash) while
    workloads read it: running pods keep the old value until they restart."""
    rolling = {(c.kind, c.namespace, c.name) for c in changes if c.rollout and c.rollout.strategy in ("rolling", "recreate", "replace")}
    readers: dict[tuple, list[str]] = {}
    for o in after:
        md = o.get("metadata") or {}
        ns = md.get("namespace") or ""
        if (o.get("kind"), ns, md.get("name")) in rolling:
            continue
        for kind, name in _config_refs(o):
            readers.setdefault((kind, ns, name), []).append(f"{o.get('kind')}/{md.get('name')}")
    for c in changes:
        if c.kind in ("ConfigMap", "Secret") and c.action == "update":
            who = readers.get((c.kind, c.namespace, c.name))
            if who and any(f.path.startswith(("data", "binaryData", "stringData")) for f in c.fields):
                c.warnings.append(
                    f"{', '.join(sorted(who))} read this {c.kind} under a name without a content hash: "
                    "running pods keep the old value until they restart")


def _quota(after: list[dict]) -> list[QuotaUse]:
    from ..model import Resource
    from ..validate.checks import namespace_usage
    from ..validate.quantity import format_quantity, parse_quantity

    resources = [Resource(body=o) for o in after]
    quotas = [r for r in resources if r.kind == "ResourceQuota"]
    if not quotas:
        return []
    steady = namespace_usage(resources, include_surge=False)
    surge = namespace_usage(resources, include_surge=True)
    out = []
    for q in quotas:
        ns = q.namespace or "default"
        for name, hard in sorted(((q.body.get("spec") or {}).get("hard") or {}).items()):
            key = {"cpu": "requests.cpu", "memory": "requests.memory"}.get(name, name)
            if key not in ("pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"):
                continue
            used = steady.get(ns, {}).get(key, (0, []))[0]
            peak = surge.get(ns, {}).get(key, (0, []))[0]
            lim = parse_quantity(hard)
            out.append(QuotaUse(ns, q.name, key, format_quantity(used, key) if used else "0", str(hard),
                                lim is not None and peak > lim))
    return out
