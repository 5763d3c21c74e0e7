"""The build pipeline: overlay directory in, final list of objects out.

    load overlay file -> resources (files, bases, components) -> charts -> generators
    -> transformers and patches (Kustomize's order) -> [top level] hash suffixes,
    name references, local-config objects dropped, sort

Each stage is a function in ``transform/``, ``generate/``, ``charts/`` or ``patch/``
operating on one list of :class:`~kcompile.model.Resource`. Validation and output are
separate steps (``validate/``, ``emit.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from .errors import KcompileError
from .files import Files, find_repo_root, real_path
from .model import Origin, Resource
from .options import BuildOptions  # noqa: F401  (re-exported: the public name)
from .overlay import OverlayFile, find_overlay_file
from .yamlio import as_text, load_documents

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


class _Build:
    """State shared by one build: files, schemas, the overlay chain for cycle checks."""

    def __init__(self, options: BuildOptions, repo_root: Path) -> None:
        from .transform.patches import StrategicMerger

        self.options = options
        from .cache import ParseCache
        from .cachedir import default_cache_dir

        self.files = Files(repo_root, options.load_restrictor)
        self.cache_dir = Path(options.cache_dir or default_cache_dir(repo_root)) if options.use_cache else None
        self.cache = ParseCache(self.cache_dir)
        self.merger = StrategicMerger(options.kube_version)
        self.env = _RecordingEnv(options.env if options.env is not None else os.environ)
        self.chain: list[Path] = []
        self.crds: list[tuple[dict, str]] = []
        self.openapi: list[tuple[dict, str]] = []
        self.releases: list[str] = []  # chart instances rendered so far, in order

    # -- loading ------------------------------------------------------------------------
    def overlay_file(self, directory: Path, where: tuple) -> OverlayFile:
        path = find_overlay_file(directory)
        self.files.note_listed(directory)
        if path is None:
            raise KcompileError(
                f"no kcompile.yaml, kustomization.yaml, kustomization.yml or Kustomization in {directory}", *where
            )
        text = self.files.read_text(path, (path, None))
        return OverlayFile(path, text, self.cache.load_documents(text, str(path), keep_text=True))

    def load_resource_file(self, path: Path, where: tuple) -> list[Resource]:
        text = self.files.read_text(path, where)
        out = []
        for doc in self.cache.load_documents(text, str(path)):
            out.extend(_resources_from_doc(doc.data, str(path), doc.line, doc.index))
        return out

    def accumulate(self, directory: Path, where: tuple, into: list[Resource] | None = None,
                   chart_values: list[tuple[str, dict]] | None = None) -> list[Resource]:
        """Build one overlay (or component, when ``into`` is the parent's list)."""
        real = real_path(directory, where)
        if real in self.chain:
            loop = " -> ".join(str(p) for p in self.chain[self.chain.index(real):] + [real])
            raise KcompileError(f"overlay include cycle: {loop}", *where)
        self.chain.append(real)
        for rec in self.files.recorders:
            rec.dirs.add(real)
        try:
            ov = self.overlay_file(real, where)
            if ov.is_component and into is None and self.chain[:-1]:
                raise ov.error("a Component must be listed under 'components', not 'resources'", "kind")
            return self._accumulate(ov, into if into is not None else [], chart_values or [])
        finally:
            self.chain.pop()

    def _accumulate(self, ov: OverlayFile, resources: list[Resource],
                    chart_values: list[tuple[str, dict]]) -> list[Resource]:
        # chartValues of this overlay apply to chart instances in bases below it;
        # nearer overlays win, so they go last (highest precedence).
        own_cv = ov.get("chartValues", {})
        below_values = ([(str(ov.path), own_cv)] if own_cv else []) + chart_values

        ids = {r.id() for r in resources if r.body}
        releases_before = len(self.releases)
        for key in ("resources", "bases"):
            for i, entry in enumerate(ov.get(key, [])):
                where = ov.where(key, i)
                self._add_all(resources, self._load_entry(ov, entry, where, below_values), where, ids)

        self._load_schemas(ov)
        own_start = len(self.releases)
        self._render_charts(ov, resources, chart_values)
        own = self.releases[own_start:]
        del self.releases[own_start:]  # kept apart: chartValues are for the bases' charts
        self._run_generators(ov, resources)

        for i, entry in enumerate(ov.get("components", [])):
            where = ov.where("components", i)
            path = self.files.resolve(ov.dir, entry, where)
            self.files.check_dir(path, where)
            if not path.is_dir():
                raise KcompileError(f"component {entry!r} is not a directory", *where)
            sub = self.overlay_file(path, where)
            if not sub.is_component:
                raise KcompileError(f"{entry!r} is listed as a component but its kind is not Component", *where)
            resources = self.accumulate(path, where, into=resources, chart_values=below_values)

        below = set(self.releases[releases_before:])
        for release in own_cv:
            if release in own and release not in below:
                raise ov.error(f"chartValues: {release!r} is rendered by this overlay itself; set its 'values' "
                               "instead (chartValues are for chart instances in the bases below)",
                               "chartValues", release)
            if release not in below:
                raise ov.error(f"chartValues: no chart instance named {release!r} is rendered below this overlay"
                               + _known(below), "chartValues", release)
        self.releases.extend(own)
        return self._transform(ov, resources)

    def _load_entry(self, ov: OverlayFile, entry: Any, where: tuple,
                    chart_values: list[tuple[str, dict]]) -> list[Resource]:
        path = self.files.resolve(ov.dir, entry, where)
        if path.is_dir():
            self.files.check_dir(path, where)
            self.files.note_listed(path)
            if find_overlay_file(path) is not None:
                return self._accumulate_base(path, where, chart_values)
            # A plain directory of manifests (Kustomize requires a kustomization here).
            out: list[Resource] = []
            for f in sorted(path.iterdir()):
                if f.suffix in (".yaml", ".yml", ".json") and not f.is_dir():
                    out.extend(self.load_resource_file(f, where))
            return out
        if not path.exists():
            raise KcompileError(f"resource {entry!r} not found ({path})", *where)
        self.files.check_file(path, ov.dir, where)
        return self.load_resource_file(path, where)

    def _accumulate_base(self, path: Path, where: tuple, chart_values: list[tuple[str, dict]]) -> list[Resource]:
        """A base (an overlay another one lists), reused from an earlier build made with
        the same options when it read the same, unchanged inputs (``options.sub_builds``)."""
        memo = self.options.sub_builds
        if memo is None or self.crds or self.openapi:  # schemas loaded so far change how it merges
            return self.accumulate(path, where, chart_values=chart_values)
        key = (str(path), str(self.files.repo_root), self.files.restrict, repr(chart_values))  # path is real
        kept = memo.get(key)
        if kept is not None and not kept.dirs.intersection(self.chain) and kept.unchanged():
            kept.replay(self.files)
            for rec in self.files.recorders:  # a base reused inside another being recorded
                rec.dirs.update(kept.dirs)
            return [r.copy() for r in kept.resources]
        rec = _SubBuild()
        env_reads = self.env.reads
        self.files.recorders.append(rec)
        try:
            resources = self.accumulate(path, where, chart_values=chart_values)
        finally:
            self.files.recorders.remove(rec)
        if not rec.charts and self.env.reads == env_reads and not self.crds and not self.openapi:
            memo[key] = rec.keep(resources, self.files.seen)
        return resources

    def _add_all(self, resources: list[Resource], new: list[Resource], where: tuple,
                 ids: set | None = None) -> None:
        """Append ``new``; an id defined twice is an error. ``ids`` (the ids already in
        ``resources``) is kept up to date by the caller to avoid a quadratic rescan."""
        if ids is None:
            ids = {r.id() for r in resources if r.body}
        for r in new:
            rid = r.id()
            if rid in ids:
                raise KcompileError(f"object {rid} is defined twice", *(r.where() if r.origin else where))
            ids.add(rid)
            resources.append(r)

    def _load_schemas(self, ov: OverlayFile) -> None:
        for i, entry in enumerate(ov.get("crds", [])):
            where = ov.where("crds", i)
            path = self.files.resolve(ov.dir, entry, where)
            self.files.check_file(path, ov.dir, where)
            for doc in load_documents(self.files.read_text(path, where), str(path)):
                if isinstance(doc.data, dict):
                    self.crds.append((doc.data, str(path)))
                    self.merger.add_crd(doc.data, str(path))
        openapi = ov.get("openapi")
        if openapi:
            p = openapi.get("path")
            if p:
                where = ov.where("openapi", "path")
                path = self.files.resolve(ov.dir, p, where)
                self.files.check_file(path, ov.dir, where)
                doc = load_documents(self.files.read_text(path, where), str(path))
                if doc and isinstance(doc[0].data, dict):
                    self.openapi.append((doc[0].data, str(path)))
                    self.merger.add_openapi(doc[0].data, str(path))

    def _render_charts(self, ov: OverlayFile, resources: list[Resource],
                       chart_values: list[tuple[str, dict]]) -> None:
        charts = ov.get("charts", [])
        if not charts:
            return
        from .charts.render import render_chart

        for i, entry in enumerate(charts):
            where = ov.where("charts", i)
            if not isinstance(entry, dict) or not entry.get("chart"):
                raise KcompileError("each charts entry needs a 'chart' path", *where)
            chart_dir = self.files.resolve(ov.dir, entry["chart"], where)
            self.files.note_listed(chart_dir)  # every file of a chart is an input
            for rec in self.files.recorders:
                rec.charts = True
            self.files.check_dir(chart_dir, where)
            if not chart_dir.is_dir():
                raise KcompileError(f"chart {entry['chart']!r} is not a directory", *where)
            release = as_text(entry.get("release")) if entry.get("release") else None
            if release is None:
                from .charts.render import load_chart_meta

                release = str(load_chart_meta(chart_dir, self.cache.load_documents).get("name") or chart_dir.name)
            layers: list[tuple[str, dict]] = []
            for j, vf in enumerate(entry.get("valuesFiles") or []):
                vwhere = ov.where("charts", i, "valuesFiles", j)
                vpath = self.files.resolve(ov.dir, vf, vwhere)
                self.files.check_file(vpath, ov.dir, vwhere)
                docs = self.cache.load_documents(self.files.read_text(vpath, vwhere), str(vpath))
                data = docs[0].data if docs else {}
                if not isinstance(data, dict):
                    raise KcompileError("a values file must be a YAML map", vpath, docs[0].line if docs else None)
                layers.append((str(vpath), data))
            if entry.get("values"):
                layers.append((str(ov.path), entry["values"]))
            # chartValues from overlays above: the one next to this overlay first, the
            # overlay being built last, so the outermost overlay (the environment) wins
            for source, cv in chart_values:
                if release in cv and isinstance(cv[release], dict):
                    layers.append((source, cv[release]))
            ns = entry.get("namespace")
            self.releases.append(release)
            rendered = render_chart(
                chart_dir, release=release, namespace=as_text(ns) if ns else None,
                layers=layers, set_values=list(self.options.set_values),
                cache_dir=self.cache_dir, parse=self.cache.load_documents,
            )
            self._add_all(resources, rendered, where)

    def _run_generators(self, ov: OverlayFile, resources: list[Resource]) -> None:
        entries = [("ConfigMap", "configMapGenerator", e, i) for i, e in enumerate(ov.get("configMapGenerator", []))]
        entries += [("Secret", "secretGenerator", e, i) for i, e in enumerate(ov.get("secretGenerator", []))]
        if not entries:
            return
        from .generate.generators import generate, merge_generated

        options = ov.get("generatorOptions")
        for kind, key, entry, i in entries:
            where = ov.where(key, i)
            if not isinstance(entry, dict):
                raise KcompileError(f"each {key} entry must be a map", *where)
            new = generate(
                kind, entry, options, base_dir=ov.dir,
                read_file=self._generator_reader(ov, where), env=self.env,
                file=str(ov.path), line=ov.line_of(key, i),
            )
            behavior = str(entry.get("behavior") or "create")
            existing = [r for r in resources if r.body and _same_generated_id(r, new)]
            if behavior == "create":
                if existing:
                    raise KcompileError(
                        f"{kind} {new.name!r} already exists; use behavior 'merge' or 'replace' to change it", *where
                    )
                resources.append(new)
            elif behavior in ("merge", "replace"):
                if not existing:
                    raise KcompileError(
                        f"{kind} {new.name!r} has behavior {behavior!r} but no base defines it", *where
                    )
                merge_generated(existing[0], new)
            else:
                raise KcompileError(f"unknown behavior {behavior!r} (create, merge or replace)", *where)

    def _generator_reader(self, ov: OverlayFile, where: tuple):
        def read(rel: str) -> bytes:
            path = self.files.resolve(ov.dir, rel, where)
            self.files.check_file(path, ov.dir, where)
            return self.files.read_bytes(path, where)

        return read

    # -- transformers, in Kustomize's order ---------------------------------------------
    def _transform(self, ov: OverlayFile, resources: list[Resource]) -> list[Resource]:
        from .transform import metadata, namespace, prefixsuffix, replicas, images
        from .transform.patches import NameIndex, apply_patch

        f = str(ov.path)
        index: NameIndex | None = None
        smp_entries = [(None, e, i, "patchesStrategicMerge") for i, e in enumerate(ov.get("patchesStrategicMerge", []))]
        smp_entries += [(e, None, i, "patches") for i, e in enumerate(ov.get("patches", []))]
        for entry, legacy, i, key in smp_entries:
            where = ov.where(key, i)
            if entry is None:
                patch = self._patch_from(ov, legacy, None, where, inline_ok=True)
            else:
                if not isinstance(entry, dict):
                    raise KcompileError("each patches entry must be a map with 'path' or 'patch'", *where)
                patch = self._patch_from(ov, entry.get("path"), entry, where)
            if index is None:
                index = NameIndex(resources)
            resources = apply_patch(resources, patch, self.merger, index)
            if patch.ops is not None or patch.allow_name_change or patch.allow_kind_change:
                index = None  # ids may have changed
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
        for i, entry in enumerate(ov.get("patchesJson6902", [])):
            where = ov.where("patchesJson6902", i)
            if not isinstance(entry, dict) or not entry.get("target"):
                raise KcompileError("each patchesJson6902 entry needs a 'target' and a 'path' or 'patch'", *where)
            patch = self._patch_from(ov, entry.get("path"), entry, where, force_json6902=True)
            resources = apply_patch(resources, patch, self.merger)
        if ov.get("replicas"):
            at("replicas", replicas.apply_replicas, resources, ov.get("replicas"), file=f)
        imgs = list(ov.get("images", [])) + list(ov.get("imageTags", []))
        if imgs:
            at("images" if ov.get("images") else "imageTags", images.apply_images, resources, imgs, file=f)
        if ov.get("replacements"):
            self._replacements(ov, resources)
        return resources

    def _patch_from(self, ov: OverlayFile, path: Any, entry: dict | None, where: tuple,
                    inline_ok: bool = False, force_json6902: bool = False):
        from .transform.patches import parse_patch

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
        file = self.files.resolve(ov.dir, path, where)
        self.files.check_file(file, ov.dir, where)
        text = self.files.read_text(file, where)
        patch = parse_patch(text, str(file), None, inline=False, target=target, options=options,
                            force_json6902=force_json6902, docs=self.cache.load_documents(text, str(file)))
        patch.declared = where
        return patch

    def _replacements(self, ov: OverlayFile, resources: list[Resource]) -> None:
        from .transform.replacements import apply_replacements

        for i, entry in enumerate(ov.get("replacements", [])):
            where = ov.where("replacements", i)
            if isinstance(entry, dict) and entry.get("path") and not entry.get("source"):
                path = self.files.resolve(ov.dir, entry["path"], where)
                self.files.check_file(path, ov.dir, where)
                docs = load_documents(self.files.read_text(path, where), str(path))
                items: list = []
                for d in docs:
                    items.extend(d.data if isinstance(d.data, list) else [d.data])
                apply_replacements(resources, items, file=str(path), line=docs[0].line if docs else None)
            else:
                apply_replacements(resources, [entry], file=str(ov.path), line=ov.line_of("replacements", i))


class _SubBuild:
    """A base's accumulated resources and what producing them read: recorded while it is
    built (``Files.recorders``), then kept for other overlays built with the same options.
    Kept only if it rendered no chart and read no environment variable; reused only if
    every file it read still has its size and mtime, every directory it listed its
    listing, and none of its overlays is on the current include chain (that is a cycle,
    which building it again reports)."""

    def __init__(self) -> None:
        self.read: set[Path] = set()
        self.listed: set[Path] = set()
        self.dirs: set[Path] = set()  # overlay directories it accumulated
        self.charts = False
        self.resources: list[Resource] = []
        self.seen: dict[str, tuple[int, int, bytes]] = {}
        self.listings: list[tuple[Path, list[str]]] = []

    def keep(self, resources: list[Resource], seen: dict[str, tuple[int, int, bytes]]) -> "_SubBuild":
        from .buildcache import listing

        self.resources = [r.copy() for r in resources]
        self.seen = {str(p): seen[str(p)] for p in self.read}
        self.listings = [(d, listing(d)) for d in self.listed]
        return self

    def unchanged(self) -> bool:
        from .buildcache import listing

        for path, (size, mtime, _data) in self.seen.items():
            try:
                st = os.stat(path)
            except OSError:
                return False
            if (st.st_size, st.st_mtime_ns) != (size, mtime):
                return False
        return all(listing(d) == entries for d, entries in self.listings)

    def replay(self, files: Files) -> None:
        """Tell the build reusing this what it read (its build-cache inputs)."""
        for path in self.read:
            files.note_read(path)
            files.seen.setdefault(str(path), self.seen[str(path)])
        for d in self.listed:
            files.note_listed(d)


class _RecordingEnv:
    """The process environment as generators see it, remembering what was read (a build
    that read secrets from the environment is never cached)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.used: set[str] = set()
        self.reads = 0  # every look-up, so a sub-build can tell it made one

    def __contains__(self, key: object) -> bool:
        self.reads += 1
        if isinstance(key, str):
            self.used.add(key)
        return key in self.env

    def __getitem__(self, key: str) -> str:
        self.reads += 1
        self.used.add(key)
        return self.env[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        self.used.add(key)
        return self.env.get(key, default)


def _field_path(ov: OverlayFile, entry: dict) -> tuple:
    for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        items = ov.data.get(key)
        if isinstance(items, list):
            for i, e in enumerate(items):
                if e is entry:
                    return (key, i)
    return ()


def _same_generated_id(r: Resource, new: Resource) -> bool:
    if r.kind != new.kind:
        return False
    names = {r.name} | {n for _, _, n in r.previous}
    if new.name not in names:
        return False
    return (r.namespace or "default") == (new.namespace or "default") or not new.namespace


def _resources_from_doc(data: Any, file: str, line: int, index: int) -> list[Resource]:
    """One YAML document -> objects; a ``kind: List`` is expanded into its items."""
    if not isinstance(data, dict):
        raise KcompileError("a resource document must be a YAML map", file, line)
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        out = []
        for item in data["items"]:
            out.extend(_resources_from_doc(item, file, line, index))
        return out
    if not kind or not isinstance(kind, str):
        raise KcompileError("object has no 'kind'", file, line)
    if not isinstance(data.get("apiVersion"), str):
        raise KcompileError(f"{kind} has no 'apiVersion'", file, line)
    md = data.get("metadata")
    if not isinstance(md, dict) or not isinstance(md.get("name"), str) or not md.get("name"):
        if not (isinstance(md, dict) and md.get("generateName")):
            raise KcompileError(f"{kind} has no metadata.name", file, line)
    return [Resource(body=data, origin=Origin(file, line, index))]


def build(overlay: str | os.PathLike[str], options: BuildOptions | None = None) -> BuildResult:
    """Build an overlay directory into its final, ordered list of objects."""
    options = options or BuildOptions()
    directory = Path(overlay)
    if not directory.exists():
        raise KcompileError(f"overlay {overlay} does not exist")
    if not directory.is_dir():
        raise KcompileError(f"overlay {overlay} is not a directory")
    repo_root = (options.repo_root or find_repo_root(directory)).resolve()
    b = _Build(options, repo_root)
    top = b.overlay_file(directory.resolve(), (None, None))
    if top.is_component:
        raise top.error("a Component cannot be built on its own; list it under 'components'", "kind")
    resources = b.accumulate(directory.resolve(), (None, None))
    if options.set_needs_release:
        _check_set_releases(options.set_values, set(b.releases))
    resources = finish(resources, top)
    result = BuildResult(
        resources=resources, overlay=directory.resolve(), root=repo_root, overlay_file=top.path,
        schemas=b.merger._schemas, crds=b.crds, openapi=b.openapi,
    )
    result.inputs = (sorted(b.files.read), sorted(b.files.listed), sorted(b.env.used), b.files.seen)
    return result


def _known(releases: set[str]) -> str:
    return f" (rendered: {', '.join(sorted(releases))})" if releases else " (none is)"


def _check_set_releases(set_values: Any, releases: set[str]) -> None:
    """Every ``--set RELEASE.key=value`` names a chart instance the build renders (a
    typo in the release would otherwise change nothing, in silence)."""
    from .charts.values import parse_set

    for expr in set_values:
        release = parse_set(expr)[0]
        if release not in releases:
            raise KcompileError(f"--set {expr.partition('=')[0]!r}: no chart instance named {release!r} "
                                f"in this build{_known(releases)}")


def finish(resources: list[Resource], top: OverlayFile) -> list[Resource]:
    """Top-level steps: hash suffixes, name references, local-config objects, order."""
    from .transform.nameref import fix_name_references
    from .transform.order import sort_resources

    resources = [r for r in resources if r.body]
    hashed = [r for r in resources if r.generator is not None and r.generator.hash_suffix]
    if hashed:
        from .hashing import content_hash

        for r in hashed:
            r.store_previous()
            r.metadata["name"] = f"{r.name}-{content_hash(r.body)}"
    fix_name_references(resources)
    resources = [
        r for r in resources
        if not str(r.annotations().get(LOCAL_CONFIG_ANNOTATION, "")).lower() == "true"
    ]
    return sort_resources(resources, top.get("sortOptions"), file=str(top.path), line=lambda: top.line_of("sortOptions"))
