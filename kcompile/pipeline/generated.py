"""Objects an overlay makes rather than lists: its chart instances (``charts``) and its
ConfigMap/Secret generators, with their values layers and merge behaviours.

The rendering and generating themselves live in ``charts/`` and ``generate/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..load.overlay import OverlayFile
from ..model import Resource
from ..yaml.scalars import as_text
from .session import Build, add_all


def render_charts(b: Build, ov: OverlayFile, resources: list[Resource],
                   chart_values: list[tuple[str, dict]]) -> None:
    charts = ov.get("charts", [])
    if not charts:
        return
    from ..charts.render import render_chart

    for i, entry in enumerate(charts):
        where = ov.where("charts", i)
        if not isinstance(entry, dict) or not entry.get("chart"):
            raise KcompileError("each charts entry needs a 'chart' path", *where)
        for rec in b.files.recorders:
            rec.charts = True
        if entry.get("repo") or _is_helm_chart(b, ov, entry, where):
            from ..charts.helmbuild import render_helm_instance

            release, rendered = render_helm_instance(b, ov, entry, i, chart_values)
            b.releases.append(release)
            _no_secrets_from_command_line(b, release, rendered)
            add_all(resources, rendered, where)
            continue
        chart_dir = b.files.directory(ov.dir, entry["chart"], where)
        chart_files = b.files.root(chart_dir, "chart directory")  # every chart file read confined to it
        release = as_text(entry.get("release")) if entry.get("release") else None
        if release is None:
            from ..charts.render import load_chart_meta

            release = str(load_chart_meta(chart_dir, b.cache.load_documents, chart_files).get("name")
                          or chart_dir.name)
        layers = value_layers(b, ov, entry, i, release, chart_values)
        ns = entry.get("namespace")
        rendered = render_chart(
            chart_dir, release=release, namespace=as_text(ns) if ns else None,
            layers=layers, set_values=list(b.options.set_values),
            cache_dir=b.cache_dir, parse=b.cache.load_documents, root=chart_files,
            kube_version=b.options.kube_version, api_versions=tuple(b.options.api_versions),
            include_crds=entry.get("includeCRDs", True) is not False,
        )
        b.releases.append(release)
        _no_secrets_from_command_line(b, release, rendered)
        add_all(resources, rendered, where)



def value_layers(b: Build, ov: OverlayFile, entry: dict, i: int, release: str,
                 chart_values: list[tuple[str, dict]], helm: bool = False) -> list[tuple[str, dict]]:
    """A chart instance's values layers above the chart's own, lowest first: its
    ``valuesFiles``, its ``values``, then ``chartValues`` from the overlays above (the one
    next to this overlay first, the overlay being built last, so the outermost overlay,
    the environment, wins). Jinja and Helm charts alike; for a Helm chart (``helm``),
    ``valuesFiles`` and ``values`` are read as Helm reads values (plain ``yes``/``on``/``n``
    are booleans), so the chart sees what ``helm template -f`` would give it."""
    if helm:
        from ..charts.helmcharts import values_as_helm_reads, values_inline_as_kustomize_reads
    layers: list[tuple[str, dict]] = []
    for j, vf in enumerate(entry.get("valuesFiles") or []):
        vwhere = ov.where("charts", i, "valuesFiles", j)
        vpath = b.files.file(ov.dir, vf, vwhere)
        text = b.files.read_text(vpath, vwhere)
        docs = b.cache.load_documents(text, str(vpath))
        data = docs[0].data if docs else {}
        if not isinstance(data, dict):
            raise KcompileError("a values file must be a YAML map", vpath, docs[0].line if docs else None)
        layers.append((str(vpath), values_as_helm_reads(text, data) if helm else data))
    if entry.get("values"):
        inline = entry["values"]
        layers.append((str(ov.path), values_inline_as_kustomize_reads(ov.text, "charts", i, inline) if helm else inline))
    for source, cv in chart_values:
        if release in cv and isinstance(cv[release], dict):
            layers.append((source, cv[release]))
    return layers


def _no_secrets_from_command_line(b: Build, release: str, rendered: list[Resource]) -> None:
    """A chart instance given ``--set`` values that renders a Secret: the build output is
    not kept in the build cache (as for values read from the environment), since caches
    never hold a Secret value that is not in the repository's files."""
    if b.options.set_values and any(r.kind == "Secret" for r in rendered):
        from ..charts.values import parse_set

        if any(parse_set(e)[0] == release for e in b.options.set_values):
            b.env.used.add("--set")  # the build cache keeps nothing built from the environment


def _is_helm_chart(b: Build, ov: OverlayFile, entry: dict, where: tuple) -> bool:
    """A chart directory with Go templates (charts.helm.is_helm_chart), not a Jinja one."""
    from ..charts.helm import is_helm_chart
    from ..charts.render import load_chart_meta

    chart_dir = b.files.directory(ov.dir, entry["chart"], where)  # a chart, like a base, may lie anywhere
    if chart_dir.is_file() and chart_dir.name.endswith(".tgz"):  # a packaged Helm chart
        b.files.note_read(chart_dir)
        return True
    b.files.note_listed(chart_dir)  # every file of a chart is an input
    if not chart_dir.is_dir():
        raise KcompileError(f"chart {entry['chart']!r} is not a directory", *where)
    return is_helm_chart(chart_dir, load_chart_meta(chart_dir, b.cache.load_documents,
                                                    b.files.root(chart_dir, "chart directory")))


def check_chart_values(ov: OverlayFile, chart_values: Any, releases: list[str]) -> None:
    """chartValues naming a release no chart instance below this overlay has is an
    error (a typo would otherwise change nothing, in silence)."""
    if not isinstance(chart_values, dict):
        raise ov.error("chartValues must be a map of release names to values", "chartValues")
    for release, values in chart_values.items():
        if str(release) not in releases:
            raise ov.error(f"chartValues names release {release!r}, but no chart instance below this "
                           f"overlay has it ({_known_releases(releases)})", "chartValues", release)
        if not isinstance(values, dict):
            raise ov.error(f"chartValues.{release} must be a map of values", "chartValues", release)


def check_set_releases(set_values: Any, releases: list[str]) -> None:
    """``--set RELEASE.key=value`` naming no chart instance of the build is an error."""
    if not set_values:
        return
    from ..charts.values import parse_set

    for expr in set_values:
        release = parse_set(expr)[0]
        if release not in releases:
            raise KcompileError(f"--set {expr.partition('=')[0]}=...: no chart instance of this build has "
                                f"release {release!r} ({_known_releases(releases)})")


def _known_releases(releases: list[str]) -> str:
    return "releases: " + ", ".join(sorted(set(releases))) if releases else "it renders no charts"


def run_generators(b: Build, ov: OverlayFile, resources: list[Resource]) -> None:
    entries = [("ConfigMap", "configMapGenerator", e, i) for i, e in enumerate(ov.get("configMapGenerator", []))]
    entries += [("Secret", "secretGenerator", e, i) for i, e in enumerate(ov.get("secretGenerator", []))]
    if not entries:
        return
    from ..transform.selectors import ResourceIndex

    index = ResourceIndex(resources)  # generators x objects without a scan per generator
    options = ov.get("generatorOptions")
    for kind, key, entry, i in entries:
        where = ov.where(key, i)
        if not isinstance(entry, dict):
            raise KcompileError(f"each {key} entry must be a map", *where)
        generate_one(b, ov.dir, kind, entry, options, (str(ov.path), ov.line_of(key, i)), resources, index)


def generate_one(b: Build, base_dir: Path, kind: str, entry: dict, options: Any, where: tuple,
                 resources: list[Resource], index: Any = None) -> None:
    """Generate one ConfigMap/Secret (sources relative to ``base_dir``) and add or merge
    it as its ``behavior`` says. ``index`` (a ResourceIndex of ``resources``) is kept up
    to date."""
    from ..generate.generators import generate, merge_generated
    from ..transform.selectors import ResourceIndex

    index = index or ResourceIndex(resources)
    new = generate(
        kind, entry, options, base_dir=base_dir,
        read_file=_generator_reader(b, base_dir, where), env=b.env,
        file=where[0], line=where[1], warn=b.warn,
    )
    behavior = new.generator.behavior if new.generator else "create"
    written = as_text(entry.get("behavior") or "create")
    if written not in ("create", "merge", "replace"):
        b.warn(KcompileError(f"{kind} generator {new.name!r}: unknown behavior {written!r}, "
                             "taken as 'create' (as Kustomize does)", *where))
    existing = [r for r in index.candidates(new.kind, new.name) if r.body and _same_generated_id(r, new)]
    if behavior == "create":
        if existing:
            raise KcompileError(
                f"{kind} {new.name!r} already exists; use behavior 'merge' or 'replace' to change it", *where
            )
        resources.append(new)
        index.appended(new)
    else:
        if not existing:
            raise KcompileError(
                f"{kind} {new.name!r} has behavior {behavior!r} but no base defines it", *where
            )
        merge_generated(existing[0], new)


def _generator_reader(b: Build, base_dir: Path, where: tuple):
    def read(rel: str) -> bytes:
        return b.files.read_bytes(b.files.file(base_dir, rel, where), where)

    return read


def _same_generated_id(r: Resource, new: Resource) -> bool:
    if r.kind != new.kind:
        return False
    names = {r.name} | {n for _, _, n in r.previous}
    if new.name not in names:
        return False
    return (r.namespace or "default") == (new.namespace or "default") or not new.namespace
