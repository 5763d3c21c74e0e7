"""Rendering a chart instance into objects.

``render_chart`` merges the value layers (chart ``values.yaml`` lowest, ``--set``
highest), validates them against ``values.schema.json``, renders every template the chart
outputs (:func:`.chart.output_templates`) in path order in the sandbox, then each enabled
subchart with its scoped values, and parses each rendered document. Objects without a
namespace get the instance's ``namespace`` when their kind is namespaced, as an install
into that namespace would. Errors name the template file and line; rendered text that is
not YAML also shows the lines around it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..model import Origin, Resource
from ..yaml.read import load_documents
from .chart import Chart, load_chart_meta, output_templates  # noqa: F401  (load_chart_meta: public)
from .values import MergedValues, ValuesLayer, merge_layers, validate_values

# Helm's .Release for `helm template`: an install, revision 1, by Helm (the same labels
# as Helm's, so objects of a ported chart do not change when it moves to kcompile).
RELEASE_FIXED = {"service": "Helm", "is_install": True, "is_upgrade": False, "revision": 1}


def _template_location(exc: BaseException, chart_dir: Path) -> tuple[str | None, int | None]:
    """The innermost template frame of a rendering error (Jinja maps frames to lines)."""
    import traceback

    found: tuple[str | None, int | None] = (None, None)
    root = str(chart_dir)
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name.startswith(root) or name.endswith(".j2"):  # .j2: a file:// dependency's template
            found = (name, lineno)
    return found


class _Renderer:
    """Renders the templates of one chart (not its subcharts) with one context.

    With a :class:`.templatecache.TemplateCache`, a template whose earlier render read
    the same values is taken from it; the sandboxed environment (and Jinja2) is made
    only when some template has to render."""

    def __init__(self, chart: Chart, context: dict[str, Any], make_env: Any, cache: Any) -> None:
        from .reads import ValueReads

        self.chart = chart
        self.context = context
        self.cache = cache
        self._make_env = make_env
        self._env: Any = None
        self._texts: dict[str, str] = {}
        self._documents: dict[str, list | None] = {}
        self._reads: dict[str, set[tuple]] = {}
        self._active: list[str] = []
        self.reads = ValueReads(context["values"])

    @property
    def env_if_made(self) -> Any:
        """The environment, if a template has rendered (None when all came from the cache)."""
        return self._env

    @property
    def env(self) -> Any:
        if self._env is None:
            from .blocks import Blocks

            self._env = self._make_env(self)
            self.blocks = Blocks()
            self._env.filters["to_yaml_block"] = self.blocks.filter
        return self._env

    def render_text(self, name: str) -> str:
        got = self._texts.get(name)
        if got is not None:
            self.reads.add(self._reads[name])  # a template using its text read what it read
            return got
        if name in self._active:
            raise KcompileError(f"checksum() cycle: {' -> '.join(self._active + [name])}")
        values = self.context["values"]
        cached = self.cache.lookup(name, values) if self.cache is not None else None
        if cached is not None:
            text, paths, documents = cached
            self._documents[name] = documents
            self._reads[name] = set(paths)
            self.reads.add(paths)
        else:
            text, paths = self._render(name)
            self._reads[name] = paths
        self._texts[name] = text
        return text

    def _render(self, name: str) -> tuple[str, set[tuple]]:
        env = self.env
        self._active.append(name)
        self.reads.begin()
        try:
            template = env.get_template(name)
            context = dict(self.context)
            context["template"] = {"name": f"{self.chart.meta['name']}/templates/{name}",
                                   "base_path": f"{self.chart.meta['name']}/templates"}
            text = self.blocks.expand(template.render(context), str(self.chart.dir / "templates" / name))
        finally:
            self._active.pop()
            paths = self.reads.end()
        return text, paths

    def documents(self, name: str) -> list[Resource]:
        """The objects template ``name`` renders (parsed, or as its cache entry holds them)."""
        from ..cache.parsed import _decode, _encode

        path = self.chart.dir / "templates" / name
        text = self.render_text(name)
        stored = self._documents.get(name)
        if stored is not None:
            try:
                return [Resource(body=_decode(b), origin=Origin(str(path), line, idx, template=True))
                        for b, line, idx in stored]
            except (TypeError, ValueError):
                pass
        out = _parse_rendered(text, path)
        if self.cache is not None and name not in self._documents:
            from ..model import deep_copy

            self.cache.store(name, self.context["values"], text, self._reads[name],
                             [(_encode(deep_copy(r.body)), r.origin.line, r.origin.doc) for r in out])
        return out


class _Instance:
    """What a render of one chart instance depends on besides the chart's files."""

    def __init__(self, release: str, namespace: str | None, kube_version: str | None,
                 api_versions: tuple[str, ...], cache_dir: Path | None) -> None:
        self.release = release
        self.namespace = namespace
        self.kube_version = kube_version
        self.api_versions = api_versions
        self.cache_dir = cache_dir
        self.files_digest: bytes | None = None  # of the chart tree's files and the instance
        # --set values for this release: a render holding a Secret is not cached then, since
        # caches never keep a Secret value that is not in the repository's files
        self.cache_secrets = True
        self.include_crds = True


def render_chart(
    chart_dir: Path,
    *,
    release: str,
    namespace: str | None,
    layers: list[ValuesLayer],
    set_values: list[str] | tuple[str, ...] = (),
    cache_dir: Path | None = None,
    parse: Any = None,
    kube_version: str | None = None,
    api_versions: tuple[str, ...] | list[str] = (),
    root: Any = None,
    include_crds: bool = True,
) -> list[Resource]:
    """Render one chart instance (see module docstring) into objects.

    With ``cache_dir``, the result is cached under a key of every input (the chart's
    files, the merged values, release, namespace, Kubernetes and API versions): rendering
    is a pure function of them, so a hit skips Jinja2 (and its import) entirely. ``parse``
    parses YAML text (default :func:`kcompile.yaml.read.load_documents`; the build passes its
    parse cache). ``kube_version`` and ``api_versions`` are ``capabilities`` in templates.
    Every chart file is read through ``root`` (a :class:`kcompile.load.files.Root`;
    default: one confined to the chart directory). ``include_crds``: the objects of the
    charts' ``crds/`` come first (an entry's ``includeCRDs: false`` leaves them out).
    """
    parse = parse or load_documents
    chart = Chart(chart_dir, parse, root=root)
    merged = merge_layers(list(layers), list(set_values), release, defaults=chart.own_values)
    instance = _Instance(release, namespace, kube_version, tuple(api_versions), cache_dir)
    instance.include_crds = include_crds
    if set_values:
        from .values import parse_set

        instance.cache_secrets = not any(parse_set(e)[0] == release for e in set_values)
    key = None
    if cache_dir is not None:
        instance.files_digest = _files_digest(chart, instance)
        key = _render_key(instance.files_digest, merged.values)
    if key is not None:
        cached = _cache_get(cache_dir, key)
        if cached is not None:
            return cached
    out: list[Resource] = []
    crds: list[Resource] = []
    _render_tree(chart, merged, instance, {}, out, crds)
    if include_crds:
        out[:0] = crds  # as helm install creates them: first, as they are
    if namespace:
        _default_namespace(out, namespace)
    if key is not None and (instance.cache_secrets or not any(r.kind == "Secret" for r in out)):
        _cache_put(cache_dir, key, out)
    return out


def _files_digest(chart: Chart, instance: _Instance) -> bytes:
    """A digest of everything a render depends on besides values: this code, the
    instance (release, namespace, Kubernetes and API versions) and every chart file."""
    from _blake2 import blake2b

    from ..cache.location import code_fingerprint

    h = blake2b(digest_size=20)
    h.update(f"render-{code_fingerprint()}\0{instance.release}\0{instance.namespace or ''}\0"
             f"{instance.kube_version or ''}\0{','.join(instance.api_versions)}\0"
             f"{'crds' if instance.include_crds else ''}\0".encode())
    for c in chart.inputs():  # the chart and its file:// dependencies, each through its root
        h.update(f"{'' if c is chart else c.dir}\0".encode())
        for rel in c.files():
            h.update(rel.encode() + b"\0")
            h.update(c.root.read_bytes(rel))
            h.update(b"\0")
    return h.digest()


def _render_key(files_digest: bytes, values: Any) -> str | None:
    import marshal
    from _blake2 import blake2b

    from ..cache.parsed import _encode

    h = blake2b(files_digest, digest_size=20)
    try:
        h.update(marshal.dumps(_encode(values), 2))  # version 2: no references, so equal data gives equal bytes
    except ValueError:
        return None
    return h.hexdigest()


def _cache_get(cache_dir: "str | os.PathLike[str]", key: str) -> list[Resource] | None:
    """Rendered objects from the ``rendered`` cache (content-verified entries, plain data)."""
    from ..cache.entries import Entries

    stored = Entries("rendered", cache_dir).load(key)
    if stored is None:
        return None
    try:
        return [Resource(body=b, origin=Origin(f, line, idx, template=True)) for b, f, line, idx in stored]
    except (TypeError, ValueError):  # not what this code stores
        return None


def _cache_put(cache_dir: "str | os.PathLike[str]", key: str, result: list[Resource]) -> None:
    from ..cache.entries import Entries
    from ..model import deep_copy

    Entries("rendered", cache_dir).store(
        key, [(deep_copy(r.body), r.origin.file, r.origin.line, r.origin.doc) for r in result])


def _default_namespace(objects: list[Resource], namespace: str) -> None:
    from ..fields.specs import is_cluster_scoped
    from ..model import split_api_version

    for r in objects:
        md = r.body.get("metadata")
        if not isinstance(md, dict) or md.get("namespace"):
            continue
        api_version, kind = r.body.get("apiVersion"), r.body.get("kind")
        if isinstance(api_version, str) and isinstance(kind, str) \
                and not is_cluster_scoped(split_api_version(api_version)[0], kind):
            md["namespace"] = namespace


def _subchart_values(dep: Any, parent: MergedValues) -> MergedValues:
    """Helm's scoping: the subchart's values.yaml < the parent's values under the
    subchart's key (alias or name); ``global`` of the parent over the subchart's."""
    from .values import deep_merge

    own = parent.values.get(dep.key)
    source = parent.source_of((dep.key,)) or str(dep.chart.dir / "values.yaml")
    merged = MergedValues(dep.chart.own_values)
    if isinstance(own, dict):
        merged.add(source, own)
    parent_global = parent.values.get("global")
    if isinstance(parent_global, dict):
        mine = merged.values.get("global")
        merged.values["global"] = deep_merge(mine, parent_global) if isinstance(mine, dict) else dict(parent_global)
    return merged


def _render_tree(chart: Chart, merged: MergedValues, instance: _Instance, loaders: dict, out: list[Resource],
                 crds: list[Resource]) -> None:
    """Render ``chart`` then its enabled subcharts, depth first; ``crds`` gets the
    objects of their ``crds/`` directories (:func:`chart_crds`)."""
    crds.extend(chart_crds(chart))
    subcharts = []
    enabled = []  # chart.dependencies as Helm shows them: the enabled ones, under their aliases
    for dep in chart.dependencies:
        if not dep.enabled(merged.values):
            continue
        if dep.entry is not None:
            enabled.append({**dep.entry, "name": dep.key})
        if dep.chart.is_library:
            continue
        sub = _subchart_values(dep, merged)
        # The parent sees its subcharts' values with their defaults filled in, as in Helm.
        merged.values[dep.key] = {k: v for k, v in sub.values.items() if k != "global"}
        subcharts.append((dep, sub))
    _validate_schema(chart, merged)
    out.extend(_render_one(chart, {**chart.meta, "dependencies": enabled}, merged, instance, loaders))
    for dep, sub in subcharts:
        _render_tree(dep.chart, sub, instance, loaders, out, crds)


CRD_SUFFIXES = (".yaml", ".yml", ".json")


def chart_crds(chart: Chart) -> list[Resource]:
    """The objects of the chart's ``crds/`` files (``*.yaml``, ``*.yml``, ``*.json`` at any
    depth, not ignored by ``.helmignore``), as Helm installs them: never templated, before
    the templates' objects, for the chart and each enabled subchart."""
    out = []
    for rel in chart.file_names():
        if rel.startswith("crds/") and rel.endswith(CRD_SUFFIXES):
            path = chart.dir / rel
            for d in load_documents(chart.root.read_text(rel), str(path)):
                if d.data is None:
                    continue
                if not isinstance(d.data, dict):
                    raise KcompileError("a document of crds/ is not a YAML map", path, d.line)
                out.append(Resource(body=d.data, origin=Origin(str(path), d.line, d.index)))
    return out


def _validate_schema(chart: Chart, merged: MergedValues) -> None:
    schema_path = chart.dir / "values.schema.json"
    if chart.root.is_file("values.schema.json"):
        import json

        try:
            schema = json.loads(chart.root.read_text("values.schema.json"))
        except json.JSONDecodeError as e:
            raise KcompileError(f"values.schema.json is not valid JSON: {e.msg}", schema_path, e.lineno) from None
        except ValueError:  # a number of thousands of digits
            raise KcompileError("values.schema.json holds a number too long to read", schema_path) from None
        validate_values(merged, schema, str(schema_path), chart.root)


def _loader_for(chart: Chart, loaders: dict) -> Any:
    """The chart's template loader, its dependencies' loaders under their keys."""
    from .environment import ChartLoader

    got = loaders.get(chart.dir)
    if got is None:
        deps: dict[str, ChartLoader] = {}
        for dep in chart.dependencies:
            deps.setdefault(dep.key, _loader_for(dep.chart, loaders))
            deps.setdefault(dep.chart.dir.name, deps[dep.key])
        got = loaders[chart.dir] = ChartLoader(chart.dir, deps, chart.root)
    return got


def _render_one(chart: Chart, meta: dict, merged: MergedValues, instance: _Instance, loaders: dict) -> list[Resource]:
    from .capabilities import Capabilities
    from .chartfiles import ChartFiles

    names = output_templates(chart.dir, chart.root, chart.ignored)
    if chart.is_library or not names:
        return []
    context = {
        "values": merged.values,
        "release": {"name": instance.release, "namespace": instance.namespace or "", **RELEASE_FIXED},
        "chart": meta,
        "capabilities": Capabilities(instance.kube_version, instance.api_versions),
        "files": ChartFiles(chart.root, chart.file_names()),
    }
    cache = None
    if instance.cache_dir is not None and instance.files_digest is not None:
        from .templatecache import TemplateCache

        cache = TemplateCache(instance.cache_dir, _instance_key(chart, meta, instance), instance.cache_secrets)

    def make_env(renderer: _Renderer) -> Any:
        from ..cache.entries import Entries
        from .environment import ChartEnvironment

        entries = Entries("templates", instance.cache_dir) if instance.cache_dir is not None else None
        env = ChartEnvironment(chart.dir, entries, _loader_for(chart, loaders))
        env.reads = renderer.reads
        # As globals too, so macros in imported helpers see values/release/chart without
        # 'with context' (what Helm authors expect of named templates).
        env.globals.update(context)

        def checksum(template_name: str) -> str:
            import hashlib

            return hashlib.sha256(renderer.render_text(template_name).encode("utf-8")).hexdigest()

        env.globals["checksum"] = checksum
        return env

    renderer = _Renderer(chart, context, make_env, cache)
    out: list[Resource] = []
    for name in names:
        try:
            out.extend(renderer.documents(name))
        except KcompileError:
            raise
        except Exception as e:  # noqa: BLE001 - mapped to a message naming the template, or re-raised
            raise _render_error(e, chart, chart.dir / "templates" / name, renderer.env_if_made) from None
    return out


def _render_error(e: BaseException, chart: Chart, path: Path, env: Any) -> BaseException:
    """The KcompileError for an exception raised while rendering template ``path``
    (jinja2 is imported here: only a render that ran it can fail this way), without the
    values the exception's text quotes."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError
    from jinja2.exceptions import TemplateError, UndefinedError
    from jinja2.sandbox import SecurityError

    from .filters import AuthorFail, ChartFail

    if isinstance(e, TemplateSyntaxError):
        return KcompileError(f"template syntax error: {e.message}", e.filename or path, e.lineno)
    if isinstance(e, (UndefinedError, ChartFail, SecurityError, TemplateNotFound, TemplateError)):
        file, line = _template_location(e, chart.dir)
        what = {UndefinedError: "undefined value", SecurityError: "not allowed in a chart template",
                TemplateNotFound: "template not found"}.get(type(e), "")
        msg = str(e.message if hasattr(e, "message") and e.message else e)
        if isinstance(e, AuthorFail):
            msg = str(e.message)  # the chart author's own words (fail, required)
        else:
            msg = _hide_values(str(e.message) if isinstance(e, ChartFail) else msg, file or path, env)
        return KcompileError(f"{what}: {msg}" if what else msg, file or path, line)
    if isinstance(e, RecursionError):
        return KcompileError("template recursion is too deep", path)
    if isinstance(e, (TypeError, ValueError, ArithmeticError, KeyError, IndexError, AttributeError, OverflowError)):
        file, line = _template_location(e, chart.dir)
        return KcompileError(f"error while rendering: {type(e).__name__}: {_hide_values(str(e), file or path, env)}",
                             file or path, line)
    return e


def _instance_key(chart: Chart, meta: dict, instance: _Instance) -> str:
    """What a chart's templates depend on besides values: the chart tree's files, the
    instance, this chart within the tree and its metadata (see :mod:`.templatecache`)."""
    import marshal
    from _blake2 import blake2b

    h = blake2b(digest_size=20)
    h.update(instance.files_digest or b"")
    h.update(str(chart.dir).encode("utf-8", "surrogatepass") + b"\0")
    try:
        h.update(marshal.dumps(meta, 2))
    except ValueError:
        h.update(repr(meta).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _hide_values(message: str, template: str | os.PathLike[str], env: Any) -> str:
    """A rendering error's text without the values it quotes (:mod:`.masking`); the
    template's own source (and the texts given to ``tpl``, templates too) tells what was
    written there rather than taken from values."""
    from .masking import template_message

    try:
        with open(template, encoding="utf-8", errors="replace") as f:
            source = f.read(1 << 20)
    except OSError:
        source = ""
    return template_message(message, "\n".join([source, *getattr(env, "tpl_templates", {})]))


def _parse_rendered(text: str, template: Path) -> list[Resource]:
    try:
        docs = load_documents(text, str(template))
    except KcompileError as e:
        from .masking import error_context

        n = e.line or 1
        context = error_context(text, n)
        raise KcompileError(
            f"rendered output is not valid YAML at rendered line {n}: {e.message}\n{context}", template, None
        ) from None
    out = []
    for d in docs:
        if not isinstance(d.data, dict):
            raise KcompileError(
                f"rendered document at rendered line {d.line} is not a YAML map", template, None
            )
        if not d.data:
            continue
        _check_identity(d.data, template, d.line)
        out.append(Resource(body=d.data, origin=Origin(str(template), d.line, d.index, template=True)))
    return out


def _check_identity(body: dict, template: Path, line: int) -> None:
    """The fields an object is known by hold text, as in a resource file: a map or a list
    there is an error naming the template, not a crash of a later stage."""
    md = body.get("metadata")
    fields = [("kind", body.get("kind")), ("apiVersion", body.get("apiVersion")), ("metadata", md)]
    if isinstance(md, dict):
        fields += [("metadata.name", md.get("name")), ("metadata.namespace", md.get("namespace"))]
    for name, value in fields:
        if value is None:
            continue
        if name == "metadata" and not isinstance(value, dict):
            raise KcompileError(f"rendered object at rendered line {line}: 'metadata' must be a map", template, None)
        if name != "metadata" and not isinstance(value, str):
            raise KcompileError(f"rendered object at rendered line {line}: {name!r} must be a string", template, None)


def main(argv: list[str] | None = None) -> int:
    """``python -m kcompile.charts.render CHART --release NAME [-f values.yaml] [--set ...]``"""
    import argparse

    from ..output.emit import render

    p = argparse.ArgumentParser(prog="python -m kcompile.charts.render")
    p.add_argument("chart")
    p.add_argument("--release", required=True)
    p.add_argument("--namespace")
    p.add_argument("-f", "--values", action="append", default=[])
    p.add_argument("--set", dest="set_values", action="append", default=[])
    args = p.parse_args(argv)
    try:
        layers = []
        for f in args.values:
            docs = load_documents(Path(f).read_text(encoding="utf-8"), f)
            layers.append((f, docs[0].data if docs else {}))
        objs = render_chart(Path(args.chart), release=args.release, namespace=args.namespace,
                            layers=layers, set_values=[f"{args.release}.{s}" for s in args.set_values])
    except KcompileError as e:
        print(f"kcompile: error: {e.format()}", file=sys.stderr)
        return 1
    sys.stdout.write(render([r.body for r in objs]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
