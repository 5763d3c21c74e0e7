"""Where a build meets the helm binary: an overlay's ``helmCharts`` (Kustomize's field)
and its ``charts:`` entries that are Helm charts (a chart directory with Go templates,
or a chart of a repository: ``repo:``).

Both take the build's file access (load restrictor, inputs recorded for the build
cache), its options (``--enable-helm``, ``--helm-command``, ``--kube-version``) and its
cache directory; rendering itself is :func:`kcompile.charts.helm.render_helm_chart`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..model import Resource


def chart_lock(b: Any):
    """The build's ``kcompile.lock`` (read once per build)."""
    if b.chart_lock is None:
        from .vendor import ChartLock

        b.chart_lock = ChartLock(b.repo_root)
        if b.chart_lock.path.is_file():
            b.files.note_read(b.chart_lock.path)
    return b.chart_lock


def vendored_chart(b: Any, repo: str, name: str, version: str, where: tuple) -> Path:
    """A repository chart's pinned archive; with ``options.fetch_charts`` (``kcompile
    vendor``), fetched and pinned first when it is not."""
    lock = chart_lock(b)
    if b.options.fetch_charts:
        from .helm import find_helm

        path = lock.vendor(repo, name, version, find_helm(b.options.helm_command, where), where,
                           plain_http=getattr(b.options, "plain_http", False))
        lock.save()
    else:
        path = lock.chart(repo, name, version, where)
    b.files.note_read(path)
    return path


def inflate_helm_charts(b: Any, ov: Any, resources: list[Resource]) -> None:
    """Kustomize's ``helmCharts`` (and the deprecated ``helmChartInflationGenerator``) of
    one kustomization, after its other generators, as Kustomize orders them."""
    from .helmcharts import values_inline_as_kustomize_reads

    def inline(field: str, i: int, e: Any, key: str) -> Any:
        value = e.get(key) if isinstance(e, dict) else None
        return values_inline_as_kustomize_reads(ov.text, field, i, value) if isinstance(value, dict) else None

    entries = [(e, ov.where("helmCharts", i), inline("helmCharts", i, e, "valuesInline"))
               for i, e in enumerate(ov.get("helmCharts", []))]
    entries += [(_from_legacy(e), ov.where("helmChartInflationGenerator", i),
                 inline("helmChartInflationGenerator", i, e, "valuesLocal"))
                for i, e in enumerate(ov.get("helmChartInflationGenerator", []))]
    inflate_entries(b, ov, entries, ov.get("helmGlobals"), ov.where("helmGlobals"), resources)


def inflate_entries(b: Any, ov: Any, entries: list[tuple], globals_: Any, globals_where: tuple,
                    resources: list[Resource], default_namespace: bool = True) -> None:
    """Inflate ``(helmCharts entry, where[, valuesInline as Kustomize reads it])`` of kustomization ``ov`` (also the
    HelmChartInflationGenerator plugin's configurations: ``default_namespace=False``, as
    Kustomize gives those no namespace of the kustomizations, so helm's is 'default')."""
    if not entries:
        return
    if not b.options.enable_helm:
        raise KcompileError(
            "helmCharts run the helm binary, which needs --enable-helm (as 'kubectl kustomize "
            "--enable-helm'): must specify --enable-helm", *entries[0][1])
    for rec in b.files.recorders:
        rec.charts = True
    from ..pipeline.session import add_all
    from .helmcharts import ChartContext, inflate

    ctx = ChartContext(
        ov.dir, str(ov.path), b.helm_namespaces[-1] if b.helm_namespaces and default_namespace else "",
        read_file=lambda p, where: b.files.read_bytes(p, where),
        check_file=lambda p, where: b.files.check_file(p, ov.dir, where),
        helm_command=b.options.helm_command, kube_version=b.options.helm_kube_version,
        api_versions=tuple(b.options.helm_api_versions), debug=b.options.helm_debug,
        cache_dir=b.cache_dir, find_vendored=lambda *a: vendored_chart(b, *a),
        note_chart=b.files.note_listed,
    )
    for entry, where, *inline in entries:
        add_all(resources, inflate(entry, globals_, ctx, where, globals_where, *inline), where)


def _from_legacy(old: Any) -> Any:
    """A ``helmChartInflationGenerator`` entry (HelmChartArgs) as a helmCharts entry, as
    Kustomize converts it."""
    if not isinstance(old, dict):
        return old
    names = {"chartName": "name", "chartVersion": "version", "chartRepoUrl": "repo", "values": "valuesFile",
             "valuesLocal": "valuesInline", "valuesMerge": "valuesMerge", "releaseName": "releaseName"}
    return {new: old[k] for k, new in names.items() if k in old}


def render_helm_instance(b: Any, ov: Any, entry: dict[str, Any], i: int,
                         chart_values: list[tuple[str, dict]]) -> tuple[str, list[Resource]]:
    """(release, objects) of a ``charts:`` entry that is a Helm chart, with kcompile's values layering:
    ``valuesFiles`` < ``values`` < ``chartValues`` of overlays above < ``--set``, merged
    as for Jinja charts and given to helm as one values file over the chart's own."""
    from ..yaml.scalars import as_text
    from .helm import HelmTemplate, render_helm_chart, values_file
    from .values import merge_layers

    where = ov.where("charts", i)
    if entry.get("repo"):
        repo, name = as_text(entry["repo"]), as_text(entry["chart"])
        version = as_text(entry.get("version")) if entry.get("version") is not None else ""
        chart: Path = vendored_chart(b, repo, name, version, where)
        default_release = name
    else:
        chart = b.files.resolve(ov.dir, entry["chart"], where)
        default_release = _chart_name(b, chart)
    release = as_text(entry["release"]) if entry.get("release") else default_release
    from ..pipeline.generated import value_layers

    layers = value_layers(b, ov, entry, i, release, chart_values, helm=True)
    merged = merge_layers(layers, list(b.options.set_values), release)
    ns = as_text(entry["namespace"]) if entry.get("namespace") else None
    request = HelmTemplate(
        chart, release=release, namespace=ns, values_files=[("values", values_file(merged.values))],
        kube_version=as_text(entry["kubeVersion"]) if entry.get("kubeVersion") else b.options.kube_version,
        api_versions=[as_text(v) for v in entry.get("apiVersions") or []] + list(b.options.api_versions),
        include_crds=entry.get("includeCRDs", True) is not False,
        skip_tests=entry.get("skipTests", True) is not False,
        skip_hooks=entry.get("skipHooks") is True,
    )
    from .values import parse_set

    from_command_line = any(parse_set(e)[0] == release for e in b.options.set_values)
    objects = render_helm_chart(request, helm_command=b.options.helm_command, cache_dir=b.cache_dir,
                                where=where, label=f"chart {release!r}", cache_secrets=not from_command_line)
    if ns:
        from ..fields.specs import is_cluster_scoped
        from ..model import split_api_version

        for r in objects:  # as an install into that namespace would place them
            if not r.namespace and not is_cluster_scoped(split_api_version(r.api_version)[0], r.kind):
                r.metadata["namespace"] = ns
    return release, objects


def _chart_name(b: Any, chart: Path) -> str:
    """The name in a chart's Chart.yaml (a directory or a packaged ``.tgz``)."""
    if chart.is_file():
        from ..yaml.read import load_documents
        from .vendor import archive_file

        docs = load_documents(archive_file(chart, "Chart.yaml").decode("utf-8", "replace"), str(chart))
        meta = docs[0].data if docs and isinstance(docs[0].data, dict) else {}
        return str(meta.get("name") or chart.name.rsplit("-", 1)[0])
    from .render import load_chart_meta

    return str(load_chart_meta(chart, b.cache.load_documents).get("name") or chart.name)
