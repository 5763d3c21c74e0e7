"""How to build an overlay: the options every command that builds shares.

Kept apart from ``build.py`` so that a run answered from the build cache never imports
the build pipeline.
"""

from __future__ import annotations

import os


class BuildOptions:
    """How to build: load restrictor, Kubernetes version, chart value overrides, the
    environment secretGenerator ``envVars`` read (default: ``os.environ``), and whether
    warnings are errors (``strict``)."""

    def __init__(
        self,
        load_restrictor: str = "rootOnly",
        kube_version: str | None = None,
        set_values: "tuple[str, ...] | list[str]" = (),
        env: "dict[str, str] | None" = None,
        repo_root: "os.PathLike[str] | None" = None,
        use_cache: bool = True,
        cache_dir: "os.PathLike[str] | None" = None,
        api_versions: "tuple[str, ...] | list[str]" = (),
        enable_helm: bool = False,
        helm_command: str = "helm",
        helm_kube_version: "str | None" = None,
        helm_api_versions: "tuple[str, ...] | list[str]" = (),
        helm_debug: bool = False,
        fetch_charts: bool = False,
        fetch_remotes: bool = False,
        update_remotes: "tuple[str, ...] | None" = None,
        vendor_dir: "str | None" = None,
        strict: bool = False,
    ) -> None:
        self.use_cache = use_cache  # the caches (parsed files, rendered charts, whole builds)
        self.cache_dir = cache_dir  # default: the user's cache directory (cache.location.cache_root)
        self.load_restrictor = load_restrictor
        self.kube_version = kube_version
        self.api_versions = tuple(api_versions)  # more `capabilities.api_versions` for charts, as helm's -a
        self.set_values = set_values
        self.env = env
        self.repo_root = repo_root
        # Kustomize's helmCharts need enable_helm (--enable-helm); helm_command renders
        # them and kcompile's own charts: that are Helm charts. helm_kube_version and
        # helm_api_versions override the helmCharts entries' kubeVersion/apiVersions.
        self.enable_helm = enable_helm
        self.helm_command = helm_command
        self.helm_kube_version = helm_kube_version
        self.helm_api_versions = tuple(helm_api_versions)
        self.helm_debug = helm_debug
        self.fetch_charts = fetch_charts  # `kcompile vendor`: pull repository charts not pinned yet
        self.plain_http = False  # `kcompile vendor --plain-http`: oci:// registries over plain HTTP
        self.fetch_remotes = fetch_remotes  # `kcompile vendor`: fetch remote bases not pinned yet
        # `kcompile vendor --update [URL…]`: fetch these again even if pinned (() = every one)
        self.update_urls = update_remotes
        self.vendor_dir = vendor_dir  # where `kcompile vendor` puts remote bases (default .kcompile/vendor/remotes)
        self.strict = strict  # build warnings (a patch target matching nothing) are errors
        # Bases' accumulated resources, reused by the other overlays built with these
        # options (pipeline.subbuilds.SubBuild); None: not kept (one overlay: copying would only cost).
        self.sub_builds: dict | None = None

    def caches(self) -> "str | None":
        """The directory this build's caches live in; None with ``use_cache`` off or when
        there is no usable cache directory."""
        if not self.use_cache:
            return None
        if self.cache_dir is not None:
            return os.fspath(self.cache_dir)
        from .cache.location import cache_root

        return cache_root()

    def update_remotes(self, url: str) -> bool:
        return self.update_urls is not None and (not self.update_urls or url in self.update_urls)

    def for_several_overlays(self) -> "BuildOptions":
        """A copy that keeps shared bases' results between the overlays built with it."""
        import copy

        shared = copy.copy(self)
        shared.sub_builds = {}
        return shared
