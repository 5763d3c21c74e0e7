"""The build pipeline: overlay directory in, final list of objects out.

    load the overlay file           load/overlay.py, via pipeline/session.py
    -> accumulate                   pipeline/accumulate.py, for the overlay and each base:
         resources (files, bases)     load/files.py, yaml/read.py (cache/parsed.py)
         charts, generators           pipeline/generated.py -> charts/, generate/
         configurations               transform/config.py (field-spec tables)
         components                   pipeline/accumulate.py (recursively)
         transformers                 pipeline/transformers.py -> transform/, patch/
         plugins, vars                transform/plugins.py, transform/vars.py
    -> finish (top level only)      hash suffixes (generate/hashing.py), name references
                                    (transform/nameref.py), vars resolved,
                                    local-config objects dropped,
                                    Kustomize's order (transform/order.py)

Every stage operates on one list of :class:`~kcompile.model.Resource`. Validation and
output are separate steps (``validate/``, ``output/``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from .errors import KcompileError
from .load.files import find_repo_root
from .load.overlay import OverlayFile
from .model import Resource
from .options import BuildOptions  # noqa: F401  (re-exported: the public name)
from .pipeline import accumulate as accumulation
from .pipeline.generated import check_set_releases
from .pipeline.session import Build

LOCAL_CONFIG_ANNOTATION = "config.kubernetes.io/local-config"


class BuildResult:
    """A build's final objects (ordered) and where they came from."""

    def __init__(self, resources: list[Resource], overlay: Path, root: Path, overlay_file: Path,
                 schemas: Any = None, crds: list | None = None, openapi: list | None = None) -> None:
        self.resources = resources
        self.overlay = overlay
        self.root = root
        self.overlay_file = overlay_file
        self.schemas = schemas  # the strategic merger's schema set, if one was loaded
        self.crds: list[tuple[dict, str]] = crds or []
        self.openapi: list[tuple[dict, str]] = openapi or []
        # The build's inputs: (files read, directories listed, environment variables read,
        # {file: (size, mtime, content)} as read), for the build cache
        self.inputs: tuple = ([], [], [], {})


def build(overlay: str | os.PathLike[str], options: BuildOptions | None = None) -> BuildResult:
    """Build an overlay directory into its final, ordered list of objects."""
    options = options or BuildOptions()
    directory = Path(overlay)
    if not directory.exists():
        raise KcompileError(f"overlay {overlay} does not exist")
    if not directory.is_dir():
        raise KcompileError(f"overlay {overlay} is not a directory")
    repo_root = (options.repo_root or find_repo_root(directory)).resolve()
    b = Build(options, repo_root)
    top = b.overlay_file(directory.resolve(), (None, None))
    # A Component builds on its own too, as Kustomize does (on an empty accumulation).
    acc = accumulation.accumulate(b, directory.resolve(), (None, None))
    check_set_releases(options.set_values, b.releases)
    resources = finish(acc.resources, top, acc, source_text=b.source_text)
    if any(r.generator is not None and r.kind == "Secret" for r in resources):
        from .generate.strength import warn_guessable

        warn_guessable(resources, b.warn)  # what a generated Secret's name gives away
    result = BuildResult(
        resources=resources, overlay=directory.resolve(), root=repo_root, overlay_file=top.path,
        schemas=b.merger._schemas, crds=b.crds, openapi=b.openapi,
    )
    result.inputs = (sorted(b.files.read), sorted(b.files.listed), sorted(b.env.used), b.files.seen)
    return result


def annotations_as_text(r: Resource, annotations: dict, source_text: Callable[[str], str | None] | None) -> None:
    """Every top-level annotation value a string, as the text it was written as: Kustomize
    reads annotations as strings (``createdAt:`` is "", ``replicas: 10`` is "10")."""
    odd = [k for k, v in annotations.items() if not isinstance(v, str)]
    if not odd:
        return
    from .yaml.scalars import as_text, resolve_plain

    written: dict[str, str] = {}
    origin = r.origin
    if source_text is not None and origin is not None and not origin.template:
        text = source_text(origin.file)
        if text:
            from .yaml.empty import annotation_texts

            written = annotation_texts(text).get(origin.doc, {})
    for k in odd:
        v = annotations[k]
        if isinstance(v, (dict, list)):
            continue  # not a string in any reading: validation reports it
        raw = written.get(k)
        # The text only if it still reads as the value (a patch may have set another one).
        annotations[k] = raw if raw is not None and resolve_plain(raw) == v else as_text(v)


def add_hash_suffixes(resources: list[Resource]) -> None:
    """Content-hash suffixes on generated objects that want one (Kustomize's HashTransformer)."""
    hashed = [r for r in resources if r.body and r.generator is not None and r.generator.hash_suffix]
    if hashed:
        from .generate.hashing import content_hash

        for r in hashed:
            r.store_previous()
            r.metadata["name"] = f"{r.name}-{content_hash(r.body)}"


def finish(resources: list[Resource], top: OverlayFile, acc: Any = None,
           source_text: Callable[[str], str | None] | None = None) -> list[Resource]:
    """Top-level steps: hash suffixes, name references, vars, local-config objects, order.
    ``acc`` (the top level's accumulation) gives the transformer configuration and vars;
    ``source_text`` gives the text of a file the build read (for annotations written
    without quotes)."""
    from .transform.nameref import fix_name_references
    from .transform.order import sort_resources

    acc = acc or accumulation.Accumulation(resources)
    resources = [r for r in resources if r.body]
    for r in resources:
        md = r.body.get("metadata")
        if isinstance(md, dict) and "annotations" in md:
            annotations = md["annotations"]
            if not annotations:
                # Kustomize writes no empty or null annotations (it removes the field once its
                # own build annotations are gone); Helm templates often leave `annotations:`
                del md["annotations"]
            elif isinstance(annotations, dict):
                annotations_as_text(r, annotations, source_text)
    add_hash_suffixes(resources)
    fix_name_references(resources, acc.config)
    if acc.vars:
        from .transform.vars import resolve_vars

        resolve_vars(resources, acc.vars, acc.config)
    resources = [
        r for r in resources
        if not str(r.annotations().get(LOCAL_CONFIG_ANNOTATION, "")).lower() == "true"
    ]
    return sort_resources(resources, top.get("sortOptions"), file=str(top.path), line=lambda: top.line_of("sortOptions"))
