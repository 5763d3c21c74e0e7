"""Computing a plan: the changes from one set of objects (the last applied revision, or
a build at another git revision) to another (the new build). Pure data in, data out:
nothing here reads files, the state store or the terminal.

- Objects are matched by group/kind/namespace/name (the API version may change).
- A ConfigMap/Secret whose content-hash name changed (``app-config-5f9c8d7b2k`` →
  ``app-config-h7m4t9c2bg``) is one ``replace`` of the old name by the new one, with its
  data diff, not an unrelated create and delete.
- ``update`` becomes ``replace`` when an immutable field changed (:mod:`.immutable`).
- Rollout impact per workload change (:mod:`.rollout`); warnings for ConfigMaps/Secrets
  changed in place under workloads that will not restart, and for quotas exceeded.
"""

from __future__ import annotations

import re
from typing import Any

from .diff import field_changes
from .immutable import needs_replace
from .model import (ACTIONS, SENSITIVE_ADDED, SENSITIVE_CHANGED, SENSITIVE_REMOVED, Change, FieldChange, Plan,
                    QuotaUse, Rollout)
from .order import APPLY_ORDER, apply_rank, sort_key
from .rollout import rollout_for

__all__ = ["compute_plan", "Plan", "Change", "FieldChange", "Rollout", "QuotaUse", "ACTIONS", "APPLY_ORDER",
           "apply_rank", "field_changes", "needs_replace", "rollout_for",
           "SENSITIVE_ADDED", "SENSITIVE_CHANGED", "SENSITIVE_REMOVED"]

# Kustomize's content hash: 10 characters of [a-z0-9] appended with a dash.
HASH_SUFFIX = re.compile(r"^(?P<base>.+)-[a-z0-9]{10}$")
_HASHED_KINDS = ("ConfigMap", "Secret")

Key = tuple[str, str, str, str]  # (group, kind, namespace, name)


def _text(value: Any) -> str:
    """An identity field as the object's id reads it (``Resource.namespace``): anything
    but a string (a list where a namespace goes, say, with --no-validate) is ""."""
    return value if isinstance(value, str) else ""


def _identity(o: dict) -> tuple[str, str, str, str]:
    """(apiVersion, kind, namespace, name)."""
    md = o.get("metadata")
    md = md if isinstance(md, dict) else {}
    return _text(o.get("apiVersion")), _text(o.get("kind")), _text(md.get("namespace")), _text(md.get("name"))


def _key(o: dict) -> Key:
    api, kind, namespace, name = _identity(o)
    return (api.rpartition("/")[0], kind, namespace, name)


def _change(action: str, obj: dict, before: dict | None, after: dict | None) -> Change:
    return Change(action, *_identity(obj), before, after)


def _hash_renames(created: list[Key], deleted: list[Key]) -> dict[Key, Key]:
    """New key -> old key for ConfigMaps/Secrets whose names differ only in the hash."""
    olds: dict[tuple, list[Key]] = {}
    for k in deleted:
        m = HASH_SUFFIX.match(k[3])
        if k[1] in _HASHED_KINDS and m:
            olds.setdefault((k[0], k[1], k[2], m.group("base")), []).append(k)
    renamed: dict[Key, Key] = {}
    for k in created:
        m = HASH_SUFFIX.match(k[3])
        if k[1] in _HASHED_KINDS and m:
            candidates = olds.get((k[0], k[1], k[2], m.group("base")))
            if candidates:
                renamed[k] = candidates.pop(0)
    return renamed


def compute_plan(
    before: list[dict],
    after: list[dict],
    *,
    environment: str,
    base_revision: int | None,
    show_unchanged: bool = False,
    kube_version: str | None = None,
) -> Plan:
    """The ordered changes from ``before`` to ``after``.

    Both lists must already have Secret values masked the same way (state store digests);
    ``before`` is empty when nothing was applied (everything is a create)."""
    from .rollout import hpa_owners

    bmap = {_key(o): o for o in before}
    amap = {_key(o): o for o in after}
    owners = (hpa_owners(before), hpa_owners(after))  # who owns replicas left out of a spec
    created = [k for k in amap if k not in bmap]
    deleted = [k for k in bmap if k not in amap]
    renamed = _hash_renames(created, deleted)
    changes: list[Change] = []
    unchanged: list[Change] = []

    for k, new in amap.items():
        old = bmap.get(k)
        if old is None and k in renamed:
            old_obj = bmap[renamed[k]]
            c = _change("replace", new, old_obj, new)
            c.replaces = renamed[k][3]
            c.fields = field_changes(old_obj, new, kube_version)
            c.warnings.append(f"new content-hash name: {c.replaces} is replaced by {c.name}; "
                              "workloads that reference it roll to pick it up")
            changes.append(c)
        elif old is None:
            c = _change("create", new, None, new)
            c.rollout = rollout_for("create", None, new, *owners)
            changes.append(c)
        else:
            fields = field_changes(old, new, kube_version)
            if not fields:
                if show_unchanged:
                    unchanged.append(_change("update", new, old, new))
                continue
            reason = needs_replace(old, new)
            c = _change("replace" if reason else "update", new, old, new)
            c.fields = fields
            if reason:
                c.warnings.append(f"{reason}: the object is deleted and created again")
            c.rollout = rollout_for(c.action, old, new, *owners)
            if c.rollout and c.rollout.strategy == "none" and "keep the old template" in c.rollout.description:
                c.warnings.append(c.rollout.description)
            changes.append(c)
    replaced = set(renamed.values())
    for k in deleted:
        if k not in replaced:
            old = bmap[k]
            c = _change("delete", old, old, None)
            c.rollout = rollout_for("delete", old, None, *owners)
            changes.append(c)

    changes.sort(key=lambda c: sort_key(c.action, c.kind, c.namespace, c.name))
    _config_warnings(changes, after)
    quota = _quota(after)
    warnings = _quota_warnings(quota, changes)
    unchanged.sort(key=lambda c: sort_key(c.action, c.kind, c.namespace, c.name))
    return Plan(environment, base_revision, changes, unchanged, quota, warnings)


# -- ConfigMaps and Secrets read by workloads -------------------------------------------

def _config_refs(obj: dict) -> set[tuple[str, str]]:
    """(kind, name) of every ConfigMap/Secret a workload's pods read."""
    from ..model import Resource
    from ..validate.checks.pods import pod_spec
    from ..validate.checks.references import config_references

    base, spec = pod_spec(Resource(body=obj))
    if spec is None:
        return set()
    return {(kind, name) for kind, name, _, _ in config_references(spec, base)}


def _config_warnings(changes: list[Change], after: list[dict]) -> None:
    """A ConfigMap/Secret whose data changed under the same name (so without a content
    hash) while workloads that will not restart read it: their running pods keep the old
    value (environment variables are read at start; mounted files follow only after a
    delay, and never for subPath mounts) until they restart."""
    config = [c for c in changes if c.kind in _HASHED_KINDS and c.action in ("update", "replace")
              and not c.replaces and any(f.path.split(".")[0].split("[")[0] in ("data", "binaryData", "stringData")
                                         for f in c.fields)]
    if not config:
        return
    restarting = {(c.kind, c.namespace, c.name) for c in changes
                  if c.action == "create" or (c.rollout and c.rollout.strategy in ("rolling", "recreate", "replace"))}
    readers: dict[tuple[str, str, str], list[str]] = {}
    for o in after:
        md = o.get("metadata") or {}
        ns = md.get("namespace") or ""
        if (o.get("kind"), ns, md.get("name")) in restarting:
            continue
        for kind, name in _config_refs(o):
            readers.setdefault((kind, ns, name), []).append(f"{o.get('kind')}/{md.get('name')}")
    for c in config:
        who = readers.get((c.kind, c.namespace, c.name))
        if who:
            c.warnings.append(
                f"{', '.join(sorted(who))} read this {c.kind} under a name without a content hash and do not "
                "restart: running pods keep the old value until they restart")


# -- quotas ---------------------------------------------------------------------------------

_QUOTA_KEYS = {"cpu": "requests.cpu", "memory": "requests.memory"}
_COUNTED = ("pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def _quota(after: list[dict]) -> list[QuotaUse]:
    """Per ResourceQuota limit: what the namespace's workloads will use after the change
    (replicas × requests/limits, LimitRange defaults applied) and at the peak of rolling
    updates (surge pods)."""
    if not any(o.get("kind") == "ResourceQuota" for o in after):
        return []
    from ..model import Resource
    from ..validate.checks.pods import namespace_usage
    from ..validate.quantity import format_quantity, parse_quantity

    resources = [Resource(body=o) for o in after]
    steady = namespace_usage(resources, include_surge=False)
    surge = namespace_usage(resources, include_surge=True)

    def shown(value: Any, key: str) -> str:
        return format_quantity(value, key) if value else "0"

    out = []
    for q in resources:
        if q.kind != "ResourceQuota":
            continue
        ns = q.namespace or "default"
        hard_map = (q.body.get("spec") or {}).get("hard") or {}
        for name, hard in sorted(hard_map.items()):
            key = _QUOTA_KEYS.get(name, name)
            if key not in _COUNTED:
                continue
            used = steady.get(ns, {}).get(key, (0, []))[0]
            peak = surge.get(ns, {}).get(key, (0, []))[0]
            limit = parse_quantity(hard)
            out.append(QuotaUse(ns, q.name, key, shown(used, key), shown(peak, key), str(hard),
                                limit is not None and peak > limit))
    return out


def _quota_warnings(quota: list[QuotaUse], changes: list[Change]) -> list[str]:
    warnings = []
    for q in quota:
        if not q.over:
            continue
        w = (f"namespace {q.namespace} would use {q.resource}={q.peak} at the peak of the rollout "
             f"({q.used} steady), over ResourceQuota {q.quota} hard {q.hard}: pods beyond it are not created")
        warnings.append(w)
        for c in changes:  # also on the first change in that namespace that runs pods
            if c.namespace in (q.namespace, "" if q.namespace == "default" else None) and c.rollout is not None:
                c.warnings.append(w)
                break
    return warnings
