"""One build's shared state: its files, parse cache, strategic merger, environment,
the include chain (for cycle checks) and the schemas its overlays declared; and reading
overlay and resource files into objects.

Owns no stage: accumulation, charts, generators and transformers receive a :class:`Build`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from ..errors import KcompileError
from ..load.files import Files
from ..load.overlay import OverlayFile, find_overlay_file
from ..model import Origin, Resource
from ..options import BuildOptions


class Build:
    """State shared by one build: files, schemas, the overlay chain for cycle checks."""

    def __init__(self, options: BuildOptions, repo_root: Path) -> None:
        from ..cache.parsed import ParseCache
        from ..transform.patches import StrategicMerger

        self.options = options
        self.repo_root = repo_root  # where state (kcompile.lock) goes; never what is read
        self.files = Files(options.load_restrictor)
        self.cache_dir = options.caches()
        self.cache = ParseCache(self.cache_dir)
        self.merger = StrategicMerger(options.kube_version, source_text=self.source_text)
        self.env = RecordingEnv(options.env if options.env is not None else os.environ)
        self.chain: list[Path] = []
        self.releases: list[str] = []  # chart instances rendered so far, for chartValues/--set typos
        self.crds: list[tuple[dict, str]] = []
        self.openapi: list[tuple[dict, str]] = []
        # helmCharts' default namespace: the nearest kustomization's 'namespace' on the chain
        self.helm_namespaces: list[str] = []
        self.chart_lock: Any = None  # kcompile.lock, read when a repository chart is met

    def source_text(self, file: str) -> str | None:
        """The text of a file this build read (for the strategic merger), else None."""
        seen = self.files.seen.get(file)
        if seen is None:
            return None
        data = seen[1]  # (file identity, content)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else data

    def warn(self, warning: KcompileError) -> None:
        """Report what Kustomize accepts but is likely a mistake (on stderr, where the
        build cache keeps it with the output); an error with ``strict``."""
        if self.options.strict:
            warning.message += " (an error with --strict)"
            raise warning
        import sys

        sys.stderr.write(f"kcompile: warning: {warning.format()}\n")

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
            out.extend(resources_from_doc(doc.data, str(path), doc.line, doc.index))
        return out


def add_all(resources: list[Resource], new: list[Resource], where: tuple,
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


def resources_from_doc(data: Any, file: str, line: int, index: int) -> list[Resource]:
    """One YAML document -> objects; a ``kind: List`` is expanded into its items."""
    if not isinstance(data, dict):
        raise KcompileError("a resource document must be a YAML map", file, line)
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        out = []
        for item in data["items"]:
            out.extend(resources_from_doc(item, file, line, index))
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


class RecordingEnv:
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
