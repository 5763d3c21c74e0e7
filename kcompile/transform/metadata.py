"""commonLabels, labels, commonAnnotations: add key/values at field-spec locations."""

from __future__ import annotations

from typing import Any

from ..fields import specs as fieldspecs
from ..errors import KcompileError
from ..fields.path import SpecIndex
from ..fields.specs import FieldSpec
from ..model import Resource, split_api_version
from ..yaml.scalars import as_text
from .config import DEFAULT, TransformerConfig


def _string_map(pairs: Any, what: str, file: str | None) -> dict[str, str]:
    if pairs is None:
        return {}
    if not isinstance(pairs, dict):
        raise KcompileError(f"{what} must be a map of strings", file)
    for k, v in pairs.items():
        if isinstance(v, (dict, list)):
            raise KcompileError(f"{what}: the value of {k!r} must be a string, not a {type(v).__name__}", file)
    return {str(k): as_text(v) for k, v in pairs.items()}


def add_pairs(resources: list[Resource], pairs: dict[str, str], specs: list[FieldSpec], what: str,
              source: tuple[str, tuple] | None = None) -> None:
    """Set every ``pairs`` entry in the map at each field spec (creating it if allowed).
    ``source`` (overlay file, path of the field there) is recorded on each object changed
    (``Resource.set_by``), for findings to point at."""
    if not pairs:
        return
    touched = False

    def setter(parent: dict[str, Any], key: str) -> None:
        nonlocal touched
        target = parent.get(key)
        if not isinstance(target, dict):
            if target is not None:
                raise KcompileError(f"expected a map at {key!r} to add {what} to, found {type(target).__name__}")
            target = parent[key] = {}
        target.update(pairs)
        touched = True

    index = SpecIndex(specs)
    for r in resources:
        if not r.body:
            continue
        group, version = split_api_version(r.api_version)
        touched = False
        index.apply(r.body, group, version, r.kind, setter)
        if touched and source is not None:
            r.set_by.append((source[0], source[1], pairs))


def label_specs(entry: dict[str, Any], config: TransformerConfig = DEFAULT) -> list[FieldSpec]:
    """Field specs for one ``labels:`` entry (includeSelectors / includeTemplates)."""
    extra = [
        fieldspecs.fs(f["path"], f.get("kind", ""), f.get("group", ""), f.get("version", ""), bool(f.get("create")))
        for f in entry.get("fields") or []
    ] + list(config.labels)
    if _truthy(entry.get("includeSelectors")):
        return extra + list(config.common_labels)
    specs = list(extra)
    if _truthy(entry.get("includeTemplates")):
        # Kustomize v5.8 labels StatefulSet volumeClaimTemplates with the templates too.
        specs += list(config.template_labels) + list(config.volume_claim_template_labels)
    elif _truthy(entry.get("includeVolumeClaimTemplates")):
        specs += list(config.volume_claim_template_labels)
    return specs + fieldspecs.METADATA_LABELS


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true")


def apply_labels(
    resources: list[Resource],
    common_labels: Any,
    labels: Any,
    *,
    file: str | None = None,
    config: TransformerConfig = DEFAULT,
) -> None:
    """``labels:`` entries first, then ``commonLabels`` (Kustomize's order)."""
    for i, entry in enumerate(labels or []):
        if not isinstance(entry, dict):
            raise KcompileError("each labels entry must be a map with 'pairs'", file)
        pairs = _string_map(entry.get("pairs"), "labels.pairs", file)
        add_pairs(resources, pairs, label_specs(entry, config), "labels", _source(file, ("labels", i, "pairs")))
    add_pairs(resources, _string_map(common_labels, "commonLabels", file), list(config.common_labels), "labels",
              _source(file, ("commonLabels",)))


def _source(file: str | None, path: tuple) -> tuple[str, tuple] | None:
    return (str(file), path) if file else None


def apply_annotations(resources: list[Resource], annotations: Any, *, file: str | None = None,
                      config: TransformerConfig = DEFAULT) -> None:
    add_pairs(
        resources, _string_map(annotations, "commonAnnotations", file), list(config.common_annotations), "annotations",
        _source(file, ("commonAnnotations",)),
    )
