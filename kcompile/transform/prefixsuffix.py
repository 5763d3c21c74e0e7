"""namePrefix / nameSuffix: rename objects; references are fixed later by nameref.

Where the affix goes is the configuration's ``namePrefix`` / ``nameSuffix`` table
(``metadata/name`` by default; ``configurations`` or a PrefixSuffixTransformer's
``fieldSpecs`` add other fields, which get the affix as plain text).
"""

from __future__ import annotations

from typing import Any, Iterable

from ..fields import specs as fieldspecs
from ..fields.path import walk
from ..fields.specs import FieldSpec
from ..model import Resource, split_api_version
from .config import DEFAULT, NAME_FIELD, TransformerConfig


def add_prefix_suffix(resources: list[Resource], prefix: str = "", suffix: str = "", *,
                      config: TransformerConfig = DEFAULT,
                      prefix_specs: Iterable[FieldSpec] | None = None,
                      suffix_specs: Iterable[FieldSpec] | None = None) -> None:
    """Prefix and/or suffix the fields of every object but Namespaces, CRDs and
    APIServices. Kustomize runs the prefix transformer, then the suffix one; on
    ``metadata/name`` each remembers the previous id and records the affix for
    name-reference matching. Specs select objects by their original kind."""
    for affix, is_prefix, specs in ((prefix, True, prefix_specs), (suffix, False, suffix_specs)):
        if not affix:
            continue
        table = tuple(specs) if specs is not None else (config.name_prefix if is_prefix else config.name_suffix)

        def setter(parent: dict[str, Any], key: str) -> None:
            current = parent.get(key)
            current = current if isinstance(current, str) else ""
            parent[key] = affix + current if is_prefix else current + affix

        for r in resources:
            if not r.body:
                continue
            group, version = split_api_version(r.api_version)
            kind = r.previous[0][0] if r.previous else r.kind
            if any(s.selects(group, version, kind) for s in fieldspecs.PREFIX_SKIP):
                continue
            for spec in table:
                if not spec.selects(group, version, kind):
                    continue
                if spec.path == NAME_FIELD:
                    r.store_previous()
                    (r.prefixes if is_prefix else r.suffixes).append(affix)
                    setter(r.metadata, "name")
                else:
                    walk(r.body, spec.path, setter, spec.create, spec.lists)
