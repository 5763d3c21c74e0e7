"""The resource model every build stage operates on.

A :class:`Resource` is a Kubernetes object as plain Python data (``dict``/``list``/
``str``/``int``/``float``/``bool``/``None``: exactly what JSON can hold) plus what later
stages need to know about it: where it came from, which names it had before
prefixes/suffixes/hashes were added (for name-reference updates and patch matching),
and whether a generator made it. Stages never re-parse text another stage produced.
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple


# Stands for "no namespace" in ids of cluster-scoped objects (never a valid namespace).
CLUSTER_SCOPED_NS = "_non_namespaceable_"


class ResId(NamedTuple):
    """The identity of an object: group/version/kind/namespace/name."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def gvk(self) -> tuple[str, str, str]:
        return (self.group, self.version, self.kind)

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name} ({self.api_version})"


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> ``("apps", "v1")``; ``v1`` -> ``("", "v1")``."""
    group, sep, version = api_version.rpartition("/")
    return (group, version) if sep else ("", api_version)


class _Record:
    """Small value classes without the import cost of dataclasses (start-up time)."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]


class Origin(_Record):
    """Where an object's text came from: a file and the line its document starts on.

    ``doc`` is the index of the document in a multi-document file. ``template`` is set
    for objects rendered from a chart template (then ``file`` is the template).
    ``helm_generated`` marks objects of Kustomize's ``helmCharts``: as in Kustomize, the
    namespace transformer leaves them alone (helm's templates set their namespaces).
    ``generated`` marks objects a generator entry made (``file``:``line`` is the entry;
    there is no document of the object to find fields in).
    """

    __slots__ = ("file", "line", "doc", "template", "helm_generated", "generated")

    def __init__(self, file: str, line: int = 1, doc: int = 0, template: bool = False,
                 helm_generated: bool = False, generated: bool = False) -> None:
        self.file = file
        self.line = line
        self.doc = doc
        self.template = template
        self.helm_generated = helm_generated
        self.generated = generated


class GeneratorInfo(_Record):
    """How a generator made a ConfigMap/Secret (drives hashing and merging)."""

    __slots__ = ("kind", "behavior", "hash_suffix", "file", "line", "sources")

    def __init__(
        self,
        kind: str,
        behavior: str = "create",  # create | merge | replace
        hash_suffix: bool = True,  # generatorOptions.disableNameSuffixHash inverted
        file: str | None = None,  # the overlay file that declared it
        line: int | None = None,
        sources: dict[str, tuple[str | None, int | None]] | None = None,  # data key -> (file, line) that set it
    ) -> None:
        self.kind = kind
        self.behavior = behavior
        self.hash_suffix = hash_suffix
        self.file = file
        self.line = line
        self.sources = sources if sources is not None else {}


class Resource(_Record):
    """One Kubernetes object flowing through the build.

    ``previous`` lists the ``(kind, namespace, name)`` ids the object had before each
    rename (oldest first), like Kustomize's ``config.kubernetes.io/previousNames``
    build annotations; name references and patch targets match any of them.
    ``patched_by`` records ``(file, line)`` of each patch applied, newest last, so
    that findings can point at the patch that last touched a field. ``prefixes`` and
    ``suffixes`` are the namePrefix/nameSuffix values applied, in order. ``vars``
    names the ``vars`` entries whose value this object provides. ``set_by`` records
    ``(overlay file, field path in it, pairs)`` for each ``commonLabels``/``labels``/
    ``commonAnnotations`` entry that set keys in the object, so a finding on such a key
    points at the overlay line that set it.
    """

    __slots__ = ("body", "origin", "previous", "generator", "patched_by", "prefixes", "suffixes", "vars",
                 "set_by")

    def __init__(
        self,
        body: dict[str, Any],
        origin: Origin | None = None,
        previous: list[tuple[str, str, str]] | None = None,
        generator: GeneratorInfo | None = None,
        patched_by: list[tuple[str, int | None]] | None = None,
        prefixes: list[str] | None = None,
        suffixes: list[str] | None = None,
        vars: list[str] | None = None,
        set_by: list[tuple[str, tuple, dict[str, str]]] | None = None,
    ) -> None:
        self.body = body
        self.origin = origin
        self.previous = previous if previous is not None else []
        self.generator = generator
        self.patched_by = patched_by if patched_by is not None else []
        self.prefixes = prefixes if prefixes is not None else []
        self.suffixes = suffixes if suffixes is not None else []
        self.vars = vars if vars is not None else []
        self.set_by = set_by if set_by is not None else []

    # -- identity -------------------------------------------------------------------
    @property
    def api_version(self) -> str:
        v = self.body.get("apiVersion")
        return v if isinstance(v, str) else ""

    @property
    def kind(self) -> str:
        v = self.body.get("kind")
        return v if isinstance(v, str) else ""

    @property
    def metadata(self) -> dict[str, Any]:
        md = self.body.get("metadata")
        if not isinstance(md, dict):
            md = {}
            self.body["metadata"] = md
        return md

    @property
    def name(self) -> str:
        md = self.body.get("metadata")
        v = md.get("name") if isinstance(md, dict) else None
        return v if isinstance(v, str) else ""

    @property
    def namespace(self) -> str:
        md = self.body.get("metadata")
        v = md.get("namespace") if isinstance(md, dict) else None
        return v if isinstance(v, str) else ""

    def id(self) -> ResId:
        group, version = split_api_version(self.api_version)
        return ResId(group, version, self.kind, self.namespace, self.name)

    def original_id(self) -> ResId:
        """The id as first loaded, before any rename."""
        if not self.previous:
            return self.id()
        kind, ns, name = self.previous[0]
        group, version = split_api_version(self.api_version)
        return ResId(group, version, kind, ns, name)

    def all_ids(self) -> Iterator[ResId]:
        """The current id and every previous one (newest first)."""
        yield self.id()
        group, version = split_api_version(self.api_version)
        for kind, ns, name in reversed(self.previous):
            yield ResId(group, version, kind, ns, name)

    # -- renames ----------------------------------------------------------------------
    def store_previous(self) -> None:
        """Remember the current id (kind, effective namespace, name), as Kustomize's
        ``StorePreviousId`` does before a transformer may rename the object."""
        self.previous.append((self.kind, self.effective_namespace(), self.name))

    def effective_namespace(self) -> str:
        """'' for cluster-scoped kinds, 'default' for an unset namespace."""
        from .fields.specs import is_cluster_scoped

        if is_cluster_scoped(split_api_version(self.api_version)[0], self.kind):
            return CLUSTER_SCOPED_NS
        return self.namespace or "default"

    def rename(self, name: str | None = None, namespace: str | None = None) -> None:
        """Change name and/or namespace, remembering the old id."""
        old = (self.kind, self.namespace, self.name)
        md = self.metadata
        if name is not None:
            md["name"] = name
        if namespace is not None:
            md["namespace"] = namespace
        if (self.kind, self.namespace, self.name) != old:
            self.previous.append(old)

    def labels(self) -> dict[str, Any]:
        v = self.metadata.get("labels")
        return v if isinstance(v, dict) else {}

    def annotations(self) -> dict[str, Any]:
        v = self.metadata.get("annotations")
        return v if isinstance(v, dict) else {}

    def copy(self) -> "Resource":
        return Resource(
            body=deep_copy(self.body),
            origin=self.origin,
            previous=list(self.previous),
            generator=self.generator,
            patched_by=list(self.patched_by),
            prefixes=list(self.prefixes),
            suffixes=list(self.suffixes),
            vars=list(self.vars),
            set_by=list(self.set_by),
        )

    def where(self) -> tuple[str | None, int | None]:
        """``(file, line)`` of the object's source, for error messages."""
        if self.origin is None:
            return (None, None)
        return (self.origin.file, self.origin.line)


def deep_copy(value: Any) -> Any:
    """Copy JSON-shaped data; several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value
