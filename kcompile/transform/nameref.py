"""Name references: after renames (prefix, suffix, namespace, hash), update every field
that refers to a renamed object by its old name (Kustomize's nameReference semantics).

One mechanism driven by one table (``fieldspecs.NAME_REFERENCES``, plus what
``configurations`` add). Candidates are
indexed by previous name, so the pass is linear in the number of referring fields
rather than quadratic in the number of objects.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..fields import specs as fieldspecs
from ..errors import KcompileError
from ..fields.path import walk
from ..model import CLUSTER_SCOPED_NS, Resource, split_api_version
from .config import DEFAULT, TransformerConfig


def _selected(group: str, version: str, kind: str, tg: str, tv: str, tk: str) -> bool:
    return (not tg or tg == group) and (not tv or tv == version) and (not tk or tk == kind)


class _Index:
    """Renamed objects by any previous name."""

    def __init__(self, resources: list[Resource]) -> None:
        self.by_prev_name: dict[str, list[Resource]] = defaultdict(list)
        for r in resources:
            if not r.previous:
                continue
            for name in {n for _, _, n in r.previous}:
                self.by_prev_name[name].append(r)


def _prev_selected(r: Resource, tg: str, tv: str, tk: str) -> bool:
    group, version = split_api_version(r.api_version)
    return any(_selected(group, version, kind, tg, tv, tk) for kind, _, _ in r.previous)


def _same_ending(a: list[str], b: list[str]) -> bool:
    """Kustomize's SameEndingSubSlice: the shorter list ends the longer one."""
    if len(a) > len(b):
        a, b = b, a
    return not a or b[len(b) - len(a):] == a


def _affixes_equal(r: Resource, o: Resource, allow_empty: bool) -> bool:
    if allow_empty:
        p_ok = not r.prefixes or not o.prefixes or _same_ending(r.prefixes, o.prefixes)
        s_ok = not r.suffixes or not o.suffixes or _same_ending(r.suffixes, o.suffixes)
        return p_ok and s_ok
    return _same_ending(r.prefixes, o.prefixes) and _same_ending(r.suffixes, o.suffixes)


class _Referrer:
    def __init__(self, r: Resource) -> None:
        self.r = r
        self.ns = r.effective_namespace()
        self.cluster_scoped = self.ns == CLUSTER_SCOPED_NS
        self.binding_namespaces: set[str] = set()
        if r.kind in ("RoleBinding", "ClusterRoleBinding"):
            for s in r.body.get("subjects") or []:
                if isinstance(s, dict) and s.get("kind") == "ServiceAccount" and s.get("namespace"):
                    self.binding_namespaces.add(s["namespace"])

    def could_reference(self, target: Resource) -> bool:
        """Kustomize's SubsetThatCouldBeReferencedByResource."""
        if self.cluster_scoped:
            return True
        tns = target.effective_namespace()
        if tns == CLUSTER_SCOPED_NS or tns == self.ns:
            return True
        return target.namespace in self.binding_namespaces


def _select(
    old: str,
    candidates: list[Resource],
    referrer: _Referrer,
    target: fieldspecs.NameRef,
    role_ref: tuple[str, str] | None,
    same_ns: bool,
) -> Resource | None:
    tg, tv, tk = target.target_group, target.target_version, target.target_kind
    found = [c for c in candidates if _prev_selected(c, tg, tv, tk)]
    if role_ref is not None:
        found = [c for c in found if _prev_selected(c, role_ref[0], "", role_ref[1])]
    if not referrer.cluster_scoped:
        found = [
            c for c in found
            if c.effective_namespace() in (CLUSTER_SCOPED_NS, referrer.ns) or c.kind == "ServiceAccount"
        ]
    if len(found) == 1:
        return found[0]
    found = [c for c in found if _affixes_equal(c, referrer.r, True)]
    if len(found) > 1:
        found = [c for c in found if _affixes_equal(c, referrer.r, False)]
    if len(found) == 1:
        return found[0]
    if not found:
        return None
    first = found[0]
    if all(c.name == first.name and (not same_ns or c.namespace == first.namespace) for c in found):
        return first
    ids = ", ".join(str(c.id()) for c in found)
    file, line = referrer.r.where()
    raise KcompileError(f"{referrer.r.id()} refers to {old!r}, which could mean several objects: {ids}", file, line)


def fix_name_references(resources: list[Resource], config: TransformerConfig = DEFAULT) -> None:
    """Rewrite references to renamed objects in every referring field of the
    configuration's name-reference table."""
    index = _Index(resources)
    if not index.by_prev_name:
        return
    for r in resources:
        if not r.body:
            continue
        group, version = split_api_version(r.api_version)
        org_kind = r.previous[0][0] if r.previous else r.kind
        referrer: _Referrer | None = None
        for target, spec in _referring_specs(config, group, version, org_kind):
            if referrer is None:
                referrer = _Referrer(r)
            role_ref = None
            if spec.path[-2:] == ("roleRef", "name"):
                rr = r.body.get("roleRef")
                if isinstance(rr, dict) and "apiGroup" in rr and "kind" in rr:
                    role_ref = (str(rr["apiGroup"]), str(rr["kind"]))
            walk(r.body, spec.path, _setter(index, referrer, target, role_ref))


def _referring_specs(config: TransformerConfig, group: str, version: str, kind: str) -> list:
    """(target, spec) pairs whose referrer spec selects this kind (memoized per config)."""
    return config.memo(("nameref", group, version, kind), lambda: [
        (t, s) for t in config.name_references for s in t.referrers if s.selects(group, version, kind)
    ])


def _setter(index: _Index, referrer: _Referrer, target: fieldspecs.NameRef, role_ref):
    def candidates_for(name: str) -> list[Resource]:
        return [c for c in index.by_prev_name.get(name, ()) if referrer.could_reference(c)]

    def set_scalar(parent: Any, key: Any) -> None:
        old = parent[key]
        if not isinstance(old, str):
            return
        ref = _select(old, candidates_for(old), referrer, target, role_ref, same_ns=False)
        if ref is not None and ref.name != old:
            parent[key] = ref.name

    def set_mapping(node: dict[str, Any]) -> None:
        old = node.get("name")
        if not isinstance(old, str):
            return
        cands = candidates_for(old)
        ns = node.get("namespace")
        if isinstance(ns, str):
            by_org = [c for c in cands if (c.previous[0][1] if c.previous else c.effective_namespace()) == ns]
            cands = by_org or [c for c in cands if c.effective_namespace() == ns]
        ref = _select(old, cands, referrer, target, role_ref, same_ns=True)
        if ref is None or (ref.name == old and not ref.namespace):
            return
        node["name"] = ref.name
        if ref.namespace:
            node["namespace"] = ref.namespace

    def setter(parent: dict[str, Any], key: str) -> None:
        value = parent.get(key)
        if value is None:
            return
        if isinstance(value, str):
            set_scalar(parent, key)
        elif isinstance(value, dict):
            set_mapping(value)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    set_scalar(value, i)
                elif isinstance(item, dict):
                    set_mapping(item)

    return setter
