"""Source locations of fields, recovered only when a finding or error is reported.

A field's line is found by parsing the object's source again with node positions and
walking the field path — in the newest patch that sets the field if there is one, else
in the file the object came from (for chart output: the template, by the key's text).
Builds that report nothing never pay for this.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..model import Resource


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
    """``(file, line)`` of the source that set a field.

    The newest patch in ``resource.patched_by`` that sets the field (or, for a JSON 6902
    patch, an operation whose path is the field or one of its parents) wins; inline
    patches point into the overlay file. Otherwise the object's own source: the line of
    the deepest key of ``segments`` present there (a missing field points at its nearest
    parent), in the document the object came from (an item of a ``List`` included), or
    in the chart template. ``(None, None)`` when the object has no origin.
    """
    # Identity fields come from the object itself: a patch names them only to find
    # its target.
    identity = segments[:2] in (["metadata", "name"], ["metadata", "namespace"]) or segments[:1] in (
        ["kind"], ["apiVersion"])
    if segments and resource.set_by:
        found = _set_by_transformer(resource, segments)
        if found is not None:
            return found
    if not identity and segments:
        for patch_file, patch_line in reversed(resource.patched_by):
            if not patch_file:
                continue
            if callable(patch_line):  # an inline JSON 6902 patch's line, found now
                patch_line = patch_line()
            line = _line_in_patch(patch_file, patch_line, segments, resource.body)
            if line is not None:
                return patch_file, line
    origin = resource.origin
    if origin is None:
        return None, None
    gen = resource.generator
    if gen is not None and len(segments) >= 2 and segments[0] in ("data", "binaryData", "stringData"):
        source = gen.sources.get(str(segments[1]))
        if source is not None and source[0]:
            return source  # the literal, env file line or file entry that set the key
    if origin.generated:
        return origin.file, origin.line  # the generator entry
    if origin.template:
        return origin.file, _template_line(origin.file, segments, resource.body, origin.doc) or origin.line
    doc = _origin_document(resource)
    if doc is None:
        return origin.file, origin.line
    line, _ = _line_in_doc(doc, segments, resource.body)
    return origin.file, line


def _set_by_transformer(resource: Resource, segments: list) -> tuple[str, int | None] | None:
    """The overlay line of the ``commonLabels``/``labels``/``commonAnnotations`` entry that
    set the key a finding is about (the newest one whose value the field still has)."""
    key = segments[-1]
    if not isinstance(key, str):
        return None
    value: Any = resource.body
    for seg in segments:
        value = value.get(seg) if isinstance(value, dict) else None
    for file, path, pairs in reversed(resource.set_by):
        if pairs.get(key) == value and value is not None:
            return file, _overlay_line(file, path + (key,))
    return None


def _overlay_line(file: str, path: tuple) -> int | None:
    """The line of ``path`` in an overlay file (its top-level field named in any case,
    as Kustomize reads field names)."""
    import yaml

    docs = [d for d in _composed(file) if d is not None]
    if not docs or not isinstance(docs[0], yaml.MappingNode):
        return None
    doc = docs[0]
    head = str(path[0]).lower()
    for k, v in doc.value:
        if str(getattr(k, "value", "")).lower() == head:
            node, depth = _walk(v, list(path[1:]), None)
            if depth == len(path) - 1:
                return getattr(node, "_kc_key_line", None) or node.start_mark.line + 1
            return k.start_mark.line + 1
    return None


def _origin_document(resource: Resource) -> Any:
    """The composed node of the object's own document (or List item)."""
    import yaml

    origin = resource.origin
    assert origin is not None
    docs = _composed(origin.file)
    doc = next((d for d in docs if d is not None and d.start_mark.line + 1 == origin.line), None)
    if doc is None and origin.doc < len(docs):
        doc = docs[origin.doc]
    if isinstance(doc, yaml.MappingNode):
        items = next((v for k, v in doc.value if getattr(k, "value", None) == "items"), None)
        if isinstance(items, yaml.SequenceNode):  # kind: List - find the item by name
            names = {resource.name} | {name for _, _, name in resource.previous}
            for item in items.value:
                meta = _child(item, "metadata")
                name = _child(meta, "name")
                if getattr(name, "value", None) in names:
                    return item
    return doc


def _child(node: Any, key: str) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _line_in_patch(patch_file: str, patch_line: int | None, segments: list, body: Any) -> int | None:
    """The line in a patch that sets the field, or None if the patch does not set it."""
    for doc, offset in _patch_documents(patch_file, patch_line):
        ops = _json6902_ops(doc)
        if ops is not None:
            line = _line_in_ops(ops, segments, body)
        else:
            line, depth = _line_in_doc(doc, segments, body)
            if depth != len(segments):
                line = None
        if line is not None:
            return line + offset
    return None


def _patch_documents(patch_file: str, patch_line: int | None) -> list[tuple[Any, int]]:
    """The composed documents of the patch declared at ``patch_file:patch_line``, each
    with the number of lines to add to its line numbers. An inline patch (a block
    scalar in the overlay) is parsed from the scalar's text."""
    import yaml

    docs = [d for d in _composed(patch_file) if d is not None]
    if patch_line is not None:
        scalar = None
        for d in docs:
            scalar = _block_scalar_at(d, patch_line)
            if scalar is not None:
                break
        if scalar is not None:
            try:
                inner = list(yaml.compose_all(scalar.value, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
            except yaml.YAMLError:
                return []
            # content starts on the line after the '|' indicator
            return [(d, scalar.start_mark.line + 1) for d in inner if d is not None]
        here = [d for d in docs if d.start_mark.line + 1 <= patch_line <= d.end_mark.line + 1]
        if here:
            return [(d, 0) for d in here]
    return [(d, 0) for d in docs]


def _block_scalar_at(node: Any, line: int) -> Any:
    """A literal/folded scalar whose content spans ``line`` (1-based), if any."""
    import yaml

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.ScalarNode) and n.style in ("|", ">"):
            if n.start_mark.line + 1 <= line <= n.end_mark.line + 1:
                return n
    return None


def _json6902_ops(doc: Any) -> list | None:
    import yaml

    if not isinstance(doc, yaml.SequenceNode) or not doc.value:
        return None
    if not all(isinstance(op, yaml.MappingNode) and _child(op, "op") is not None for op in doc.value):
        return None
    return doc.value


def _pointer(text: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in text.split("/")[1:]] if text else []


def _line_in_ops(ops: list, segments: list, body: Any) -> int | None:
    """The last operation that writes the field or a parent of it: the line of the
    deepest key of its value that lies on the field path, else of its ``path``."""
    for op in reversed(ops):
        kind = getattr(_child(op, "op"), "value", None)
        if kind not in ("add", "replace", "copy", "move"):
            continue
        path_node = _child(op, "path")
        target = _pointer(getattr(path_node, "value", "") or "")
        if len(target) > len(segments):
            continue
        if not all(t == str(s) or (t == "-" and isinstance(s, int)) for t, s in zip(target, segments)):
            continue
        value = _child(op, "value")
        if value is None:
            return path_node.start_mark.line + 1
        node: Any = body
        for s in segments[: len(target)]:
            node = node[s] if isinstance(node, (dict, list)) and _has(node, s) else None
        rest = segments[len(target):]
        if not rest:
            return value.start_mark.line + 1 if kind in ("add", "replace") else path_node.start_mark.line + 1
        line, _ = _line_in_doc(value, rest, node)
        return line
    return None


def _has(node: Any, seg: Any) -> bool:
    if isinstance(node, dict):
        return seg in node
    return isinstance(seg, int) and -len(node) <= seg < len(node)


_KEY = re.compile(r"""(?:-\s+)*(?:"([^"]*)"|'([^']*)'|([^\s#'"{}\[\],][^:#{}]*?))\s*:(?:\s|$)""")


class _TemplateLine:
    __slots__ = ("number", "indent", "key_indent", "dash", "key", "text")

    def __init__(self, number: int, raw: str) -> None:
        self.number = number
        stripped = raw.lstrip(" ")
        self.indent = len(raw) - len(stripped)
        self.dash = stripped.startswith("- ") or stripped == "-"
        rest = stripped
        while rest.startswith("- ") or rest == "-":
            rest = rest[1:].lstrip(" ")
        self.key_indent = len(raw) - len(rest)
        m = _KEY.match(rest)
        self.key = next((g for g in m.groups() if g is not None), None) if m else None
        self.text = rest


def _template_lines(template: str, doc: int) -> list[_TemplateLine]:
    """The YAML-looking lines of one document of a template: Jinja statement and
    comment lines, YAML comments and blank lines left out."""
    try:
        with open(template, encoding="utf-8") as f:
            raw_lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    docs: list[list[_TemplateLine]] = [[]]
    for n, raw in enumerate(raw_lines, 1):
        stripped = raw.strip()
        if stripped == "---" or stripped.startswith("--- "):
            docs.append([])
            continue
        if not stripped or stripped.startswith(("{%", "{#", "#")):
            continue
        docs[-1].append(_TemplateLine(n, raw))
    docs = [d for d in docs if d]
    if not docs:
        return []
    # Documents made by a loop cannot be told apart in the template: use the first.
    return docs[doc] if 0 <= doc < len(docs) else docs[0]


def _template_line(template: str, segments: list, body: Any = None, doc: int = 0) -> int | None:
    """Best effort for chart output, whose rendered text is not kept: follow the field
    path through the template's lines by indentation (Jinja lines skipped), and return
    the line of the deepest key found. List items are matched by a literal
    ``name: X``, else by position when the template lists as many items as the output,
    else the only item (a loop)."""
    lines = _template_lines(template, doc)
    if not lines:
        return None
    block = lines
    parent = -1  # key indent of the parent key; children are deeper
    best: int | None = None
    node = body
    for seg in segments:
        if isinstance(seg, int):
            items = _list_items(block, parent)
            item_value = node[seg] if isinstance(node, list) and -len(node) <= seg < len(node) else None
            chosen = None
            name = item_value.get("name") if isinstance(item_value, dict) else None
            if name is not None:
                for item in items:
                    if any(ln.key == "name" and ln.key_indent == item[0].key_indent
                           and ln.text.split(":", 1)[1].strip().strip("'\"") == str(name) for ln in item):
                        chosen = item
                        break
            if chosen is None and isinstance(node, list) and len(items) == len(node) and 0 <= seg < len(items):
                chosen = items[seg]
            if chosen is None and len(items) == 1:
                chosen = items[0]
            if chosen is None:
                break
            best, block, parent = chosen[0].number, chosen, chosen[0].indent
            node = item_value
            continue
        children = [ln for ln in block if ln.key_indent > parent]
        if not children:
            break
        level = min(ln.key_indent for ln in children)
        found = None
        for i, ln in enumerate(block):
            if ln.key == str(seg) and ln.key_indent == level:
                found = i
                break
        if found is None:
            break
        key_line = block[found]
        best = key_line.number
        rest = []
        for ln in block[found + 1:]:
            # deeper lines belong to this key; so do list items written at its own
            # indent ("containers:\n- name: x"), a style YAML allows
            if ln.key_indent > key_line.key_indent or (ln.dash and ln.indent == key_line.key_indent):
                rest.append(ln)
            else:
                break
        block, parent = rest, key_line.key_indent
        node = node.get(seg) if isinstance(node, dict) else None
    return best


def _list_items(block: list[_TemplateLine], parent: int) -> list[list[_TemplateLine]]:
    """Split a list value's lines into its items (each starts with a dash)."""
    dashes = [ln for ln in block if ln.dash and ln.indent >= parent]
    if not dashes:
        return []
    level = min(ln.indent for ln in dashes)
    items: list[list[_TemplateLine]] = []
    for ln in block:
        if ln.dash and ln.indent == level:
            items.append([ln])
        elif items:
            items[-1].append(ln)
    return items
