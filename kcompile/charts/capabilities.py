"""``capabilities`` in chart templates: the Kubernetes version and API versions a chart
renders for, Helm's ``.Capabilities``, taken from the schemas of ``--kube-version``.

``capabilities.kube_version`` prints as ``v1.37.0`` and has ``version``, ``major``,
``minor`` and ``git_version``; ``capabilities.api_versions.has("apps/v1")`` and
``has("apps/v1/Deployment")`` are true when the schemas of that Kubernetes version define
the group/version (or the kind in it), or when ``--api-versions`` names it, as with
``helm template --api-versions``. The schemas are read only if a template asks.
"""

from __future__ import annotations

from typing import Iterator


class KubeVersion:
    """The Kubernetes version, e.g. ``v1.37.0`` (``major`` "1", ``minor`` "37")."""

    def __init__(self, version: str) -> None:
        parts = version.lstrip("v").split(".")
        self.version = "v" + ".".join(parts)
        self.git_version = self.version
        self.major = parts[0]
        self.minor = parts[1] if len(parts) > 1 else "0"

    def __str__(self) -> str:
        return self.version


class APIVersions:
    """The API group/versions (``apps/v1``) and kinds in them (``apps/v1/Deployment``)."""

    def __init__(self, kube_version: str | None, extra: tuple[str, ...] = ()) -> None:
        self._kube_version = kube_version
        self._extra = tuple(extra)
        self._known: frozenset[str] | None = None

    def _all(self) -> frozenset[str]:
        if self._known is None:
            from ..patch.schema import default_schemas

            known = set(self._extra)
            for key in default_schemas(self._kube_version).gvks:
                api_version, _, kind = key.partition("|")
                known.add(api_version)
                known.add(f"{api_version}/{kind}")
            self._known = frozenset(known)
        return self._known

    def has(self, api_version: str) -> bool:
        return str(api_version) in self._all()

    def __contains__(self, api_version: object) -> bool:
        return self.has(str(api_version))

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._all()))


class Capabilities:
    """``capabilities`` in templates (see the module docstring)."""

    def __init__(self, kube_version: str | None = None, api_versions: tuple[str, ...] = ()) -> None:
        from ..patch.schema import normalize_version

        version = normalize_version(kube_version)
        self.kube_version = KubeVersion(version)
        self.api_versions = APIVersions(kube_version, api_versions)
