"""How to build an overlay: the options every command that builds shares.

Kept apart from ``build.py`` so that a run answered from the build cache never imports
the build pipeline.
"""

from __future__ import annotations

import os


class BuildOptions:
    """How to build: load restrictor, Kubernetes version, chart value overrides, and the
    environment secretGenerator ``envVars`` read (default: ``os.environ``)."""

    def __init__(
        self,
        load_restrictor: str = "rootOnly",
        kube_version: str | None = None,
        set_values: "tuple[str, ...] | list[str]" = (),
        env: "dict[str, str] | None" = None,
        repo_root: "os.PathLike[str] | None" = None,
        use_cache: bool = True,
        cache_dir: "os.PathLike[str] | None" = None,
    ) -> None:
        self.use_cache = use_cache  # parsed-file and build-output caches in .kcompile/cache
        self.cache_dir = cache_dir  # default: <repo root>/.kcompile/cache
        self.load_restrictor = load_restrictor
        self.kube_version = kube_version
        self.set_values = set_values
        self.env = env
        self.repo_root = repo_root
        # Bases' accumulated resources, reused by the other overlays built with these
        # options (build._SubBuild); None: not kept (one overlay: copying would only cost).
        self.sub_builds: dict | None = None
        # A --set naming a release the build does not render is an error; not so when
        # one --set serves several overlays (or the other side of a diff).
        self.set_needs_release = True

    def for_several_overlays(self) -> "BuildOptions":
        """A copy that keeps shared bases' results between the overlays built with it."""
        import copy

        shared = copy.copy(self)
        shared.sub_builds = {}
        shared.set_needs_release = False
        return shared
