"""An overlay's transformers in Kustomize's order: patches (strategic merge and JSON 6902
in ``patches``), namespace, name prefix and suffix, labels, annotations, legacy JSON 6902
patches, replicas, images, replacements.

Each transformer is a function in ``transform/``; this module only reads the overlay's
fields, finds the files they name, and calls them in order.
"""

from __future__ import annotations

from typing import Any

from ..errors import KcompileError
from ..load.overlay import OverlayFile
from ..model import Resource
from ..yaml.read import load_documents
from ..yaml.scalars import as_text
from .session import Build


def transform(b: Build, ov: OverlayFile, resources: list[Resource]) -> list[Resource]:
    """Run the overlay's transformers over ``resources`` in Kustomize's order."""
    from ..transform import metadata, namespace, prefixsuffix, replicas, images
    from ..transform.patches import apply_patch
    from ..transform.selectors import ResourceIndex

    f = str(ov.path)
    index: ResourceIndex | None = None
    smp_entries = [(None, e, i, "patchesStrategicMerge") for i, e in enumerate(ov.get("patchesStrategicMerge", []))]
    smp_entries += [(e, None, i, "patches") for i, e in enumerate(ov.get("patches", []))]
    for entry, legacy, i, key in smp_entries:
        where = ov.where(key, i)
        if entry is None:
            patch = _patch_from(b, ov, legacy, None, where, inline_ok=True)
        else:
            if not isinstance(entry, dict):
                raise KcompileError("each patches entry must be a map with 'path' or 'patch'", *where)
            patch = _patch_from(b, ov, entry.get("path"), entry, where)
        if index is None:
            index = ResourceIndex(resources)
        resources = apply_patch(resources, patch, b.merger, index)  # keeps the index up to date
    def at(key: str, fn: Any, *a: Any, **kw: Any) -> None:
        """Run a transformer; its errors about this overlay point at the field."""
        try:
            fn(*a, **kw)
        except KcompileError as e:
            if e.file == f and e._line is None:
                e.line = ov.where(key)[1]
            raise

    ns = ov.get("namespace")
    if ns:
        at("namespace", namespace.set_namespace, resources, as_text(ns), file=f)
    prefix, suffix = ov.get("namePrefix"), ov.get("nameSuffix")
    if prefix:
        prefixsuffix.add_prefix_suffix(resources, prefix=as_text(prefix))
    if suffix:
        prefixsuffix.add_prefix_suffix(resources, suffix=as_text(suffix))
    if ov.get("labels") or ov.get("commonLabels"):
        at("commonLabels" if ov.get("commonLabels") and not ov.get("labels") else "labels",
           metadata.apply_labels, resources, ov.get("commonLabels"), ov.get("labels"), file=f)
    if ov.get("commonAnnotations"):
        at("commonAnnotations", metadata.apply_annotations, resources, ov.get("commonAnnotations"), file=f)
    index = None  # namespace, prefix and suffix renamed objects
    for i, entry in enumerate(ov.get("patchesJson6902", [])):
        where = ov.where("patchesJson6902", i)
        if not isinstance(entry, dict) or not entry.get("target"):
            raise KcompileError("each patchesJson6902 entry needs a 'target' and a 'path' or 'patch'", *where)
        patch = _patch_from(b, ov, entry.get("path"), entry, where, force_json6902=True)
        if index is None:
            index = ResourceIndex(resources)
        resources = apply_patch(resources, patch, b.merger, index)
    if ov.get("replicas"):
        at("replicas", replicas.apply_replicas, resources, ov.get("replicas"), file=f)
    imgs = list(ov.get("images", [])) + list(ov.get("imageTags", []))
    if imgs:
        at("images" if ov.get("images") else "imageTags", images.apply_images, resources, imgs, file=f)
    if ov.get("replacements"):
        _replacements(b, ov, resources)
    return resources



def _patch_from(b: Build, ov: OverlayFile, path: Any, entry: dict | None, where: tuple,
                inline_ok: bool = False, force_json6902: bool = False):
    from ..transform.patches import parse_patch

    target = entry.get("target") if entry else None
    options = entry.get("options") if entry else None
    inline = entry.get("patch") if entry else None
    if entry is not None and path and inline:
        raise KcompileError("a patch has both 'path' and 'patch'; keep one", *where)
    if entry is not None and not path and not inline:
        raise KcompileError("a patch needs 'path' or 'patch'", *where)
    if inline is None and inline_ok and isinstance(path, str) and "\n" in path:
        inline = path  # patchesStrategicMerge accepts inline YAML text too
    if inline is not None:
        # the 'patch:' key line; the text starts on the line after it
        line = ov.line_of(*(_field_path(ov, entry) + ("patch",))) if entry is not None else where[1]()
        return parse_patch(str(inline), str(ov.path), line, inline=True, target=target,
                           options=options, force_json6902=force_json6902)
    file = b.files.file(ov.dir, path, where)
    text = b.files.read_text(file, where)
    patch = parse_patch(text, str(file), None, inline=False, target=target, options=options,
                        force_json6902=force_json6902, docs=b.cache.load_documents(text, str(file)))
    patch.declared = where
    return patch



def _replacements(b: Build, ov: OverlayFile, resources: list[Resource]) -> None:
    from ..transform.replacements import apply_replacements
    from ..transform.selectors import ResourceIndex

    index = ResourceIndex(resources)  # shared by every entry, kept up to date by each
    for i, entry in enumerate(ov.get("replacements", [])):
        where = ov.where("replacements", i)
        if isinstance(entry, dict) and entry.get("path") and not entry.get("source"):
            path = b.files.file(ov.dir, entry["path"], where)
            docs = load_documents(b.files.read_text(path, where), str(path))
            items: list = []
            for d in docs:
                items.extend(d.data if isinstance(d.data, list) else [d.data])
            apply_replacements(resources, items, file=str(path), line=docs[0].line if docs else None, index=index)
        else:
            apply_replacements(resources, [entry], file=str(ov.path), line=ov.line_of("replacements", i), index=index)


def _field_path(ov: OverlayFile, entry: dict) -> tuple:
    for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        items = ov.data.get(key)
        if isinstance(items, list):
            for i, e in enumerate(items):
                if e is entry:
                    return (key, i)
    return ()
