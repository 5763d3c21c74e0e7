"""Transformer configuration: the field-spec tables every transformer reads.

Kustomize keeps one configuration per accumulation: the built-in tables
(``fieldspecs``), extended by each kustomization's ``configurations`` files and by
those of its bases and components, which travel up with their objects. A
configuration file is a map of table name to field specs:

    nameReference:                 # which fields refer to objects of a kind by name
    - kind: Issuer
      group: cert-manager.io
      fieldSpecs:
      - {kind: Certificate, group: cert-manager.io, path: spec/issuerRef/name}
    varReference:                  # where $(VAR) is substituted
    - {kind: Certificate, path: spec/commonName}
    namespace: / commonLabels: / commonAnnotations: / images: / replicas: /
    namePrefix: / nameSuffix: / templateLabels: / labels: / volumeClaimTemplateLabels:

Merging appends the specs a table lacks (same kind and path: kept once; the same spec
with a different ``create``: Kustomize's "conflicting fieldspecs" error).
"""

from __future__ import annotations

from typing import Any

from ..fields import specs as fieldspecs
from ..errors import KcompileError
from ..fields.specs import FieldSpec, NameRef

# Table names as a configuration file spells them -> TransformerConfig attribute.
TABLES = {
    "namePrefix": "name_prefix",
    "nameSuffix": "name_suffix",
    "namespace": "namespace",
    "commonLabels": "common_labels",
    "labels": "labels",
    "templateLabels": "template_labels",
    "volumeClaimTemplateLabels": "volume_claim_template_labels",
    "commonAnnotations": "common_annotations",
    "varReference": "var_reference",
    "images": "images",
    "replicas": "replicas",
}

NAME_FIELD = ("metadata", "name")


class TransformerConfig:
    """Field-spec tables (tuples of :class:`FieldSpec`) plus the name-reference table."""

    __slots__ = (*TABLES.values(), "name_references", "_memo")

    def __init__(self, **tables: Any) -> None:
        for attr in TABLES.values():
            setattr(self, attr, tuple(tables.get(attr, ())))
        self.name_references: tuple[NameRef, ...] = tuple(tables.get("name_references", ()))
        self._memo: dict = {}  # per-kind look-ups of the transformers that use this config

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()`` once per ``key`` for this configuration."""
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = compute()
        return got

    def merge(self, other: "TransformerConfig | None", file: str | None = None) -> "TransformerConfig":
        """This configuration with ``other``'s specs added (self when nothing is new)."""
        if other is None or other is self:
            return self
        merged: dict[str, Any] = {}
        changed = False
        for name, attr in TABLES.items():
            mine, theirs = getattr(self, attr), getattr(other, attr)
            table = merge_specs(mine, theirs, name, file)
            changed |= table is not mine
            merged[attr] = table
        refs = _merge_name_refs(self.name_references, other.name_references, file)
        changed |= refs is not self.name_references
        merged["name_references"] = refs
        return TransformerConfig(**merged) if changed else self


def merge_specs(mine: tuple[FieldSpec, ...], theirs: tuple[FieldSpec, ...] | list[FieldSpec],
                table: str = "", file: str | None = None) -> tuple[FieldSpec, ...]:
    """``mine`` plus the specs of ``theirs`` it lacks (``mine`` itself if none)."""
    if not theirs:
        return mine
    have = {(s.group, s.version, s.kind, s.path): s.create for s in mine}
    added: list[FieldSpec] = []
    for s in theirs:
        key = (s.group, s.version, s.kind, s.path)
        create = have.get(key)
        if create is None:
            have[key] = s.create
            added.append(s)
        elif create != s.create:
            where = "/".join(s.path)
            raise KcompileError(
                f"conflicting fieldspecs in {table or 'a configuration'}: {where} of {s.kind or 'every kind'} "
                "is given both with and without 'create'", file,
            )
    return mine + tuple(added) if added else mine


def _merge_name_refs(mine: tuple[NameRef, ...], theirs: tuple[NameRef, ...],
                     file: str | None) -> tuple[NameRef, ...]:
    if not theirs:
        return mine
    out = list(mine)
    pos = {(n.target_group, n.target_version, n.target_kind): i for i, n in enumerate(out)}
    changed = False
    for n in theirs:
        key = (n.target_group, n.target_version, n.target_kind)
        i = pos.get(key)
        if i is None:
            pos[key] = len(out)
            out.append(n)
            changed = True
            continue
        referrers = merge_specs(out[i].referrers, n.referrers, "nameReference", file)
        if referrers is not out[i].referrers:
            out[i] = out[i]._replace(referrers=referrers)
            changed = True
    return tuple(out) if changed else mine


def parse_field_spec(entry: Any, file: str | None = None, table: str = "") -> FieldSpec:
    """One field spec as written (``{group, version, kind, path, create}``)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise KcompileError(f"each {table or 'field spec'} entry needs a 'path'", file)
    return fieldspecs.fs(
        entry["path"], _text(entry.get("kind")), _text(entry.get("group")), _text(entry.get("version")),
        entry.get("create") is True or str(entry.get("create")).lower() == "true",
    )


def parse_field_specs(entries: Any, file: str | None = None, table: str = "") -> tuple[FieldSpec, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise KcompileError(f"{table or 'fieldSpecs'} must be a list of field specs", file)
    return tuple(parse_field_spec(e, file, table) for e in entries)


def parse_config(data: Any, file: str) -> TransformerConfig:
    """A ``configurations`` file's content. Unknown tables are ignored, as Kustomize does."""
    if data is None:
        return TransformerConfig()
    if not isinstance(data, dict):
        raise KcompileError("a transformer configuration must be a map of field-spec tables", file)
    tables: dict[str, Any] = {}
    for name, attr in TABLES.items():
        tables[attr] = parse_field_specs(data.get(name), file, name)
    refs: list[NameRef] = []
    for entry in data.get("nameReference") or []:
        if not isinstance(entry, dict) or not entry.get("kind"):
            raise KcompileError("each nameReference entry needs the 'kind' it refers to", file)
        group, version = _text(entry.get("group")), _text(entry.get("version"))
        refs.append(NameRef(group, version, _text(entry["kind"]),
                            parse_field_specs(entry.get("fieldSpecs"), file, "nameReference.fieldSpecs")))
    tables["name_references"] = _merge_name_refs((), tuple(refs), file)
    return TransformerConfig(**tables)


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _default() -> TransformerConfig:
    return TransformerConfig(
        name_prefix=(fieldspecs.fs("metadata/name"),),
        name_suffix=(fieldspecs.fs("metadata/name"),),
        namespace=fieldspecs.NAMESPACE,
        common_labels=fieldspecs.COMMON_LABELS,
        template_labels=fieldspecs.METADATA_LABELS + fieldspecs.TEMPLATE_LABELS,
        volume_claim_template_labels=fieldspecs.VOLUME_CLAIM_TEMPLATE_LABELS,
        common_annotations=fieldspecs.COMMON_ANNOTATIONS,
        var_reference=fieldspecs.VAR_REFERENCE,
        images=fieldspecs.IMAGES,
        replicas=fieldspecs.REPLICAS,
        name_references=fieldspecs.NAME_REFERENCES,
    )


# The built-in configuration (Kustomize's defaults); shared, never mutated.
DEFAULT = _default()


# OpenAPI extensions of the legacy ``crds`` definition files that add field specs.
_X_ANNOTATION = "x-kubernetes-annotation"
_X_LABEL_SELECTOR = "x-kubernetes-label-selector"
_X_IDENTITY = "x-kubernetes-identity"
_X_REF_VERSION = "x-kubernetes-object-ref-api-version"
_X_REF_KIND = "x-kubernetes-object-ref-kind"
_X_REF_NAME_KEY = "x-kubernetes-object-ref-name-key"


def config_from_crd_definitions(data: Any) -> TransformerConfig | None:
    """Field specs a ``crds`` file in Kustomize's legacy OpenAPI-definitions form (a map
    of Go type name -> ``{Schema: ...}``) declares with ``x-kubernetes-*`` extensions:
    name references (``object-ref-kind``/``-api-version``/``-name-key``), annotation and
    label-selector fields, and fields that get the name prefix. None when the file is not
    in that form (an ordinary CustomResourceDefinition)."""
    if not isinstance(data, dict) or "apiVersion" in data or "kind" in data:
        return None
    tables: dict[str, list] = {"common_annotations": [], "common_labels": [], "name_prefix": []}
    refs: list[NameRef] = []
    for type_name, api in data.items():
        props = _properties(api)
        if not all(k in props for k in ("kind", "apiVersion", "metadata")):
            continue
        kind = str(type_name).split(".")[-1]
        _crd_fields(data, str(type_name), kind, (), tables, refs, set())
    if not any(tables.values()) and not refs:
        return None
    return TransformerConfig(**tables, name_references=_merge_name_refs((), tuple(refs), None))


def _properties(api: Any) -> dict:
    schema = api.get("Schema") if isinstance(api, dict) else None
    props = schema.get("properties") if isinstance(schema, dict) else None
    return props if isinstance(props, dict) else {}


def _crd_fields(definitions: dict, type_name: str, kind: str, path: tuple[str, ...], tables: dict,
                refs: list, seen: set) -> None:
    if type_name in seen:  # a recursive type: its fields were visited on this path
        return
    seen = seen | {type_name}
    for name, prop in _properties(definitions.get(type_name)).items():
        if not isinstance(prop, dict):
            continue
        here = path + (str(name),)
        spec = FieldSpec("", "", kind, here)
        if isinstance(prop.get(_X_ANNOTATION), str):
            tables["common_annotations"].append(spec)
        if isinstance(prop.get(_X_LABEL_SELECTOR), str):
            tables["common_labels"].append(spec)
        if isinstance(prop.get(_X_IDENTITY), str):
            tables["name_prefix"].append(spec)
        version, ref_kind = prop.get(_X_REF_VERSION), prop.get(_X_REF_KIND)
        if isinstance(version, str) and isinstance(ref_kind, str):
            key = prop.get(_X_REF_NAME_KEY)
            refs.append(NameRef("", version, ref_kind,
                                (FieldSpec("", "", kind, here + (key if isinstance(key, str) else "name",)),)))
        ref = prop.get("$ref")
        if isinstance(ref, str) and ref:
            _crd_fields(definitions, ref, kind, here, tables, refs, seen)
