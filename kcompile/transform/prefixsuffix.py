"""namePrefix / nameSuffix: rename objects; references are fixed later by nameref."""

from __future__ import annotations

from ..fields import specs as fieldspecs
from ..model import Resource, split_api_version


def add_prefix_suffix(resources: list[Resource], prefix: str = "", suffix: str = "") -> None:
    """Prefix and/or suffix ``metadata.name`` of every object but Namespaces, CRDs and
    APIServices. Kustomize runs the prefix transformer, then the suffix one; each
    remembers the previous id and records the affix for name-reference matching."""
    for affix, is_prefix in ((prefix, True), (suffix, False)):
        if not affix:
            continue
        for r in resources:
            if not r.body:
                continue
            group, version = split_api_version(r.api_version)
            kind, ns, name = r.previous[0] if r.previous else (r.kind, "", r.name)
            if any(s.selects(group, version, kind) for s in fieldspecs.PREFIX_SKIP):
                continue
            r.store_previous()
            (r.prefixes if is_prefix else r.suffixes).append(affix)
            md = r.metadata
            current = md.get("name") if isinstance(md.get("name"), str) else ""
            md["name"] = affix + current if is_prefix else current + affix
