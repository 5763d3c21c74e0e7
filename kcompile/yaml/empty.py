"""What the data model forgets about how a value was written, found again in the text.

Map keys written with no value at all (``tolerations:`` and nothing after it): both
readers give ``None`` for ``key:`` and for ``key: null``. Kustomize keeps both in an
object it only transforms, but its strategic merge drops keys written empty (not those
written ``null``) from every object a patch touches.

The written text of annotation values that are not strings (``createdAt:``, ``10``,
``Null``): Kustomize outputs every top-level annotation as the string it was written as.

Both are looked up only when needed (rare: the text is composed again then, once per file).
"""

from __future__ import annotations

from typing import Any

# A path segment: a map key, or a list item found by its name (list items move during
# a merge) or, without one, by its index.
Segment = Any


def empty_value_paths(text: str) -> dict[int, list[tuple[Segment, ...]]]:
    """For each document index of ``text``, the paths of keys written without a value."""
    out: dict[int, list[tuple[Segment, ...]]] = {}
    for index, node in enumerate(_documents(text)):
        found: list[tuple[Segment, ...]] = []
        _visit(node, (), found)
        if found:
            out[index] = found
    return out


def annotation_texts(text: str) -> dict[int, dict[str, str]]:
    """For each document index of ``text``, the written text of each plain (unquoted)
    scalar value in its top-level ``metadata.annotations``."""
    import yaml

    out: dict[int, dict[str, str]] = {}
    for index, node in enumerate(_documents(text)):
        found = {}
        annotations = _child(_child(node, "metadata"), "annotations")
        if isinstance(annotations, yaml.MappingNode):
            for key, value in annotations.value:
                if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode) and not value.style:
                    found[key.value] = value.value
        if found:
            out[index] = found
    return out


def _documents(text: str) -> list[Any]:
    """The node trees of the (non-empty) documents of ``text``; none if it is not YAML."""
    import yaml

    try:
        nodes = yaml.compose_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return [n for n in nodes if n is not None]
    except yaml.YAMLError:
        return []


def _child(node: Any, name: str) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return value
    return None


def _visit(node: Any, path: tuple, found: list) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if (isinstance(value, yaml.ScalarNode) and value.value == "" and not value.style
                    and value.tag == "tag:yaml.org,2002:null"):
                found.append(path + (key.value,))
            else:
                _visit(value, path + (key.value,), found)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _visit(item, path + (_item_segment(item, i),), found)


def _item_segment(item: Any, i: int) -> Segment:
    import yaml

    if isinstance(item, yaml.MappingNode):
        for key, value in item.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "name" and isinstance(value, yaml.ScalarNode):
                return ("name", value.value)
    return i


def has_none(value: Any) -> bool:
    """True if any map value inside ``value`` is None."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for x in v.values():
                if x is None:
                    return True
                if isinstance(x, (dict, list)):
                    stack.append(x)
        elif isinstance(v, list):
            stack.extend(x for x in v if isinstance(x, (dict, list)))
    return False


def drop_empty_values(body: Any, paths: list[tuple[Segment, ...]]) -> None:
    """Remove the keys at ``paths`` from ``body`` where they are still None."""
    for path in paths:
        node = body
        for seg in path[:-1]:
            node = _step(node, seg)
            if node is None:
                break
        if isinstance(node, dict) and path[-1] in node and node[path[-1]] is None:
            del node[path[-1]]


def _step(node: Any, seg: Segment) -> Any:
    if isinstance(seg, tuple):
        if isinstance(node, list):
            key, value = seg
            for item in node:
                if isinstance(item, dict) and str(item.get(key)) == value:
                    return item
        return None
    if isinstance(seg, int):
        return node[seg] if isinstance(node, list) and seg < len(node) else None
    return node.get(seg) if isinstance(node, dict) else None
