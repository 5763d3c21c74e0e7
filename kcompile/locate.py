"""Source locations of fields, recovered only when a finding or error is reported.

A field's line is found by parsing the object's source again with node positions and
walking the field path — in the newest patch that sets the field if there is one, else
in the file the object came from (for chart output: the template, by the key's text).
Builds that report nothing never pay for this.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .model import Resource


@lru_cache(maxsize=256)
def _composed(path: str) -> list[Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return list(yaml.compose_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []


def _walk(node: Any, segments: list, body: Any) -> tuple[Any, int]:
    """Follow ``segments`` through composed nodes as far as they go; returns the deepest
    node reached and how many segments matched. ``body`` is the final object, used to
    match list items by name rather than position (patches reorder lists)."""
    import yaml

    depth = 0
    for seg in segments:
        if isinstance(seg, int):
            if not isinstance(node, yaml.SequenceNode):
                break
            item = body[seg] if isinstance(body, list) and -len(body) <= seg < len(body) else None
            target = None
            name = item.get("name") if isinstance(item, dict) else None
            if name is not None:
                for child in node.value:
                    if isinstance(child, yaml.MappingNode) and any(
                        k.value == "name" and getattr(v, "value", None) == str(name) for k, v in child.value
                    ):
                        target = child
                        break
            elif 0 <= seg < len(node.value):
                target = node.value[seg]
            if target is None:
                break
            node, body = target, item
        else:
            if not isinstance(node, yaml.MappingNode):
                break
            found = None
            for k, v in node.value:
                if getattr(k, "value", None) == seg:
                    found = (k, v)
                    break
            if found is None:
                break
            node = found
            body = body.get(seg) if isinstance(body, dict) else None
            # keep the key node for the line, descend into the value next time
            node = found[1]
            node._kc_key_line = found[0].start_mark.line + 1  # type: ignore[attr-defined]
        depth += 1
    return node, depth


def _line_in_doc(doc: Any, segments: list, body: Any) -> tuple[int | None, int]:
    node, depth = _walk(doc, segments, body)
    line = getattr(node, "_kc_key_line", None) or node.start_mark.line + 1
    return line, depth


def field_location(resource: Resource, segments: list) -> tuple[str | None, int | None]:
    """``(file, line)`` of the source that set a field (see module docstring)."""
    # The newest patch that sets the full path wins (identity fields come from the
    # object itself: a patch names them only to find its target).
    identity = segments[:2] in (["metadata", "name"], ["metadata", "namespace"]) or segments[:1] in (
        ["kind"], ["apiVersion"])
    for patch_file, patch_line in ([] if identity else reversed(resource.patched_by)):
        docs = _composed(patch_file) if patch_file else []
        for doc in docs:
            line, depth = _line_in_doc(doc, segments, resource.body)
            if segments and depth == len(segments) and (patch_line is None or line >= patch_line):
                return patch_file, line
    origin = resource.origin
    if origin is None:
        return None, None
    if origin.template:
        return origin.file, _template_line(origin.file, segments) or origin.line
    docs = _composed(origin.file)
    if origin.doc < len(docs):
        line, _ = _line_in_doc(docs[origin.doc], segments, resource.body)
        return origin.file, line
    return origin.file, origin.line


def _template_line(template: str, segments: list) -> int | None:
    """Best effort for chart output: the first template line holding the deepest key."""
    keys = [s for s in segments if isinstance(s, str)]
    if not keys:
        return None
    try:
        with open(template, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for key in reversed(keys):
        for i, text in enumerate(lines, 1):
            stripped = text.lstrip(" -")
            if stripped.startswith(f"{key}:") or f" {key}:" in text or f"{{{key}:" in text:
                return i
    return None
