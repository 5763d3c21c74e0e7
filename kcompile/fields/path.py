"""Walking field specs over JSON-shaped objects (Kustomize's fieldspec semantics).

A path is a tuple of map keys; a list met along the way is walked element by element
with the rest of the path. With ``create``, missing intermediate maps are created and
the setter is called for a missing final field too.
"""

from __future__ import annotations

from typing import Any, Callable

from .specs import FieldSpec

# setter(parent_map, key) -> None; reads parent_map.get(key) and writes parent_map[key]
Setter = Callable[[dict[str, Any], str], None]


def walk(node: Any, path: tuple[str, ...], setter: Setter, create: bool = False,
         lists: frozenset[int] = frozenset(), depth: int = 0) -> None:
    """Call ``setter(parent, key)`` for every place ``path`` names in ``node``.
    ``lists`` are the positions (counted from ``depth``) of fields that hold lists:
    like Kustomize, ``create`` never makes one (a StatefulSet without
    volumeClaimTemplates gets none)."""
    while True:
        if isinstance(node, list):
            for item in node:
                walk(item, path, setter, create, lists, depth)
            return
        if not isinstance(node, dict):
            return
        key = path[0]
        if len(path) == 1:
            if create or key in node:
                setter(node, key)
            return
        child = node.get(key)
        if child is None:
            if not create or depth in lists:
                return
            child = node[key] = {}
        node = child
        path = path[1:]
        depth += 1


class SpecIndex:
    """A field-spec table with the specs selecting each kind memoized."""

    def __init__(self, specs: list[FieldSpec] | tuple[FieldSpec, ...]) -> None:
        self.specs = tuple(specs)
        self._by_kind: dict[tuple[str, str, str], tuple[FieldSpec, ...]] = {}

    def for_kind(self, group: str, version: str, kind: str) -> tuple[FieldSpec, ...]:
        key = (group, version, kind)
        got = self._by_kind.get(key)
        if got is None:
            got = self._by_kind[key] = tuple(s for s in self.specs if s.selects(group, version, kind))
        return got

    def apply(self, body: dict[str, Any], group: str, version: str, kind: str, setter: Setter) -> None:
        """Call ``setter`` at every spec of this table that selects the object's kind."""
        for spec in self.for_kind(group, version, kind):
            walk(body, spec.path, setter, spec.create, spec.lists)


def get_path(body: Any, path: tuple[str, ...] | list[str]) -> Any:
    """The value at a map path, or None (no list walking)."""
    node = body
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
