"""An overlay's transformers in Kustomize's order: patches (strategic merge and JSON 6902
in ``patches``), namespace, name prefix and suffix, labels, annotations, legacy JSON 6902
patches, replicas, images, replacements.

Each transformer is a function in ``transform/``; this module only reads the overlay's
fields, finds the files they name, and calls them in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..load.overlay import OverlayFile
from ..model import Resource
from ..yaml.read import load_documents
from ..yaml.scalars import as_text
from .session import Build


def transform(b: Build, ov: OverlayFile, resources: list[Resource], config: Any = None) -> list[Resource]:
    """Run the overlay's transformers over ``resources`` in Kustomize's order, at the
    field specs of ``config`` (the accumulation's transformer configuration)."""
    from ..transform.config import DEFAULT

    config = config or DEFAULT
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
        resources = apply_patch(resources, patch, b.merger, index, warn=b.warn)  # keeps the index up to date
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
        at("namespace", namespace.set_namespace, resources, as_text(ns), file=f, config=config)
    prefix, suffix = ov.get("namePrefix"), ov.get("nameSuffix")
    if prefix:
        prefixsuffix.add_prefix_suffix(resources, prefix=as_text(prefix), config=config)
    if suffix:
        prefixsuffix.add_prefix_suffix(resources, suffix=as_text(suffix), config=config)
    if ov.get("labels") or ov.get("commonLabels"):
        at("commonLabels" if ov.get("commonLabels") and not ov.get("labels") else "labels",
           metadata.apply_labels, resources, ov.get("commonLabels"), ov.get("labels"), file=f, config=config)
    if ov.get("commonAnnotations"):
        at("commonAnnotations", metadata.apply_annotations, resources, ov.get("commonAnnotations"), file=f,
           config=config)
    index = None  # namespace, prefix and suffix renamed objects
    for i, entry in enumerate(ov.get("patchesJson6902", [])):
        where = ov.where("patchesJson6902", i)
        if not isinstance(entry, dict) or not entry.get("target"):
            raise KcompileError("each patchesJson6902 entry needs a 'target' and a 'path' or 'patch'", *where)
        patch = _patch_from(b, ov, entry.get("path"), entry, where, force_json6902=True)
        if index is None:
            index = ResourceIndex(resources)
        resources = apply_patch(resources, patch, b.merger, index, warn=b.warn)
    if ov.get("replicas"):
        at("replicas", replicas.apply_replicas, resources, ov.get("replicas"), file=f, config=config)
    imgs = list(ov.get("images", [])) + list(ov.get("imageTags", []))
    if imgs:
        at("images" if ov.get("images") else "imageTags", images.apply_images, resources, imgs, file=f,
           config=config)
    if ov.get("replacements"):
        _replacements(b, ov, resources)
    return resources



def _patch_from(b: Build, ov: OverlayFile, path: Any, entry: dict | None, where: tuple,
                inline_ok: bool = False, force_json6902: bool = False):
    line: Any = None
    if (entry is not None and entry.get("patch") is not None) or (inline_ok and "\n" in str(path)):
        # the 'patch:' key line (the text starts on the line after it), found when needed
        line = (lambda: ov.line_of(*(_field_path(ov, entry) + ("patch",)))) if entry is not None else where[1]
    return patch_from(b, ov.dir, str(ov.path), line, path, entry, where, inline_ok, force_json6902)


def patch_from(b: Build, base_dir: Path, declaring_file: str, line: int | None, path: Any, entry: dict | None,
               where: tuple, inline_ok: bool = False, force_json6902: bool = False):
    """A patch given inline (written at ``line`` of ``declaring_file``) or as a file
    relative to ``base_dir``."""
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
        return parse_patch(str(inline), declaring_file, line, inline=True, target=target,
                           options=options, force_json6902=force_json6902)
    file = b.files.file(base_dir, path, where)
    text = b.files.read_text(file, where)
    patch = parse_patch(text, str(file), None, inline=False, target=target, options=options,
                        force_json6902=force_json6902, docs=b.cache.load_documents(text, str(file)))
    patch.declared = where
    return patch



def _replacements(b: Build, ov: OverlayFile, resources: list[Resource]) -> None:
    apply_replacement_entries(b, ov.dir, ov.get("replacements", []), str(ov.path),
                              lambda i: ov.line_of("replacements", i), resources)


def apply_replacement_entries(b: Build, base_dir: Path, entries: list, file: str, line_of: Any,
                              resources: list[Resource]) -> None:
    """Replacements given inline or as files (``path``, relative to ``base_dir``)."""
    from ..transform.replacements import apply_replacements
    from ..transform.selectors import ResourceIndex

    index = ResourceIndex(resources)  # shared by every entry, kept up to date by each
    for i, entry in enumerate(entries):
        # The line is found only for a message (finding it composes the overlay again).
        where = (file, lambda i=i: line_of(i))
        if isinstance(entry, dict) and entry.get("path") and not entry.get("source"):
            path = b.files.file(base_dir, entry["path"], where)
            docs = load_documents(b.files.read_text(path, where), str(path))
            items: list = []
            for d in docs:
                items.extend(d.data if isinstance(d.data, list) else [d.data])
            apply_replacements(resources, items, file=str(path), line=docs[0].line if docs else None, index=index)
        else:
            apply_replacements(resources, [entry], file=file, line=where[1], index=index)


def _field_path(ov: OverlayFile, entry: dict) -> tuple:
    for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        items = ov.data.get(key)
        if isinstance(items, list):
            for i, e in enumerate(items):
                if e is entry:
                    return (key, i)
    return ()
