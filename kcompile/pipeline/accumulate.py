"""Accumulating an overlay: its resources (files, directories, bases), its transformer
configurations and the schemas it declares, its charts and generators (fields, then
generator plugins), its components, then its transformers (fields, then transformer
plugins), its validators, and last its vars.

Recursive: a base is an overlay accumulated on its own; a component is accumulated into
the accumulation of the overlay that lists it. Include cycles are errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..load.files import is_remote
from ..load.overlay import OverlayFile, find_overlay_file
from ..model import Resource
from ..yaml.read import load_documents
from ..yaml.scalars import as_text
from .generated import check_chart_values, render_charts, run_generators
from .session import Build, add_all
from .subbuilds import SubBuild
from .transformers import transform


class Accumulation:
    """What building a kustomization directory gives its parent (Kustomize's
    ResAccumulator): the objects, the transformer configuration (the built-in tables
    plus every ``configurations`` file below) and the declared vars."""

    __slots__ = ("resources", "config", "vars")

    def __init__(self, resources: list[Resource] | None = None, config: Any = None,
                 vars: dict | None = None) -> None:
        from ..transform.config import DEFAULT

        self.resources: list[Resource] = resources if resources is not None else []
        self.config = config if config is not None else DEFAULT
        self.vars: dict = vars if vars is not None else {}

    def absorb(self, other: "Accumulation", file: str | None = None) -> None:
        """Merge a base's configuration and vars (its objects are added by the caller)."""
        from ..transform.vars import add_var

        self.config = self.config.merge(other.config, file)
        for var in other.vars.values():
            add_var(self.vars, var)

    def copy(self) -> "Accumulation":
        return Accumulation([r.copy() for r in self.resources], self.config, dict(self.vars))


def accumulate(b: Build, directory: Path, where: tuple, into: Accumulation | None = None,
               chart_values: list[tuple[str, dict]] | None = None) -> Accumulation:
    """Build one overlay (or component, when ``into`` is the parent's accumulation)."""
    real = directory.resolve()
    if real in b.chain:
        loop = " -> ".join(str(p) for p in b.chain[b.chain.index(real):] + [real])
        raise KcompileError(f"overlay include cycle: {loop}", *where)
    b.chain.append(real)
    for rec in b.files.recorders:
        rec.dirs.add(real)
    try:
        ov = b.overlay_file(real, where)
        if ov.is_component and into is None and b.chain[:-1]:
            raise ov.error("a Component must be listed under 'components', not 'resources'", "kind")
        return _accumulate(b, ov, into if into is not None else Accumulation(), chart_values or [])
    finally:
        b.chain.pop()



def _accumulate(b: Build, ov: OverlayFile, acc: Accumulation,
                chart_values: list[tuple[str, dict]]) -> Accumulation:
    # chartValues of this overlay apply to chart instances in bases below it;
    # nearer overlays win, so they go last (highest precedence).
    own_cv = ov.get("chartValues", {})
    below_values = ([(str(ov.path), own_cv)] if own_cv else []) + chart_values
    ns = ov.get("namespace")
    b.helm_namespaces.append(as_text(ns) if ns else (b.helm_namespaces[-1] if b.helm_namespaces else ""))
    try:
        return _accumulate_all(b, ov, acc, chart_values, own_cv, below_values)
    finally:
        b.helm_namespaces.pop()


def _accumulate_all(b: Build, ov: OverlayFile, acc: Accumulation, chart_values: list[tuple[str, dict]],
                    own_cv: Any, below_values: list[tuple[str, dict]]) -> Accumulation:
    first_release = len(b.releases)
    resources = acc.resources
    ids = {r.id() for r in resources if r.body}
    for key in ("resources", "bases"):
        for i, entry in enumerate(ov.get(key, [])):
            where = ov.where(key, i)
            add_all(resources, _load_entry(b, ov, entry, where, below_values, acc), where, ids)

    _load_configurations(b, ov, acc)
    _load_schemas(b, ov, acc)
    own = len(b.releases)
    render_charts(b, ov, resources, chart_values)
    own = (own, len(b.releases))
    run_generators(b, ov, resources)
    if ov.get("helmCharts") or ov.get("helmChartInflationGenerator"):
        from ..charts.helmbuild import inflate_helm_charts

        inflate_helm_charts(b, ov, resources)  # after the other generators, as in Kustomize
    if ov.get("generators"):
        from ..transform.plugins import run_generator_plugins

        run_generator_plugins(b, ov, resources)

    for i, entry in enumerate(ov.get("components", [])):
        where = ov.where("components", i)
        if is_remote(entry):
            from ..load.remote import remote_path

            path = remote_path(b, entry, where)
        else:
            path = b.files.directory(ov.dir, entry, where)
        if not os.path.isdir(path):  # False for a name too long, too
            raise KcompileError(f"component {entry!r} is not a directory", *where)
        sub = b.overlay_file(path, where)
        if not sub.is_component:
            raise KcompileError(f"{entry!r} is listed as a component but its kind is not Component", *where)
        acc = accumulate(b, path, where, into=acc, chart_values=below_values)

    if own_cv:
        below = b.releases[first_release:own[0]] + b.releases[own[1]:]
        check_chart_values(ov, own_cv, below)
    acc.resources = transform(b, ov, acc.resources, acc.config)
    for key in ("transformers", "validators"):
        if ov.get(key):
            from ..transform.plugins import run_transformer_plugins

            acc.resources = run_transformer_plugins(b, ov, acc.resources, key, acc.config)
    if ov.get("vars"):
        from ..transform.vars import declare_vars

        declare_vars(acc.resources, ov.get("vars"), acc.vars, str(ov.path), lambda *i: ov.line_of("vars", *i))
    return acc


def _load_configurations(b: Build, ov: OverlayFile, acc: Accumulation) -> None:
    """``configurations``: field-spec tables added to this accumulation's."""
    from ..transform.config import parse_config

    for i, entry in enumerate(ov.get("configurations", [])):
        where = ov.where("configurations", i)
        path = b.files.resolve(ov.dir, entry, where)
        b.files.check_file(path, ov.dir, where)
        for d in b.cache.load_documents(b.files.read_text(path, where), str(path)):
            try:
                acc.config = acc.config.merge(parse_config(d.data, str(path)), str(path))
            except KcompileError as e:
                if e.file == str(path) and e.line is None:
                    e.line = d.line
                raise



def _load_entry(b: Build, ov: OverlayFile, entry: Any, where: tuple,
                chart_values: list[tuple[str, dict]], acc: Accumulation) -> list[Resource]:
    if is_remote(entry):  # the pinned copy of a remote base or file (kcompile vendor)
        from ..load.remote import remote_path

        path = remote_path(b, entry, where)
        if path.is_file():
            return b.load_resource_file(path, where)
    else:
        path = b.files.resolve(ov.dir, entry, where)
    if os.path.isdir(path):  # os.path: False, not an OSError, for a name too long
        b.files.note_listed(path)
        if find_overlay_file(path) is not None:
            base = _accumulate_base(b, path, where, chart_values)
            acc.absorb(base, str(ov.path))
            return base.resources
        # A plain directory of manifests (Kustomize requires a kustomization here): the
        # root for the files in it.
        out: list[Resource] = []
        for name in sorted(os.listdir(path)):
            if name.endswith((".yaml", ".yml", ".json")) and not os.path.isdir(path / name):
                out.extend(b.load_resource_file(b.files.file(path, name, where, "manifest directory"), where))
        return out
    if not os.path.lexists(path):
        raise KcompileError(f"resource {entry!r} not found ({path})", *where)
    b.files.check_file(path, ov.dir, where)
    return b.load_resource_file(path, where)



def _accumulate_base(b: Build, path: Path, where: tuple, chart_values: list[tuple[str, dict]]) -> Accumulation:
    """A base (an overlay another one lists), reused from an earlier build made with
    the same options when it read the same, unchanged inputs (``options.sub_builds``)."""
    memo = b.options.sub_builds
    if memo is None or b.crds or b.openapi:  # schemas loaded so far change how it merges
        return accumulate(b, path, where, chart_values=chart_values)
    key = (str(path), b.files.restrict, repr(chart_values))  # path is real
    kept = memo.get(key)
    if kept is not None and not kept.dirs.intersection(b.chain) and kept.unchanged():
        kept.replay(b.files)
        for rec in b.files.recorders:  # a base reused inside another being recorded
            rec.dirs.update(kept.dirs)
        return kept.accumulation.copy()
    rec = SubBuild()
    env_reads = b.env.reads
    b.files.recorders.append(rec)
    try:
        acc = accumulate(b, path, where, chart_values=chart_values)
    finally:
        b.files.recorders.remove(rec)
    if not rec.charts and b.env.reads == env_reads and not b.crds and not b.openapi:
        memo[key] = rec.keep(acc, b.files.seen)
    return acc



def _load_schemas(b: Build, ov: OverlayFile, acc: Accumulation) -> None:
    from ..transform.config import config_from_crd_definitions

    for i, entry in enumerate(ov.get("crds", [])):
        where = ov.where("crds", i)
        path = b.files.file(ov.dir, entry, where)
        for doc in load_documents(b.files.read_text(path, where), str(path)):
            # legacy OpenAPI definitions also declare field specs (name references, ...)
            acc.config = acc.config.merge(config_from_crd_definitions(doc.data), str(path))
            if isinstance(doc.data, dict):
                b.crds.append((doc.data, str(path)))
                b.merger.add_crd(doc.data, str(path))
    openapi = ov.get("openapi")
    if openapi:
        p = openapi.get("path")
        if p:
            where = ov.where("openapi", "path")
            path = b.files.file(ov.dir, p, where)
            doc = load_documents(b.files.read_text(path, where), str(path))
            if doc and isinstance(doc[0].data, dict):
                b.openapi.append((doc[0].data, str(path)))
                b.merger.add_openapi(doc[0].data, str(path))
