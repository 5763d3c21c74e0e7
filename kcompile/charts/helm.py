"""Helm charts rendered by the ``helm`` binary (``helm template``), unchanged.

:func:`render_helm_chart` is the one entry point: Kustomize's ``helmCharts`` (and the
``HelmChartInflationGenerator`` builtin), and kcompile's own ``charts:`` entries that
point at a Helm chart, describe what to render as a :class:`HelmTemplate` and call it.

- helm runs with a minimal environment: no ``HELM_*`` variable of the caller (a
  ``HELM_NAMESPACE`` would change ``.Release.Namespace``), and config, cache and data
  homes in a fresh temporary directory, so output depends only on the chart, the values
  and the flags. ``helm template`` never contacts a cluster or the network for a chart
  on disk.
- Output is split on helm's ``---`` separators; each object's origin is the template its
  ``# Source:`` comment names.
- helm's errors are shown with the template file and line they name.
- With a cache directory, rendered objects are kept under a key of the chart's files,
  the values files, the flags and the helm binary (its real path, size and mtime),
  like Jinja charts' render cache.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..model import Origin, Resource
from .helmpath import INSTALL_HINT, find_helm, helm_identity

class HelmTemplate:
    """One ``helm template`` run: the chart (a directory or a packaged ``.tgz``), the
    release, the values files (lowest precedence first, after the chart's own
    ``values.yaml``), and helm's rendering flags."""

    def __init__(
        self,
        chart: Path,
        *,
        release: str | None = None,
        namespace: str | None = None,
        values_files: list[tuple[str, bytes]] | None = None,
        kube_version: str | None = None,
        api_versions: list[str] | tuple[str, ...] = (),
        include_crds: bool = False,
        skip_tests: bool = False,
        skip_hooks: bool = False,
        name_template: str | None = None,
        devel: bool = False,
        debug: bool = False,
    ) -> None:
        self.chart = chart
        self.release = release
        self.namespace = namespace
        # (name for messages, content): written to temporary files, passed as -f in order
        self.values_files = values_files or []
        self.kube_version = kube_version
        self.api_versions = list(api_versions)
        self.include_crds = include_crds
        self.skip_tests = skip_tests
        self.skip_hooks = skip_hooks
        self.name_template = name_template
        self.devel = devel
        self.debug = debug  # helm's --debug (kubectl kustomize --helm-debug): errors show the rendered text

    def args(self, values_paths: list[str]) -> list[str]:
        """helm's arguments, in the order Kustomize passes them."""
        args = ["template", self.release] if self.release else ["template", "--generate-name"]
        args.append(str(self.chart))
        if self.namespace:
            args += ["--namespace", self.namespace]
        if self.name_template:
            args += ["--name-template", self.name_template]
        for p in values_paths:
            args += ["-f", p]
        for v in self.api_versions:
            args += ["--api-versions", v]
        if self.kube_version:
            args += ["--kube-version", self.kube_version]
        for flag, on in (("--include-crds", self.include_crds), ("--skip-tests", self.skip_tests),
                         ("--no-hooks", self.skip_hooks), ("--devel", self.devel), ("--debug", self.debug)):
            if on:
                args.append(flag)
        return args


_VERSIONS: dict[str, str] = {}


def helm_version(helm: str, where: tuple = (None, None)) -> str:
    """``helm version --short`` (once per binary and process); helm v3 and v4 only, as
    Kustomize requires."""
    got = _VERSIONS.get(helm)
    if got is None:
        out = _run(helm, ["version", "--short"], None, where).decode("utf-8", "replace")
        m = re.search(r"v?(\d+)(\.\d+)+", out)
        if not m:
            raise KcompileError(f"cannot find a version in the output of '{helm} version --short': {out.strip()!r}",
                                *where)
        if m.group(1) not in ("3", "4"):
            raise KcompileError(f"Helm v3 or v4 is needed, {helm} is {m.group(0)}; {INSTALL_HINT}", *where)
        got = _VERSIONS[helm] = m.group(0)
    return got


def helm_environment(home: str, config_home: str | None = None) -> dict[str, str]:
    """The environment helm runs in: PATH and a locale from the caller, nothing else
    (no ``HELM_*`` variable, no kubeconfig); its homes under ``home`` unless Kustomize's
    ``configHome`` names one (then cache and data go below it, as Kustomize does)."""
    config = config_home or os.path.join(home, "helm")
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": home,
        "LANG": "C",
        "KUBECONFIG": os.path.join(home, "no-kubeconfig"),
        "HELM_CONFIG_HOME": config,
        "HELM_CACHE_HOME": os.path.join(config, ".cache"),
        "HELM_DATA_HOME": os.path.join(config, ".data"),
    }


def _run(helm: str, args: list[str], env: dict[str, str] | None, where: tuple,
         cwd: str | None = None) -> bytes:
    import subprocess

    try:
        proc = subprocess.run([helm, *args], capture_output=True, env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise KcompileError(f"cannot run {helm}: {e.strerror}; {INSTALL_HINT}", *where) from None
    if proc.returncode != 0:
        raise HelmFailed(proc.stderr.decode("utf-8", "replace"), args, proc.stdout.decode("utf-8", "replace"))
    return proc.stdout


class HelmFailed(Exception):
    """helm exited non-zero; ``stderr`` is what it said."""

    def __init__(self, stderr: str, args: list[str], stdout: str = "") -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.args_run = args
        self.stdout = stdout  # with --debug: what helm rendered before it failed


# "shop/templates/x.yaml:6:15", "(shop/charts/api/templates/x.yaml:1:3)", "on shop/crds/a.yaml:"
_TEMPLATE_REF = re.compile(r"([\w.-]+(?:/charts/[\w.-]+)*/(?:templates|crds)/[^\s:()]+)(?::(\d+))?")


MAX_DEBUG_LINES = 60  # of the rendered template an error shows with --helm-debug


def _rendered_section(stdout: str, template: str) -> str:
    """The text helm rendered for ``template`` (its ``# Source:`` section of ``stdout``),
    numbered, at most :data:`MAX_DEBUG_LINES` lines."""
    lines, found = [], False
    for line in stdout.splitlines():
        if line.startswith("# Source: "):
            found = line[len("# Source: "):].strip() == template
            continue
        if found and line != "---":
            lines.append(line)
    shown = "\n".join(f"  {i:4} | {ln}" for i, ln in enumerate(lines[:MAX_DEBUG_LINES], 1))
    more = f"\n  ... ({len(lines) - MAX_DEBUG_LINES} more lines)" if len(lines) > MAX_DEBUG_LINES else ""
    return shown + more


def helm_error(stderr: str, chart: Path, where: tuple, label: str, stdout: str = "") -> KcompileError:
    """helm's error as a kcompile error naming the template (file and line) it names;
    with ``--debug`` output (``stdout``), the text helm rendered for that template too."""
    lines = [ln.strip() for ln in stderr.strip().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(("Use --debug flag", "level=DEBUG", "level=INFO"))]
    text = " ".join(lines)
    if text.startswith("Error: "):
        text = text[len("Error: "):]
    m = _TEMPLATE_REF.search(text)
    if m and stdout:
        section = _rendered_section(stdout, m.group(1))
        if section:
            text += f"\nhelm rendered {m.group(1)} as (--helm-debug):\n{section}"
    if m and chart.is_dir():
        path = source_path(chart, m.group(1))
        if path is not None:
            return KcompileError(f"helm template failed for {label}: {_hide_values(text, path)}", path,
                                 int(m.group(2)) if m.group(2) else None)
    return KcompileError(f"helm template failed for {label}: {text}", *where)


_AUTHOR_MESSAGE = re.compile(r"execution error at \([^)]*\): ")


def _hide_values(text: str, template: Path) -> str:
    """helm's message about a template with the quoted words that came from values hidden
    (:func:`kcompile.charts.masking.template_message`); what ``fail``/``required`` say
    (after "execution error at (…): ") is the chart author's and stays as written."""
    from .masking import template_message

    try:
        source = template.read_text(encoding="utf-8", errors="replace")
    except OSError:
        source = ""
    m = _AUTHOR_MESSAGE.search(text)
    head, author = (text[:m.end()], text[m.end():]) if m else (text, "")
    return template_message(head, source + "\n" + " ".join(ref for ref, _ in _TEMPLATE_REF.findall(text))) + author


def source_path(chart: Path, source: str) -> Path | None:
    """The file a ``# Source: shop/templates/x.yaml`` comment names, inside ``chart``
    (a subchart under an alias has no directory of that name: None)."""
    parts = source.split("/")[1:]
    if not parts or ".." in parts:
        return None
    path = chart.joinpath(*parts)
    return path if path.is_file() else None


_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)


def parse_helm_output(text: str, chart: Path, label: str) -> list[Resource]:
    """helm's stdout -> objects, each with the template it came from as its origin."""
    from ..pipeline.session import resources_from_doc
    from ..yaml.read import load_documents

    out: list[Resource] = []
    fallback = str(chart / "Chart.yaml") if chart.is_dir() else str(chart)
    for index, chunk in enumerate(_SEPARATOR.split(text)):
        if not chunk.strip():
            continue
        m = re.search(r"^# Source: (.+)$", chunk, re.MULTILINE)
        source = m.group(1).strip() if m else None
        path = source_path(chart, source) if source and chart.is_dir() else None
        name = str(path) if path is not None else (f"{fallback} ({source})" if source else fallback)
        try:
            docs = load_documents(chunk, name)
        except KcompileError as e:
            raise KcompileError(f"helm's output for {label} is not valid YAML: {e.message}", name, e.line) from None
        for d in docs:
            if d.data is None:
                continue
            for r in resources_from_doc(d.data, name, d.line, index):
                r.origin = Origin(name, d.line, index, template=True)
                out.append(r)
    return out


def render_helm_chart(
    request: HelmTemplate,
    *,
    helm_command: str | None = None,
    config_home: str | None = None,
    cache_dir: Path | None = None,
    where: tuple = (None, None),
    label: str | None = None,
    cache_secrets: bool = True,
) -> list[Resource]:
    """Render ``request`` with helm into objects (see the module docstring).

    ``where`` is the (file, line) of the entry that asked for the chart (for errors
    that name no template); ``label`` names the chart in messages. With
    ``cache_secrets=False`` (values from the command line), a result holding a Secret is
    not cached: caches never keep a Secret value that is not in the repository's files."""
    label = label or f"chart {request.chart.name}"
    helm = find_helm(helm_command, where)
    key = _cache_key(request, helm, config_home) if cache_dir is not None else None
    if key is not None:
        from .render import _cache_get

        cached = _cache_get(cache_dir, key)
        if cached is not None:
            return cached
    helm_version(helm, where)
    text = run_helm_template(request, helm, config_home, where, label)
    result = parse_helm_output(text, request.chart, label)
    if key is not None and (cache_secrets or not any(r.kind == "Secret" for r in result)):
        from .render import _cache_put

        _cache_put(cache_dir, key, result)
    return result


def run_helm_template(request: HelmTemplate, helm: str, config_home: str | None, where: tuple,
                      label: str) -> str:
    """helm's stdout for ``request``; values files are written to a private temporary
    directory removed afterwards."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kcompile-helm-") as home:
        paths = []
        for i, (_name, content) in enumerate(request.values_files):
            p = os.path.join(home, f"values-{i}.yaml")
            with open(p, "wb") as f:
                f.write(content)
            paths.append(p)
        try:
            out = _run(helm, request.args(paths), helm_environment(home, config_home), where, cwd=home)
        except HelmFailed as e:
            raise helm_error(e.stderr.replace(home + os.sep, ""), request.chart, where, label,
                             e.stdout if request.debug else "") from None
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise KcompileError(f"helm's output for {label} is not UTF-8 text", *where) from None


def _cache_key(request: HelmTemplate, helm: str, config_home: str | None) -> str | None:
    from _blake2 import blake2b

    from ..cache.location import code_fingerprint

    identity = helm_identity(helm)
    if not identity:
        return None
    h = blake2b(digest_size=20)
    h.update(f"helm-{code_fingerprint()}\0{identity}\0{config_home or ''}\0".encode())
    h.update(repr(request.args([f"values-{i}" for i in range(len(request.values_files))])).encode())
    for _name, content in request.values_files:
        h.update(len(content).to_bytes(8, "little") + content)
    chart = request.chart
    files = sorted(p for p in chart.rglob("*") if p.is_file()) if chart.is_dir() else [chart]
    for path in files:
        rel = str(path.relative_to(chart)) if chart.is_dir() else path.name
        data = path.read_bytes()
        h.update(rel.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def values_file(values: Any) -> bytes:
    """Values as a file helm reads back exactly: JSON (a YAML subset without ambiguous
    scalars)."""
    from ..yaml.write import dump_json

    try:
        return dump_json(values if values is not None else {}).encode("utf-8")
    except ValueError:  # NaN or infinity: JSON cannot hold them, and Helm's values cannot either
        raise KcompileError("chart values hold a NaN or infinite number, which Helm cannot read") from None


def is_helm_chart(chart_dir: Path, meta: dict[str, Any]) -> bool:
    """A Helm chart (Go templates), not a Jinja one: ``apiVersion`` v1 or v2 in Chart.yaml
    and no ``*.j2`` template. A packaged chart (``.tgz``) is always a Helm chart."""
    if chart_dir.is_file():
        return True
    if str(meta.get("apiVersion", "")) not in ("v1", "v2"):
        return False
    templates = chart_dir / "templates"
    return not (templates.is_dir() and any(p.suffix == ".j2" for p in templates.rglob("*.j2")))
