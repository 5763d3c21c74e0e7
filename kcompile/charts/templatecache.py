"""Rendered templates, cached one by one, keyed by the values each one read.

The whole-instance cache (:func:`.render.render_chart`) answers a build whose values did
not change at all. This one answers the common case of a change: an overlay sets one
image tag, and only the templates that read it render again; the others come from here,
and when none has to render, Jinja2 is not even imported.

For each template of a chart instance (chart files, release, namespace, capabilities and
chart metadata: the ``instance_key``), the cache keeps a *manifest*: the path sets (see
:mod:`.reads`) recent renders of it read, newest first. A lookup tries each: the entry
under the digest of a path set and what the current values hold there is the text (and
parsed documents) of a render that read exactly those paths with those values, so this
render would write the same. Entries are content-verified (``kcompile.cache.entries``);
nothing is unpickled.
"""

from __future__ import annotations

import os
from typing import Any

from .reads import reads_digest

_MANIFEST_SETS = 8  # distinct path sets remembered per template (overlays of one chart differ)


class TemplateCache:
    """Per-template rendered output of one chart instance, in ``cache_dir``."""

    def __init__(self, cache_dir: "str | os.PathLike[str]", instance_key: str, cache_secrets: bool = True) -> None:
        from ..cache.entries import Entries

        self.entries = Entries("template-renders", cache_dir)
        self.instance_key = instance_key
        self._manifests: dict[str, Any] = {}  # read by lookup, reused by store
        # False when values came from the command line: a render holding a Secret is not
        # kept then (caches never hold a Secret value that is not in the repository's files)
        self.cache_secrets = cache_secrets

    def _key(self, *parts: Any) -> str:
        from _blake2 import blake2b

        h = blake2b(digest_size=20)
        h.update(self.instance_key.encode())
        for p in parts:
            h.update(b"\0")
            h.update(p if isinstance(p, bytes) else str(p).encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def lookup(self, name: str, values: Any) -> "tuple[str, tuple[tuple, ...], list | None] | None":
        """(text, paths read, parsed documents or None) of an earlier render of template
        ``name`` that read what ``values`` holds, or None."""
        manifest = self._manifests[name] = self.entries.load(self._key("manifest", name))
        if not isinstance(manifest, list):
            return None
        for paths in manifest:
            if not isinstance(paths, tuple):
                return None
            digest = reads_digest(values, paths)
            if digest is None:
                return None
            got = self.entries.load(self._key("render", name, digest))
            if isinstance(got, tuple) and len(got) == 3 and isinstance(got[0], str) and got[1] == paths:
                return got
        return None

    def store(self, name: str, values: Any, text: str, paths: "set[tuple]", documents: "list | None") -> None:
        """Keep the render of ``name`` that read ``paths`` and wrote ``text``."""
        if not self.cache_secrets and any(isinstance(d[0], dict) and d[0].get("kind") == "Secret"
                                          for d in documents or ()):
            return
        ordered = tuple(sorted(paths, key=repr))
        digest = reads_digest(values, ordered)
        if digest is None:
            return
        self.entries.store(self._key("render", name, digest), (text, ordered, documents))
        manifest_key = self._key("manifest", name)
        manifest = self._manifests[name] if name in self._manifests else self.entries.load(manifest_key)
        sets = [ordered] + [p for p in manifest if p != ordered][:_MANIFEST_SETS - 1] \
            if isinstance(manifest, list) else [ordered]
        self.entries.store(manifest_key, sets)
