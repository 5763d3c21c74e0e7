"""Kustomize's ``helmCharts`` / ``helmGlobals`` fields (HelmChartInflationGenerator).

Semantics are Kustomize v5.8's, field by field:

- the chart is ``{chartHome}/{name}`` (``chartHome`` from ``helmGlobals``, default
  ``charts``, relative to the kustomization), or ``{chartHome}/{name}-{version}/{name}``
  when both ``repo`` and ``version`` are set. A chart that is not there is taken from the
  vendor directory (``kcompile vendor`` pins it in ``kcompile.lock``): builds never pull.
- ``valuesFile`` (default: the chart's ``values.yaml``) and ``additionalValuesFiles`` are
  files of the kustomization (the load restrictor applies), passed to helm in that order.
- ``valuesInline`` with ``valuesMerge``: ``override`` (default; inline values win over the
  values file), ``merge`` (the values file wins; inline only adds), ``replace`` (inline
  values instead of the values file). Maps merge deeply, lists and scalars replace, a
  ``null`` removes the key (kyaml's merge); helm then puts the chart's own values under.
- ``namespace`` defaults to the kustomization's ``namespace``, else to the nearest one
  of the kustomizations that include this one; the namespace transformer leaves the
  chart's objects alone (Kustomize marks them helm-generated): helm's templates decide.
- ``releaseName`` (else helm's ``--generate-name``), ``nameTemplate``, ``includeCRDs``,
  ``skipTests``, ``skipHooks``, ``apiVersions``, ``kubeVersion`` (``--helm-api-versions``
  and ``--helm-kube-version`` apply to entries that set none), ``devel``, ``debug`` (and
  ``--helm-debug`` for every entry: helm's ``--debug``, so a failing template's rendered
  text is shown); ``configHome`` is helm's ``HELM_CONFIG_HOME``.

Field names match case-insensitively, as Go's JSON decoding of them does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from ..errors import KcompileError
from ..model import Resource

CHART_FIELDS = ("name", "version", "repo", "releaseName", "namespace", "valuesFile", "valuesInline",
                "valuesMerge", "additionalValuesFiles", "includeCRDs", "skipTests", "skipHooks",
                "apiVersions", "kubeVersion", "nameTemplate", "debug", "devel")
GLOBAL_FIELDS = ("chartHome", "configHome")
MERGE_OPTIONS = ("merge", "override", "replace")
DEFAULT_CHART_HOME = "charts"


def normalized(entry: Any, fields: tuple[str, ...], what: str, where: tuple) -> dict[str, Any]:
    """``entry`` with its keys spelled as ``fields`` spell them (matched ignoring case);
    an unknown key is an error, as Kustomize's strict decoding makes it."""
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        raise KcompileError(f"each {what} entry must be a map", *where)
    by_lower = {f.lower(): f for f in fields}
    out: dict[str, Any] = {}
    for k, v in entry.items():
        name = by_lower.get(str(k).lower())
        if name is None:
            raise KcompileError(f"unknown field {k!r} in {what} (known: {', '.join(fields)})", *where)
        out[name] = v
    return out


def merge_values(src: Any, dest: Any) -> Any:
    """kyaml's merge of ``src`` into ``dest`` as Kustomize merges values: maps deeply,
    anything else replaced by ``src``; no null is left in any map (a null in ``src``
    removes the key, and nulls of ``dest`` go too: helm then takes the chart's default)."""
    if not isinstance(src, dict) or not isinstance(dest, dict):
        return _without_nulls(src)
    out = _without_nulls(dest)
    for k, v in src.items():
        if v is None:
            out.pop(k, None)
        elif k in out:
            out[k] = merge_values(v, out[k])
        else:
            out[k] = _without_nulls(v)
    return out


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


class ChartContext:
    """What rendering a kustomization's ``helmCharts`` needs from the build: its
    directory and file access, the inherited namespace and the helm options."""

    def __init__(self, directory: Path, overlay_file: str, namespace: str, *,
                 read_file: Callable[[Path, tuple], bytes], check_file: Callable[[Path, tuple], None],
                 helm_command: str | None, kube_version: str | None, api_versions: tuple[str, ...],
                 debug: bool, cache_dir: Path | None, find_vendored: Callable[..., Path],
                 note_chart: Callable[[Path], None]) -> None:
        self.dir = directory
        self.overlay_file = overlay_file
        self.namespace = namespace
        self.read_file = read_file
        self.check_file = check_file
        self.helm_command = helm_command
        self.kube_version = kube_version
        self.api_versions = api_versions
        self.debug = debug
        self.cache_dir = cache_dir
        self.find_vendored = find_vendored
        self.note_chart = note_chart


def inflate(entry: Any, globals_: Any, ctx: ChartContext, where: tuple,
            globals_where: tuple, inline: Any = None) -> list[Resource]:
    """Render one ``helmCharts`` entry (or HelmChartInflationGenerator config) into
    objects marked helm-generated."""
    from ..yaml.scalars import as_text
    from .helm import HelmTemplate, render_helm_chart, values_file

    chart = normalized(entry, CHART_FIELDS, "helmCharts", where)
    g = normalized(globals_, GLOBAL_FIELDS, "helmGlobals", globals_where)
    text = {k: as_text(v) if v is not None and not isinstance(v, (dict, list)) else v for k, v in chart.items()}
    name = text.get("name") or ""
    if not name:
        raise KcompileError("chart name cannot be empty", *where)
    version, repo = text.get("version") or "", text.get("repo") or ""
    merge = text.get("valuesMerge") or "override"
    if merge not in MERGE_OPTIONS:
        raise KcompileError(f"valuesMerge must be one of [{' '.join(MERGE_OPTIONS)}], not {merge!r}", *where)

    home = Path(as_text(g.get("chartHome")) or DEFAULT_CHART_HOME)
    home = home if home.is_absolute() else ctx.dir / home
    if version and repo:
        home = home / f"{name}-{version}"
    chart_path = home / name
    if chart_path.is_dir():
        ctx.note_chart(chart_path)
    elif repo:
        chart_path = ctx.find_vendored(repo, name, version, where)
    else:
        raise KcompileError(f"no repo specified for pull, no chart found at '{chart_path}'", *where)

    for f in [text.get("valuesFile") or ""] + _string_list(chart.get("additionalValuesFiles"),
                                                           "additionalValuesFiles", where):
        if "://" in f:  # Kustomize's loader would fetch it
            raise KcompileError(f"values file {f!r} is remote: kcompile builds offline; keep a copy in "
                                "the kustomization's directory", *where)
    values_path = Path(text["valuesFile"]) if text.get("valuesFile") else None
    if values_path is None and chart_path.is_dir():
        values_path = chart_path / "values.yaml"
    elif values_path is not None and not values_path.is_absolute():
        values_path = ctx.dir / values_path
    base = b""
    if values_path is None:  # a vendored archive: its own values.yaml
        from .vendor import archive_values

        base = archive_values(chart_path)
    else:
        real = values_path.resolve()
        ctx.check_file(real, where)
        base = ctx.read_file(real, where) if (values_path.exists() or text.get("valuesFile")) else b""
    inline = chart.get("valuesInline") if inline is None else inline  # (as Kustomize reads it, if given)
    if inline is not None and not isinstance(inline, dict):
        raise KcompileError("valuesInline must be a map", *where)
    if inline:
        if merge == "replace":
            first = values_file(inline)
        else:
            file_values = _parse_values(base, str(values_path))
            merged = merge_values(inline, file_values) if merge == "override" else merge_values(file_values, inline)
            first = values_file(merged)
    else:
        first = base
    files = [(str(values_path or "valuesInline"), first)]
    for i, extra in enumerate(_string_list(chart.get("additionalValuesFiles"), "additionalValuesFiles", where)):
        p = (ctx.dir / extra).resolve()
        ctx.check_file(p, where)
        files.append((str(p), ctx.read_file(p, where)))

    request = HelmTemplate(
        chart_path, release=text.get("releaseName") or None,
        namespace=text.get("namespace") or ctx.namespace or None,
        values_files=files,
        # the entry's own wins over --helm-kube-version/--helm-api-versions: Kustomize sets
        # the flags' values first and then decodes the entry over them
        kube_version=text.get("kubeVersion") or ctx.kube_version or None,
        api_versions=_string_list(chart.get("apiVersions"), "apiVersions", where) or ctx.api_versions,
        include_crds=_flag(chart, "includeCRDs"), skip_tests=_flag(chart, "skipTests"),
        skip_hooks=_flag(chart, "skipHooks"), name_template=text.get("nameTemplate") or None,
        devel=_flag(chart, "devel"), debug=_flag(chart, "debug") or ctx.debug,
    )
    config_home = as_text(g.get("configHome")) or None
    if config_home and not os.path.isabs(config_home):
        config_home = str(ctx.dir / config_home)
    objects = render_helm_chart(request, helm_command=ctx.helm_command, config_home=config_home,
                                cache_dir=ctx.cache_dir, where=where, label=f"helm chart {name!r}")
    for r in objects:
        r.origin.helm_generated = True
    return objects


# Plain words go-yaml v2 reads as booleans: Kustomize decodes a kustomization's
# valuesInline through sigs.k8s.io/yaml, so `enabled: yes` reaches helm as true.
YAML11_BOOLEANS = {w: v for v, words in ((True, "y Y yes Yes YES true True TRUE on On ON"),
                                        (False, "n N no No NO false False FALSE off Off OFF"))
                   for w in words.split()}


def values_inline_as_kustomize_reads(text: str, field: str, index: int, inline: Any) -> Any:
    """``inline`` (the parsed ``valuesInline`` of entry ``index`` of ``field`` in the
    kustomization ``text``) with each plain scalar go-yaml v2 reads as a boolean made one
    (``yes``, ``on``, ``n``...; keys become ``"true"``/``"false"``, as through JSON).
    Quoted and tagged scalars stay strings."""
    key = {"helmCharts": "valuesInline", "charts": "values"}.get(field, "valuesLocal")
    return _entry_value_as_yaml11(text, field, index, key, inline)


def values_as_helm_reads(text: str, values: Any) -> Any:
    """``values`` (parsed from the values file ``text``) as Helm reads that file: plain
    ``yes``, ``on``, ``n``... are booleans (go-yaml v2's YAML 1.1 words)."""
    if not isinstance(values, dict) or not any(w in text for w in YAML11_BOOLEANS):
        return values
    root = _compose_plain(text)
    return _as_yaml11(root, values, 0) if root is not None else values


def _entry_value_as_yaml11(text: str, field: str, index: int, key: str, value: Any) -> Any:
    """``value`` (``field[index].key`` of the overlay ``text``) with go-yaml v2's booleans."""
    if not isinstance(value, dict) or not any(w in text for w in YAML11_BOOLEANS):
        return value
    node = _inline_node(text, field, index, key)
    return _as_yaml11(node, value, 0) if node is not None else value


def _compose_plain(text: str) -> Any:
    """The YAML node tree of ``text``, plain scalars tagged ``!plain``; None if unreadable."""
    import yaml
    from yaml.nodes import ScalarNode

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Plain(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is ScalarNode and implicit[0]:
                return "!plain"  # a plain scalar without a tag
            return super().resolve(kind, value, implicit)

    try:
        return yaml.compose(text, Loader=Plain)
    except yaml.YAMLError:
        return None


def _inline_node(text: str, field: str, index: int, key: str) -> Any:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    root = _compose_plain(text)

    def child(node: Any, key: str) -> Any:
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and str(k.value).lower() == key.lower():
                    return v
        return None

    entries = child(root, field)
    if not isinstance(entries, SequenceNode) or index >= len(entries.value):
        return None
    return child(entries.value[index], key)


def _as_yaml11(node: Any, value: Any, depth: int) -> Any:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    if depth > 100:
        return value
    if isinstance(node, ScalarNode):
        if node.tag == "!plain" and isinstance(value, str) and value in YAML11_BOOLEANS:
            return YAML11_BOOLEANS[value]
        return value
    if isinstance(node, SequenceNode) and isinstance(value, list) and len(node.value) == len(value):
        return [_as_yaml11(n, v, depth + 1) for n, v in zip(node.value, value)]
    if isinstance(node, MappingNode) and isinstance(value, dict):
        nodes = {str(k.value): (k, v) for k, v in node.value if isinstance(k, ScalarNode)}
        out = {}
        for key, v in value.items():
            k_node, v_node = nodes.get(str(key), (None, None))
            if k_node is None:  # merged in from an alias ('<<'): left as read
                out[key] = v
                continue
            if k_node.tag == "!plain" and isinstance(key, str) and key in YAML11_BOOLEANS:
                key = "true" if YAML11_BOOLEANS[key] else "false"
            out[key] = _as_yaml11(v_node, v, depth + 1)
        return out
    return value


def _parse_values(data: bytes, name: str) -> dict[str, Any]:
    from ..yaml.read import load_documents

    try:
        docs = load_documents(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        raise KcompileError("values file is not UTF-8 text", name) from None
    values = docs[0].data if docs else {}
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise KcompileError("a values file must be a YAML map", name, docs[0].line)
    return values


def _flag(chart: dict[str, Any], key: str) -> bool:
    v = chart.get(key)
    return v is True or (isinstance(v, str) and v.lower() == "true")


def _string_list(value: Any, key: str, where: tuple) -> list[str]:
    from ..yaml.scalars import as_text

    if value is None:
        return []
    if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
        raise KcompileError(f"{key} must be a list of strings", *where)
    return [as_text(v) for v in value]
