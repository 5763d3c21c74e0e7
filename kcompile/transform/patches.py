"""patches, patchesStrategicMerge, patchesJson6902: apply patches to selected objects.

A patch is strategic-merge or JSON 6902, told apart as Kustomize does (a YAML/JSON list
of operations is JSON 6902; maps are strategic-merge documents). Without a target, a
strategic-merge patch applies to the object with its own id (current or any previous
id); with a target, to every object the selector picks. A target that matches nothing is
a warning (Kustomize ignores it silently, and real repositories rely on that: a base
shared by overlays that lack some objects); a patch without a target that names no
object is an error, as in Kustomize.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import KcompileError, LazyLine
from ..model import Resource, ResId, deep_copy, split_api_version
from .selectors import ResourceIndex, Target
from ..yaml.read import load_documents
from ..yaml.scalars import Document


class Patch(LazyLine):
    """A parsed patch: strategic-merge documents or JSON 6902 operations, where it was
    declared, its target selector and options. For an inline patch ``line`` is found on
    first use (that composes the overlay file again: a build whose patches all apply never
    needs it)."""

    def __init__(self, file: str, line: int | None | Callable[[], int | None], smp: list[Document] | None = None,
                 ops: list[dict[str, Any]] | None = None, target: Target | None = None,
                 allow_name_change: bool = False, allow_kind_change: bool = False, source: str = "") -> None:
        self.file = file  # the patch file, or the overlay for inline patches
        self._line = line  # or a callable finding it, for an inline patch (see ``line``)
        self.smp = smp
        self.ops = ops
        self.target = target
        self.allow_name_change = allow_name_change
        self.allow_kind_change = allow_kind_change
        self.source = source
        self.declared: tuple = (file, line)  # the overlay entry declaring the patch

    @property
    def line_finder(self) -> int | None | Callable[[], int | None]:
        """The line, or the callable that finds it, without finding it."""
        return self._line

    def target_error(self, message: str) -> KcompileError:
        return KcompileError(message, *self.declared)


def parse_patch(
    text: str,
    file: str,
    line: int | None,
    *,
    inline: bool,
    target: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    force_json6902: bool = False,
    docs: list[Document] | None = None,
) -> Patch:
    """Parse patch text into a :class:`Patch` (strategic-merge or JSON 6902).
    ``docs``, if given, are the already parsed documents of ``text``. ``line`` (of an
    inline patch) may be a callable that finds it: a JSON 6902 patch calls it only for a
    message."""
    find_line = line if callable(line) else (lambda: line)
    try:
        if docs is None:
            docs = load_documents(text, file)
    except KcompileError as e:
        if inline and e.line is not None and find_line() is not None:
            e.line = find_line() + e.line  # inline text starts on the line after 'patch: |'
        raise
    if not docs:
        raise KcompileError("empty patch", file, line)
    if inline and not (isinstance(docs[0].data, list) or force_json6902):
        line = find_line()  # strategic-merge documents carry their lines
        for d in docs:
            d.line = (line or 0) + d.line
    options = options or {}
    patch = Patch(
        file=file,
        line=line if inline else docs[0].line,
        target=Target(target, file, line) if target else None,
        allow_name_change=bool(options.get("allowNameChange")),
        allow_kind_change=bool(options.get("allowKindChange")),
        source="inline patch" if inline else file,
    )
    first = docs[0].data
    if isinstance(first, list) or force_json6902:
        if not isinstance(first, list):
            raise KcompileError("a JSON 6902 patch must be a list of operations", file, patch.line)
        for op in first:
            if not isinstance(op, dict) or "op" not in op or "path" not in op:
                raise KcompileError("each JSON 6902 operation needs 'op' and 'path'", file, patch.line)
        patch.ops = first
        return patch
    for d in docs:
        if not isinstance(d.data, dict):
            raise KcompileError("a strategic-merge patch must be a YAML map", file, d.line)
    patch.smp = docs
    return patch


def _patch_id(doc: dict[str, Any]) -> ResId:
    group, version = split_api_version(str(doc.get("apiVersion") or ""))
    md = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return ResId(group, version, str(doc.get("kind") or ""), str(md.get("namespace") or ""), str(md.get("name") or ""))


def _matches_any_id(r: Resource, pid: ResId) -> bool:
    """Kustomize's GetMatchingResourcesByAnyId(patchId.Equals)."""
    group, version = split_api_version(r.api_version)
    if (group, version) != (pid.group, pid.version):
        return False
    pns = pid.namespace or "default"
    from ..model import CLUSTER_SCOPED_NS

    from ..fields.specs import is_cluster_scoped

    # The id of a cluster-scoped kind has no namespace to compare (Kustomize's
    # EffectiveNamespace): a patch that names one anyway still matches.
    cur_ns = r.effective_namespace()
    if r.kind == pid.kind and r.name == pid.name and (cur_ns == pns or cur_ns == CLUSTER_SCOPED_NS):
        return True
    for kind, ns, name in r.previous:
        if kind == pid.kind and name == pid.name and (
                ns == pns or ns == CLUSTER_SCOPED_NS or is_cluster_scoped(group, kind)):
            return True
    return False


SmpFunc = Callable[[dict, dict, Any, str, int | None], dict | None]


def apply_patch(resources: list[Resource], patch: Patch, merge: "StrategicMerger",
                index: ResourceIndex | None = None,
                warn: Callable[[KcompileError], None] | None = None) -> list[Resource]:
    """Apply one patch; returns the resource list (objects a patch deleted removed).
    ``index`` (a :class:`ResourceIndex` of ``resources``, kept up to date here) finds the
    objects a patch selects without a scan of every object. A target that matches
    nothing is given to ``warn`` (raised without it)."""
    if index is None:
        index = ResourceIndex(resources)
    if patch.ops is not None:
        return _apply_json6902(resources, patch, index, warn)
    assert patch.smp is not None
    deleted = False
    if patch.target is not None:
        if len(patch.smp) > 1:
            raise KcompileError(
                "a patches entry with a target may hold only one strategic-merge document", patch.file, patch.line
            )
        selected = index.select(patch.target)
        if not selected:
            _no_match(patch, warn)
        for r in selected:
            deleted |= _apply_smp(r, patch.smp[0], patch, merge, warn)
        index.refresh(selected)
    else:
        for doc in patch.smp:
            pid = _patch_id(doc.data)
            found = [r for r in index.candidates(name=pid.name) if r.body and _matches_any_id(r, pid)]
            if not found:
                raise KcompileError(
                    f"no object matches strategic-merge patch for {pid.kind}/{pid.name}"
                    + (f" in namespace {pid.namespace}" if pid.namespace else ""),
                    patch.file, doc.line,
                )
            if len(found) > 1:
                ids = ", ".join(str(r.id()) for r in found)
                raise KcompileError(f"strategic-merge patch matches several objects: {ids}", patch.file, doc.line)
            deleted |= _apply_smp(found[0], doc, patch, merge, warn)
            index.refresh(found)
    # Only a patch that deleted an object costs a pass over the list (a scan after every
    # patch made N patches over N objects quadratic: 3 million checks at N=1000).
    return [r for r in resources if r.body] if deleted else resources


def _apply_smp(r: Resource, doc: Document, patch: Patch, merge: "StrategicMerger",
               warn: Callable[[KcompileError], None] | None = None) -> bool:
    """Patch ``r`` in place; True if the patch deleted it (``$patch: delete``)."""
    name, ns, kind, api_version = r.name, r.namespace, r.kind, r.body.get("apiVersion")
    if patch.allow_name_change or patch.allow_kind_change:
        r.store_previous()
    body = deep_copy(doc.data)
    result = merge(r, body, patch.file, doc.line, warn)
    r.patched_by.append((patch.file, doc.line))
    if result is None:
        r.body = {}
        return True
    merge.drop_empty_values(r, result)
    r.body = result
    md = r.metadata
    # The object keeps its apiVersion whatever the patch says (Kustomize gives the patch
    # the object's group and version before merging: a v1beta1 patch of a v1 object).
    if api_version is None:
        r.body.pop("apiVersion", None)
    else:
        r.body["apiVersion"] = api_version
    if not patch.allow_kind_change:
        r.body["kind"] = kind
    if not patch.allow_name_change:
        md["name"] = name
    if ns:
        md["namespace"] = ns
    else:
        md.pop("namespace", None)
    return not r.body


def _no_match(patch: Patch, warn: Callable[[KcompileError], None] | None) -> None:
    assert patch.target is not None
    problem = patch.target_error(f"patch target matches no object ({patch.target.describe()}); the patch is not applied")
    if warn is None:
        raise problem
    warn(problem)


def _apply_json6902(resources: list[Resource], patch: Patch, index: ResourceIndex,
                    warn: Callable[[KcompileError], None] | None = None) -> list[Resource]:
    from ..patch.json6902 import apply_json6902

    if patch.target is None:
        raise patch.target_error("a JSON 6902 patch needs a 'target'")
    selected = index.select(patch.target)
    if not selected:
        _no_match(patch, warn)
    for r in selected:
        r.store_previous()
        r.body = apply_json6902(r.body, patch.ops or [], file=patch.file, line=patch.line_finder)
        r.patched_by.append((patch.file, patch.line_finder))
    index.refresh(selected)
    return resources


class StrategicMerger:
    """Applies strategic-merge patches with merge keys from the Kubernetes schemas
    (loaded once, lazily, on the first patch)."""

    def __init__(self, kube_version: str | None = None,
                 source_text: Callable[[str], str | None] | None = None) -> None:
        self.kube_version = kube_version
        self._schemas: Any = None
        self.pending_openapi: list[tuple[dict, str]] = []
        self.pending_crds: list[tuple[dict, str]] = []
        self.source_text = source_text  # the text the build read from a file, if any
        self._empty_values: dict[str, dict[int, list[tuple]]] = {}

    def drop_empty_values(self, r: Resource, body: dict) -> None:
        """Kustomize's merge drops the keys a patched object's file wrote with no value
        (``tolerations:``), not those written ``null``; both read as None."""
        origin = r.origin
        if origin is None or origin.template or self.source_text is None:
            return
        from ..yaml.empty import drop_empty_values, empty_value_paths, has_none

        if not has_none(body):
            return
        by_doc = self._empty_values.get(origin.file)
        if by_doc is None:
            text = self.source_text(origin.file)
            by_doc = self._empty_values[origin.file] = empty_value_paths(text) if text else {}
        paths = by_doc.get(origin.doc)
        if paths:
            drop_empty_values(body, paths)

    @property
    def schemas(self) -> Any:
        if self._schemas is None:
            from ..patch.schema import SchemaSet

            self._schemas = SchemaSet.load(self.kube_version)
            for doc, f in self.pending_openapi:
                self._schemas.add_openapi(doc, f)
            for doc, f in self.pending_crds:
                self._schemas.add_crd(doc, f)
        return self._schemas

    def add_openapi(self, doc: dict, file: str) -> None:
        if self._schemas is not None:
            self._schemas.add_openapi(doc, file)
        else:
            self.pending_openapi.append((doc, file))

    def add_crd(self, doc: dict, file: str) -> None:
        if self._schemas is not None:
            self._schemas.add_crd(doc, file)
        else:
            self.pending_crds.append((doc, file))

    def __call__(self, r: Resource, patch: dict, file: str, line: int | None,
                 warn: Callable[[KcompileError], None] | None = None) -> dict | None:
        from ..patch.strategic import collapse_repeated_items, strategic_merge

        schema = self.schemas.type_for(r.api_version, r.kind)
        base = deep_copy(r.body)
        collapsed = collapse_repeated_items(base, schema)
        if collapsed and warn is not None:
            where = ", ".join(collapsed[:3]) + (f" (+{len(collapsed) - 3} more)" if len(collapsed) > 3 else "")
            warn(KcompileError(
                f"{r.kind}/{r.name} has list items with the same merge key ({where}); as Kustomize's "
                "strategic merge does, only the last of each is kept, at the first one's place",
                file, line))
        return strategic_merge(base, patch, schema, file=file, line=line, warn=warn)
