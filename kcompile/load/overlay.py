"""The overlay file: finding it, reading it, checking its fields.

A directory is an overlay when it holds ``kcompile.yaml``, ``kustomization.yaml``,
``kustomization.yml`` or ``Kustomization``. Every field of Kustomize v5's
kustomization is accepted; kcompile adds ``charts`` and ``chartValues``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..yaml.read import load_documents

OVERLAY_FILES = ("kcompile.yaml", "kustomization.yaml", "kustomization.yml", "Kustomization")

# Fields kcompile implements, with Kustomize's semantics unless noted.
SUPPORTED_FIELDS = frozenset({
    "apiVersion", "kind", "metadata",
    "resources", "bases", "components", "crds", "openapi",
    "namespace", "namePrefix", "nameSuffix",
    "commonLabels", "labels", "commonAnnotations",
    "images", "imageTags", "replicas",
    "configMapGenerator", "secretGenerator", "generatorOptions",
    "patches", "patchesStrategicMerge", "patchesJson6902",
    "replacements", "sortOptions", "buildMetadata",
    "configurations", "vars", "transformers", "generators", "validators",
    # kcompile's own
    "charts", "chartValues",
    "helmCharts", "helmGlobals", "helmChartInflationGenerator",
})
# Kustomize fields kcompile knows but does not implement: a clear error, never ignored.
# (None today; kept so that a field refused in future gets its message here.)
UNSUPPORTED_FIELDS: dict[str, str] = {}


def find_overlay_file(directory: Path) -> Path | None:
    """The overlay file in ``directory``; an error if there are several."""
    found = [directory / n for n in OVERLAY_FILES if (directory / n).is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise KcompileError(f"found several overlay files ({names}); keep one", found[1])
    return found[0] if found else None


class OverlayFile:
    """A parsed overlay file. Numbers keep their written text (``newTag: 1.10``)."""

    def __init__(self, path: Path, text: str, docs: list | None = None) -> None:
        self.path = path
        self.dir = path.parent
        self.text = text
        if docs is None:
            docs = load_documents(text, str(path), keep_text=True)
        if len(docs) > 1:
            raise KcompileError("an overlay file holds one YAML document, found several", path, docs[1].line)
        data = docs[0].data if docs else None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise KcompileError("an overlay file must be a YAML map of fields", path, 1)
        if all(v is None or v == "" or v is False for k, v in data.items() if k not in ("apiVersion", "kind")):
            # Kustomize's rule: no field set besides apiVersion/kind is an error, not "nothing"
            raise KcompileError(f"{path.name} is empty: it sets no field (resources, patches, ...)", path, 1)
        self.data: dict[str, Any] = data
        self._lines: dict[tuple, int] | None = None
        self._written: dict[str, str] = {}  # field name -> the spelling in the file
        self._check_fields()
        self.is_component = self.data.get("kind") == "Component"

    def get(self, key: str, default: Any = None) -> Any:
        v = self.data.get(key)
        return default if v is None else v

    def _canonical_names(self) -> None:
        """Field names match case-insensitively, as Kustomize's (JSON) decoding does:
        ``patchesJSON6902`` is ``patchesJson6902``, and inside the typed entries too
        (``fieldpath`` in a replacement's source is ``fieldPath``). Keys are renamed in
        place, in order."""
        if not all(k in SUPPORTED_FIELDS for k in self.data):
            self._canonical_top_names()
        for pattern, names in NESTED_FIELDS:
            for _, entry in _matching(self.data, pattern.split(".")):
                if isinstance(entry, dict) and not all(k in names for k in entry):
                    _rename_case_insensitively(entry, names)

    def _canonical_top_names(self) -> None:
        by_lower = {k.lower(): k for k in (*SUPPORTED_FIELDS, *UNSUPPORTED_FIELDS)}
        renamed: dict[str, Any] = {}
        for key, value in self.data.items():
            name = by_lower.get(str(key).lower(), key) if isinstance(key, str) else key
            if name != key:
                if name in renamed or name in self.data:
                    raise self.error(f"field {name!r} is given twice (as {key!r} too)", key)
                self._written[name] = key
            renamed[name] = value
        self.data.clear()
        self.data.update(renamed)

    def line_of(self, *path: Any) -> int | None:
        """The line of a field (``line_of('patches', 2, 'target')``), found only when an
        error needs it: the file is composed again with node positions."""
        if self._lines is None:
            self._lines = _key_lines(self.text)
        if path and path[0] in self._written:
            path = (self._written[path[0]], *path[1:])
        while path:
            line = self._lines.get(tuple(path))
            if line is not None:
                return line
            path = path[:-1]
        return None

    def where(self, *path: Any) -> tuple[Path, Any]:
        """``(file, line)`` of a field for error messages; the line is found lazily."""
        return (self.path, lambda: self.line_of(*path))

    def error(self, message: str, *path: Any) -> KcompileError:
        return KcompileError(message, self.path, self.line_of(*path) if path else None)

    def _check_fields(self) -> None:
        self._canonical_names()
        for key in self.data:
            if key in SUPPORTED_FIELDS:
                continue
            if key in UNSUPPORTED_FIELDS:
                raise self.error(f"field {key!r} is not supported: {UNSUPPORTED_FIELDS[key]}", key)
            import difflib

            known = sorted(SUPPORTED_FIELDS | set(UNSUPPORTED_FIELDS))
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if not close:
                close = [k for k in known if k.lower() == str(key).lower()]
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.error(f"unknown field {key!r} in {self.path.name}{hint}", key)
        for pattern, shape in FIELD_SHAPES:
            for path, value in _matching(self.data, pattern.split(".")):
                if value is None or _SHAPE_OK[shape](value):
                    continue
                dotted = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
                raise self.error(f"{dotted!r} must be {shape}, found {_shape_of(value)}", *path)


# The field names of the typed entries inside an overlay's fields ('*': any list item),
# for matching them case-insensitively as Kustomize's decoding does. Maps of the user's
# keys (labels, values, patch contents) are not listed: their keys stay as written.
_SELECTOR = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
_GENERATOR = ("name", "namespace", "behavior", "files", "literals", "envs", "env", "options", "type")
_GENERATOR_OPTIONS = ("labels", "annotations", "disableNameSuffixHash", "immutable")
_IMAGE = ("name", "newName", "newTag", "digest", "tagSuffix")
_REPLACE_OPTIONS = ("delimiter", "index", "create")
NESTED_FIELDS: tuple[tuple[str, frozenset[str]], ...] = tuple((k, frozenset(v)) for k, v in (
    ("patches.*", ("path", "patch", "target", "options")),
    ("patches.*.target", _SELECTOR),
    ("patches.*.options", ("allowNameChange", "allowKindChange")),
    ("patchesJson6902.*", ("path", "patch", "target")),
    ("patchesJson6902.*.target", _SELECTOR),
    ("images.*", _IMAGE),
    ("imageTags.*", _IMAGE),
    ("replicas.*", ("name", "count")),
    ("replacements.*", ("path", "source", "targets")),
    ("replacements.*.source", (*_SELECTOR, "fieldPath", "options")),
    ("replacements.*.source.options", _REPLACE_OPTIONS),
    ("replacements.*.targets.*", ("select", "reject", "fieldPaths", "options")),
    ("replacements.*.targets.*.select", _SELECTOR),
    ("replacements.*.targets.*.reject.*", _SELECTOR),
    ("replacements.*.targets.*.options", _REPLACE_OPTIONS),
    ("labels.*", ("pairs", "includeSelectors", "includeTemplates", "fields")),
    ("configMapGenerator.*", _GENERATOR),
    ("secretGenerator.*", _GENERATOR),
    ("configMapGenerator.*.options", _GENERATOR_OPTIONS),
    ("secretGenerator.*.options", _GENERATOR_OPTIONS),
    ("generatorOptions", _GENERATOR_OPTIONS),
    ("vars.*", ("name", "objref", "fieldref")),
    ("vars.*.objref", ("kind", "name", "namespace", "apiVersion", "group", "version")),
    ("vars.*.fieldref", ("fieldpath",)),
    ("sortOptions", ("order", "legacySortOptions")),
    ("sortOptions.legacySortOptions", ("orderFirst", "orderLast")),
    ("helmGlobals", ("chartHome", "configHome")),
))


def _rename_case_insensitively(entry: dict, names: frozenset[str]) -> None:
    """Rename ``entry``'s keys to their canonical spelling; of two spellings of one field
    the later wins, as in Go's decoding."""
    by_lower = {n.lower(): n for n in names}
    renamed: dict[str, Any] = {}
    for key, value in entry.items():
        name = by_lower.get(key.lower(), key) if isinstance(key, str) else key
        renamed.pop(name, None)
        renamed[name] = value
    entry.clear()
    entry.update(renamed)


# The shape of every overlay field whose value has one (Kustomize reads the file into
# typed structures, so a map where a string belongs is an error there too). '*' is any
# list item or map value. A string field takes any scalar: numbers keep their written
# text (``newTag: 1.10``). A null is an absent field.
_TEXT_FIELDS = ("name", "namespace", "behavior", "env", "type")
_TARGET = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
FIELD_SHAPES: tuple[tuple[str, str], ...] = (
    *((k, "a list") for k in ("resources", "bases", "components", "crds", "patchesStrategicMerge",
                             "patchesJson6902", "patches", "configMapGenerator", "secretGenerator",
                             "replacements", "charts", "images", "imageTags", "replicas", "labels",
                             "buildMetadata", "helmCharts", "helmChartInflationGenerator", "configurations",
                             "vars", "transformers", "generators", "validators")),
    *((k, "a map") for k in ("commonLabels", "commonAnnotations", "generatorOptions", "generatorOptions.labels",
                            "generatorOptions.annotations", "chartValues", "chartValues.*", "sortOptions",
                            "sortOptions.legacySortOptions", "openapi", "labels.*", "labels.*.pairs",
                            "helmGlobals")),
    *((k, "a string") for k in ("namespace", "namePrefix", "nameSuffix", "commonLabels.*", "commonAnnotations.*",
                               "generatorOptions.labels.*", "generatorOptions.annotations.*", "labels.*.pairs.*",
                               "resources.*", "bases.*", "components.*", "crds.*", "buildMetadata.*",
                               "patchesStrategicMerge.*", "sortOptions.order", "openapi.path")),
    *((f"{k}.*", "a map") for k in ("images", "imageTags", "replicas", "patches", "patchesJson6902", "charts",
                                    "configMapGenerator", "secretGenerator")),
    *((f"{k}.*.{f}", "a string") for k in ("images", "imageTags")
      for f in ("name", "newName", "newTag", "digest", "tagSuffix")),
    ("replicas.*.name", "a string"),
    *((f"{k}.*.{f}", "a string") for k in ("patches", "patchesJson6902") for f in ("path", "patch")),
    *((f"{k}.*.target", "a map") for k in ("patches", "patchesJson6902")),
    *((f"{k}.*.target.{f}", "a string") for k in ("patches", "patchesJson6902") for f in _TARGET),
    ("patches.*.options", "a map"),
    *((f"{g}.*.{f}", "a string") for g in ("configMapGenerator", "secretGenerator") for f in _TEXT_FIELDS),
    *((f"{g}.*.{f}", "a list") for g in ("configMapGenerator", "secretGenerator")
      for f in ("literals", "files", "envs", "envVars")),
    *((f"{g}.*.{f}.*", "a string") for g in ("configMapGenerator", "secretGenerator")
      for f in ("literals", "files", "envs", "envVars")),
    *((f"{g}.*.options{f}", "a map") for g in ("configMapGenerator", "secretGenerator")
      for f in ("", ".labels", ".annotations")),
    *((f"{g}.*.options.{f}.*", "a string") for g in ("configMapGenerator", "secretGenerator")
      for f in ("labels", "annotations")),
    *((f"sortOptions.legacySortOptions.{f}", "a list") for f in ("orderFirst", "orderLast")),
    *((f"charts.*.{f}", "a string") for f in ("chart", "release", "namespace")),
    ("charts.*.valuesFiles", "a list"), ("charts.*.valuesFiles.*", "a string"), ("charts.*.values", "a map"),
)
_SHAPE_OK = {
    "a list": lambda v: isinstance(v, list),
    "a map": lambda v: isinstance(v, dict),
    "a string": lambda v: not isinstance(v, (dict, list)),
}


def _shape_of(value: Any) -> str:
    return "a map" if isinstance(value, dict) else "a list" if isinstance(value, list) else "a scalar"


def _matching(data: Any, parts: list[str], path: tuple = ()):
    """(path, value) of every field of ``data`` matching the dotted pattern ``parts``."""
    if not parts:
        yield path, data
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = enumerate(data) if isinstance(data, list) else data.items() if isinstance(data, dict) else ()
        for k, v in items:
            yield from _matching(v, rest, path + (k,))
    elif isinstance(data, dict) and head in data:
        yield from _matching(data[head], rest, path + (head,))


def _key_lines(text: str) -> dict[tuple, int]:
    """Map every field path in a one-document YAML text to its 1-based line."""
    import yaml

    lines: dict[tuple, int] = {}
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return lines

    def visit(n: Any, path: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                p = path + (k.value,)
                lines.setdefault(p, k.start_mark.line + 1)
                visit(v, p)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                p = path + (i,)
                lines.setdefault(p, v.start_mark.line + 1)
                visit(v, p)

    if node is not None:
        visit(node, ())
    return lines
