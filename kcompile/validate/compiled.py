"""A compiled form of the Kubernetes schemas that answers "is this object valid?"
without jsonschema-rs.

Why: importing jsonschema-rs and loading the 1.8 MB definitions file into its registry
costs 40-70 ms, more than Kustomize needs for a whole small build. The Kubernetes
schemas use a small part of JSON Schema (``type``, ``properties``,
``additionalProperties``, ``items``, ``required``, ``enum``, ``oneOf``, ``$ref``;
``format`` is an annotation in draft 2020-12), so they compile into a table of tuples,
cached with marshal in the user's cache directory, that a short Python function walks.

The answer is only a fast path: an object this check finds invalid (or cannot judge:
a non-string key, a value of a type JSON has not) is validated again by jsonschema-rs,
which writes the messages; a test compares both on generated objects. Custom kinds
(CRD and OpenAPI schemas users give) always go to jsonschema-rs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

FORMAT = 2

NULL, BOOLEAN, INTEGER, NUMBER, STRING, ARRAY, OBJECT = 1, 2, 4, 8, 16, 32, 64
_TYPE_BITS = {"null": NULL, "boolean": BOOLEAN, "integer": INTEGER, "number": NUMBER,
              "string": STRING, "array": ARRAY, "object": OBJECT}
_VALIDATING = {"type", "properties", "additionalProperties", "items", "required", "enum", "oneOf", "$ref"}

# A node: (types, properties, additional, items, required, enum, one_of, refs)
#   types       bit mask of allowed JSON types, 0 = any
#   properties  {name: node} or None
#   additional  None (anything), False (nothing), or a node
#   items       node or None
#   required    tuple of names or None
#   enum        tuple of (type bit, value) or None
#   one_of      tuple of nodes or None
#   refs        tuple of nodes also to satisfy ($ref beside other keywords) or None
Node = tuple


class Unjudged(Exception):
    """The value holds something the compiled check does not judge (a non-string key,
    a non-JSON type): ask jsonschema-rs."""


class CompiledSchemas:
    def __init__(self, nodes: list[Node], kinds: dict[tuple[str, str], int]) -> None:
        self.nodes = nodes
        self.kinds = kinds  # (apiVersion, kind) -> root node

    def has(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self.kinds

    def is_valid(self, api_version: str, kind: str, value: Any) -> bool:
        """True if the object is valid; False if it is not, or if it cannot be judged
        here (then jsonschema-rs decides)."""
        try:
            return _valid(self.nodes, self.kinds[(api_version, kind)], value)
        except (Unjudged, RecursionError):
            return False


def _type_bit(v: Any) -> int:
    if v is None:
        return NULL
    t = type(v)
    if t is str:
        return STRING
    if t is bool:
        return BOOLEAN
    if t is int:
        return INTEGER | NUMBER
    if t is float:
        return (INTEGER | NUMBER) if v.is_integer() else NUMBER
    if t is dict:
        return OBJECT
    if t is list:
        return ARRAY
    raise Unjudged(t.__name__)


def _valid(nodes: list[Node], n: int, v: Any) -> bool:
    types, props, additional, items, required, enum, one_of, refs = nodes[n]
    bit = _type_bit(v)
    if types and not types & bit:
        return False
    if enum is not None and not any((eb & bit) and ev == v for eb, ev in enum):
        return False
    if bit == OBJECT:
        if required is not None:
            for key in required:
                if key not in v:
                    return False
        if props is not None or additional is not None:
            for key, x in v.items():
                if type(key) is not str:
                    raise Unjudged("key")
                p = props.get(key) if props is not None else None
                if p is not None:
                    if not _valid(nodes, p, x):
                        return False
                elif additional is False:
                    return False
                elif additional is not None and not _valid(nodes, additional, x):
                    return False
        else:
            for key in v:
                if type(key) is not str:
                    raise Unjudged("key")
    elif bit == ARRAY and items is not None:
        for x in v:
            if not _valid(nodes, items, x):
                return False
    if one_of is not None and sum(1 for o in one_of if _valid(nodes, o, v)) != 1:
        return False
    if refs is not None:
        for r in refs:
            if not _valid(nodes, r, v):
                return False
    return True


class _Compiler:
    """Definitions and kind schemas -> node table. A ``$ref`` alone becomes the node
    it names (compiled once per definition, so recursive types are fine)."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.nodes: list[Node | None] = []
        self.by_def: dict[str, int] = {}

    def definition(self, name: str) -> int:
        if name in self.by_def:
            return self.by_def[name]
        if name not in self.definitions:
            raise KeyError(name)
        n = self.by_def[name] = len(self.nodes)
        self.nodes.append(None)  # placeholder while its fields compile
        self.nodes[n] = self._node(self.definitions[name])
        return n

    def ref(self, ref: str) -> int:
        return self.definition(ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~"))

    def compile(self, schema: Any) -> int:
        if isinstance(schema, dict) and "$ref" in schema and not (set(schema) - {"$ref"}) & _VALIDATING:
            return self.ref(schema["$ref"])
        n = len(self.nodes)
        self.nodes.append(None)
        self.nodes[n] = self._node(schema)
        return n

    def _node(self, s: Any) -> Node:
        if s is False:
            return (0, None, None, None, None, (), None, None)  # no value is valid
        if not isinstance(s, dict):
            return (0, None, None, None, None, None, None, None)
        t = s.get("type")
        types = 0
        for name in ([t] if isinstance(t, str) else t or []):
            types |= _TYPE_BITS[name]
        props = {k: self.compile(v) for k, v in s["properties"].items()} if isinstance(s.get("properties"), dict) else None
        a = s.get("additionalProperties")
        additional = None if a is None or a is True else (False if a is False else self.compile(a))
        items = self.compile(s["items"]) if isinstance(s.get("items"), dict) else None
        required = tuple(s["required"]) if s.get("required") else None
        enum = tuple((_type_bit(e), e) for e in s["enum"]) if isinstance(s.get("enum"), list) else None
        one_of = tuple(self.compile(o) for o in s["oneOf"]) if isinstance(s.get("oneOf"), list) else None
        refs = (self.ref(s["$ref"]),) if isinstance(s.get("$ref"), str) else None
        return (types, props, additional, items, required, enum, one_of, refs)


def _kind_files(directory: Path) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> schema, for exactly the kinds jsonschema-rs's path finds a
    file for (``schemas._kind_file``: one file name per group's first label and version)."""
    import json

    from .schemas import _kind_file

    kinds: dict[tuple[str, str], dict] = {}
    for path in sorted(directory.glob("*.json")):
        if path.name.startswith("_") or path.name == "all.json":
            continue
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            group, version, kind = gvk.get("group", ""), gvk.get("version"), gvk.get("kind")
            api = f"{group}/{version}" if group else version
            if kind and version and (api, kind) not in kinds and _kind_file(directory, api, kind) == path:
                kinds[(api, kind)] = schema
    return kinds


def compile_directory(directory: Path) -> CompiledSchemas:
    """Compile kubernetes-validate's strict schema directory for one version."""
    import json

    with open(directory / "_definitions.json", encoding="utf-8") as f:
        raw = json.load(f)
    comp = _Compiler(raw.get("$defs") or raw.get("definitions") or {})
    kinds = {key: comp.compile(schema) for key, schema in _kind_files(directory).items()}
    assert all(n is not None for n in comp.nodes)
    return CompiledSchemas(comp.nodes, kinds)  # type: ignore[arg-type]


def load(directory: Path, cache_dir: "Path | None" = None) -> CompiledSchemas:
    """The compiled schemas of ``directory``, from the cache (content-verified entries in
    ``cache_dir``, default the user's cache directory) when it holds them for the same
    installed file (size and mtime of the definitions), else compiled and cached."""
    from ..cache.entries import Entries

    st = (directory / "_definitions.json").stat()
    entries = Entries("schemas", cache_dir)
    key = (f"compiled-schemas-v{FORMAT}-{directory.name}-{st.st_size}-{st.st_mtime_ns}"
           f"-py{sys.version_info[0]}{sys.version_info[1]}")
    stored = entries.load(key)
    if isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], list) and isinstance(stored[1], dict):
        return CompiledSchemas(*stored)
    compiled = compile_directory(directory)
    entries.store(key, (compiled.nodes, compiled.kinds))
    return compiled
