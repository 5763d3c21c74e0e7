"""Walking field specs over JSON-shaped objects (Kustomize's fieldspec semantics).

A path is a tuple of map keys; a list met along the way is walked element by element
with the rest of the path. With ``create``, missing intermediate maps are created and
the setter is called for a missing final field too.
"""

from __future__ import annotations

from typing import Any, Callable

from .fieldspecs import FieldSpec

# setter(parent_map, key) -> None; reads parent_map.get(key) and writes parent_map[key]
Setter = Callable[[dict[str, Any], str], None]


def walk(node: Any, path: tuple[str, ...], setter: Setter, create: bool = False) -> None:
    """Call ``setter(parent, key)`` for every place ``path`` names in ``node``."""
    while True:
        if isinstance(node, list):
            rest = path
            for item in node:
                walk(item, rest, setter, create)
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
            if not create:
                return
            child = node[key] = {}
        node = child
        path = path[1:]


def apply_specs(
    body: dict[str, Any],
    group: str,
    version: str,
    kind: str,
    specs: list[FieldSpec] | tuple[FieldSpec, ...],
    setter: Setter,
) -> None:
    """Apply ``setter`` at every field spec that selects this object's kind."""
    for spec in specs:
        if spec.selects(group, version, kind):
            walk(body, spec.path, setter, spec.create)


def get_path(body: Any, path: tuple[str, ...] | list[str]) -> Any:
    """The value at a map path, or None (no list walking)."""
    node = body
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
