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
from .load.files import Files, find_repo_root
from .model import Origin, Resource
from .options import BuildOptions  # noqa: F401  (re-exported: the public name)
from .load.overlay import OverlayFile, find_overlay_file
from .yaml.read import load_documents
from .yaml.scalars import as_text

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


class Accumulation:
    """What building a kustomization directory gives its parent (Kustomize's
    ResAccumulator): the objects, the transformer configuration (the built-in tables
    plus every ``configurations`` file below) and the declared vars."""

    __slots__ = ("resources", "config", "vars")

    def __init__(self, resources: list[Resource] | None = None, config: Any = None,
                 vars: dict | None = None) -> None:
        from .transform.config import DEFAULT

        self.resources: list[Resource] = resources if resources is not None else []
        self.config = config if config is not None else DEFAULT
        self.vars: dict = vars if vars is not None else {}

    def absorb(self, other: "Accumulation", file: str | None = None) -> None:
        """Merge a base's configuration and vars (its objects are added by the caller)."""
        from .transform.vars import add_var

        self.config = self.config.merge(other.config, file)
        for var in other.vars.values():
            add_var(self.vars, var)

    def copy(self) -> "Accumulation":
        return Accumulation([r.copy() for r in self.resources], self.config, dict(self.vars))


class _Build:
    """State shared by one build: files, schemas, the overlay chain for cycle checks."""

    def __init__(self, options: BuildOptions, repo_root: Path) -> None:
        from .transform.patches import StrategicMerger

        self.options = options
        from .cache.parsed import ParseCache
        from .cache.location import default_cache_dir

        self.files = Files(repo_root, options.load_restrictor)
        self.cache_dir = Path(options.cache_dir or default_cache_dir(repo_root)) if options.use_cache else None
        self.cache = ParseCache(self.cache_dir)
        self.merger = StrategicMerger(options.kube_version)
        self.env = _RecordingEnv(options.env if options.env is not None else os.environ)
        self.chain: list[Path] = []
        self.crds: list[tuple[dict, str]] = []
        self.openapi: list[tuple[dict, str]] = []

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

    def accumulate(self, directory: Path, where: tuple, into: Accumulation | None = None,
                   chart_values: list[tuple[str, dict]] | None = None) -> Accumulation:
        """Build one overlay (or component, when ``into`` is the parent's accumulation)."""
        real = directory.resolve()
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
            return self._accumulate(ov, into if into is not None else Accumulation(), chart_values or [])
        finally:
            self.chain.pop()

    def _accumulate(self, ov: OverlayFile, acc: Accumulation,
                    chart_values: list[tuple[str, dict]]) -> Accumulation:
        # chartValues of this overlay apply to chart instances in bases below it;
        # nearer overlays win, so they go last (highest precedence).
        own_cv = ov.get("chartValues", {})
        below_values = ([(str(ov.path), own_cv)] if own_cv else []) + chart_values

        resources = acc.resources
        ids = {r.id() for r in resources if r.body}
        for key in ("resources", "bases"):
            for i, entry in enumerate(ov.get(key, [])):
                where = ov.where(key, i)
                self._add_all(resources, self._load_entry(ov, entry, where, below_values, acc), where, ids)

        self._load_configurations(ov, acc)
        self._load_schemas(ov)
        self._render_charts(ov, resources, chart_values)
        self._run_generators(ov, resources)
        if ov.get("generators"):
            from .transform.plugins import run_generators

            run_generators(self, ov, resources)

        for i, entry in enumerate(ov.get("components", [])):
            where = ov.where("components", i)
            path = self.files.resolve(ov.dir, entry, where)
            self.files.check_dir(path, where)
            if not path.is_dir():
                raise KcompileError(f"component {entry!r} is not a directory", *where)
            sub = self.overlay_file(path, where)
            if not sub.is_component:
                raise KcompileError(f"{entry!r} is listed as a component but its kind is not Component", *where)
            acc = self.accumulate(path, where, into=acc, chart_values=below_values)

        acc.resources = self._transform(ov, acc.resources, acc.config)
        for key in ("transformers", "validators"):
            if ov.get(key):
                from .transform.plugins import run_transformers

                acc.resources = run_transformers(self, ov, acc.resources, key, acc.config)
        if ov.get("vars"):
            from .transform.vars import declare_vars

            declare_vars(acc.resources, ov.get("vars"), acc.vars, str(ov.path),
                         lambda *i: ov.line_of("vars", *i))
        return acc

    def _load_configurations(self, ov: OverlayFile, acc: Accumulation) -> None:
        """``configurations``: field-spec tables added to this accumulation's."""
        from .transform.config import parse_config

        for i, entry in enumerate(ov.get("configurations", [])):
            where = ov.where("configurations", i)
            path = self.files.resolve(ov.dir, entry, where)
            self.files.check_file(path, ov.dir, where)
            docs = self.cache.load_documents(self.files.read_text(path, where), str(path))
            for d in docs:
                try:
                    acc.config = acc.config.merge(parse_config(d.data, str(path)), str(path))
                except KcompileError as e:
                    raise e.located(path, d.line) if e.line is not None or e.file != str(path) else \
                        KcompileError(e.message, path, d.line)

    def _load_entry(self, ov: OverlayFile, entry: Any, where: tuple,
                    chart_values: list[tuple[str, dict]], acc: Accumulation) -> list[Resource]:
        path = self.files.resolve(ov.dir, entry, where)
        if path.is_dir():
            self.files.check_dir(path, where)
            self.files.note_listed(path)
            if find_overlay_file(path) is not None:
                sub = self._accumulate_base(path, where, chart_values)
                acc.absorb(sub, where[0] and str(where[0]))
                return sub.resources
            # A plain directory of manifests (Kustomize requires a kustomization here).
            out: list[Resource] = []
            for f in sorted(path.iterdir()):
                if f.suffix in (".yaml", ".yml", ".json") and f.is_file():
                    out.extend(self.load_resource_file(f, where))
            return out
        if not path.exists():
            raise KcompileError(f"resource {entry!r} not found ({path})", *where)
        self.files.check_file(path, ov.dir, where)
        return self.load_resource_file(path, where)

    def _accumulate_base(self, path: Path, where: tuple, chart_values: list[tuple[str, dict]]) -> Accumulation:
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
            return kept.accumulation.copy()
        rec = _SubBuild()
        env_reads = self.env.reads
        self.files.recorders.append(rec)
        try:
            acc = self.accumulate(path, where, chart_values=chart_values)
        finally:
            self.files.recorders.remove(rec)
        if not rec.charts and self.env.reads == env_reads and not self.crds and not self.openapi:
            memo[key] = rec.keep(acc, self.files.seen)
        return acc

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
        options = ov.get("generatorOptions")
        for kind, key, entry, i in entries:
            where = ov.where(key, i)
            if not isinstance(entry, dict):
                raise KcompileError(f"each {key} entry must be a map", *where)
            self.generate_one(ov, kind, entry, options, (str(ov.path), ov.line_of(key, i)), resources)

    def generate_one(self, ov: OverlayFile, kind: str, entry: dict, options: Any, where: tuple,
                     resources: list[Resource], base_dir: Path | None = None) -> None:
        """Generate one ConfigMap/Secret and add or merge it as its ``behavior`` says."""
        from .generate.generators import generate, merge_generated

        base_dir = base_dir or ov.dir
        new = generate(
            kind, entry, options, base_dir=base_dir,
            read_file=self._generator_reader(base_dir, where), env=self.env,
            file=where[0], line=where[1],
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

    def _generator_reader(self, base_dir: Path, where: tuple):
        def read(rel: str) -> bytes:
            path = self.files.resolve(base_dir, rel, where)
            self.files.check_file(path, base_dir, where)
            return self.files.read_bytes(path, where)

        return read

    # -- transformers, in Kustomize's order ---------------------------------------------
    def _transform(self, ov: OverlayFile, resources: list[Resource], config: Any) -> list[Resource]:
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
        for i, entry in enumerate(ov.get("patchesJson6902", [])):
            where = ov.where("patchesJson6902", i)
            if not isinstance(entry, dict) or not entry.get("target"):
                raise KcompileError("each patchesJson6902 entry needs a 'target' and a 'path' or 'patch'", *where)
            patch = self._patch_from(ov, entry.get("path"), entry, where, force_json6902=True)
            resources = apply_patch(resources, patch, self.merger)
        if ov.get("replicas"):
            at("replicas", replicas.apply_replicas, resources, ov.get("replicas"), file=f, config=config)
        imgs = list(ov.get("images", [])) + list(ov.get("imageTags", []))
        if imgs:
            at("images" if ov.get("images") else "imageTags", images.apply_images, resources, imgs, file=f,
               config=config)
        if ov.get("replacements"):
            self._replacements(ov, resources)
        return resources

    def _patch_from(self, ov: OverlayFile, path: Any, entry: dict | None, where: tuple,
                    inline_ok: bool = False, force_json6902: bool = False):
        line = None
        if (entry is not None and entry.get("patch") is not None) or (inline_ok and "\n" in str(path)):
            # the 'patch:' key line; the text starts on the line after it
            line = ov.line_of(*(_field_path(ov, entry) + ("patch",))) if entry is not None else where[1]()
        return self.patch_from(ov.dir, str(ov.path), line, path, entry, where, inline_ok, force_json6902)

    def patch_from(self, base_dir: Path, declaring_file: str, line: int | None, path: Any, entry: dict | None,
                   where: tuple, inline_ok: bool = False, force_json6902: bool = False):
        """A patch given inline (written at ``line`` of ``declaring_file``) or as a file
        relative to ``base_dir``."""
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
            return parse_patch(str(inline), declaring_file, line, inline=True, target=target,
                               options=options, force_json6902=force_json6902)
        file = self.files.resolve(base_dir, path, where)
        self.files.check_file(file, base_dir, where)
        text = self.files.read_text(file, where)
        patch = parse_patch(text, str(file), None, inline=False, target=target, options=options,
                            force_json6902=force_json6902, docs=self.cache.load_documents(text, str(file)))
        patch.declared = where
        return patch

    def _replacements(self, ov: OverlayFile, resources: list[Resource]) -> None:
        self.apply_replacement_entries(ov.dir, ov.get("replacements", []), str(ov.path), lambda i: ov.line_of("replacements", i),
                                       resources)

    def apply_replacement_entries(self, base_dir: Path, entries: list, file: str, line_of: Any,
                                  resources: list[Resource]) -> None:
        """Replacements given inline or as files (``path``) relative to ``base_dir``."""
        from .transform.replacements import apply_replacements

        for i, entry in enumerate(entries):
            where = (file, line_of(i))
            if isinstance(entry, dict) and entry.get("path") and not entry.get("source"):
                path = self.files.resolve(base_dir, entry["path"], where)
                self.files.check_file(path, base_dir, where)
                docs = load_documents(self.files.read_text(path, where), str(path))
                items: list = []
                for d in docs:
                    items.extend(d.data if isinstance(d.data, list) else [d.data])
                apply_replacements(resources, items, file=str(path), line=docs[0].line if docs else None)
            else:
                apply_replacements(resources, [entry], file=file, line=where[1])


class _SubBuild:
    """A base's accumulation (objects, configuration, vars) and what producing them read: recorded while it is
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
        self.accumulation = Accumulation()
        self.seen: dict[str, tuple[int, int, bytes]] = {}
        self.listings: list[tuple[Path, list[str]]] = []

    def keep(self, acc: Accumulation, seen: dict[str, tuple[int, int, bytes]]) -> "_SubBuild":
        from .cache.builds import listing

        self.accumulation = acc.copy()
        self.seen = {str(p): seen[str(p)] for p in self.read}
        self.listings = [(d, listing(d)) for d in self.listed]
        return self

    def unchanged(self) -> bool:
        from .cache.builds import listing

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
    api = data.get("apiVersion")
    if api is not None and not isinstance(api, str):
        raise KcompileError(f"{kind}: 'apiVersion' must be a string", file, line)
    # No apiVersion is accepted, as Kustomize does (the object matches no versioned spec).
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
    # A Component builds on its own too, as Kustomize does (on an empty accumulation).
    acc = b.accumulate(directory.resolve(), (None, None))
    resources = finish(acc.resources, top, acc)
    result = BuildResult(
        resources=resources, overlay=directory.resolve(), root=repo_root, overlay_file=top.path,
        schemas=b.merger._schemas, crds=b.crds, openapi=b.openapi,
    )
    result.inputs = (sorted(b.files.read), sorted(b.files.listed), sorted(b.env.used), b.files.seen)
    return result


def add_hash_suffixes(resources: list[Resource]) -> None:
    """Content-hash suffixes on generated objects that want one (Kustomize's HashTransformer)."""
    hashed = [r for r in resources if r.body and r.generator is not None and r.generator.hash_suffix]
    if hashed:
        from .generate.hashing import content_hash

        for r in hashed:
            r.store_previous()
            r.metadata["name"] = f"{r.name}-{content_hash(r.body)}"


def finish(resources: list[Resource], top: OverlayFile, acc: Accumulation | None = None) -> list[Resource]:
    """Top-level steps: hash suffixes, name references, vars, local-config objects, order."""
    from .transform.nameref import fix_name_references
    from .transform.order import sort_resources

    acc = acc or Accumulation(resources)
    resources = [r for r in resources if r.body]
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
