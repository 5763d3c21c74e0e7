"""Which values a template read, so that its output can be reused when those are unchanged.

A template's output is a function of the chart's files, the instance (release, namespace,
capabilities, chart metadata) and the values it *reads*: its control flow depends only
on what it has read so far, so a render whose values agree with an earlier render's on
every path that render read takes the same steps and writes the same text. An overlay
that changes one image tag then re-renders the one template that reads it, not the chart
(see :mod:`.templatecache`).

What counts as reading, conservatively:

* ``values.a.b`` (an attribute or item lookup on a map or list of the values tree) reads
  the whole subtree it returns (``a.b`` and everything below), or a missing key;
* a lookup that returns something that is not an item (``values.a.items``, a method)
  reads the whole map or list it was made on, except ``get``: ``values.a.get("k")``
  reads ``a.k``;
* the ``values`` root itself used any other way (``values | to_json``, ``for k in
  values``, ``'x' in values``, passed to a macro or ``tpl``): the compiled template
  reports it (:func:`mark_whole_values` rewrites those names), and it reads everything;
* the reads of another template whose text this one uses (``checksum``), and of a helpers
  module's top-level code when it is imported.

Paths are tuples of map keys and list indexes; the digest of a path set covers the
paths and what the values hold at each of them (or that nothing is there).
"""

from __future__ import annotations

from typing import Any

ROOT: tuple = ()
_MISSING = ("kcompile-missing",)
WHOLE_VALUES_FILTER = "kcompile_whole_values"
# marshal format 2 writes no back-references: newer formats mark objects seen twice, which
# depends on reference counts, so equal values could give different digests
_STABLE = 2


class ValueReads:
    """Records the value paths the templates of one render read.

    ``frames`` is a stack: one set per template being rendered (a template rendered for
    another's ``checksum`` runs inside it), each read added to every frame, because the
    outer template's text depends on it too."""

    def __init__(self, values: Any) -> None:
        self.root = values
        self.paths: dict[int, tuple] = {}
        self._keep: list[Any] = []  # keeps ids unique while the render runs
        self.frames: list[set[tuple]] = []
        stack: list[tuple[Any, tuple]] = [(values, ROOT)]
        while stack:
            node, path = stack.pop()
            if id(node) in self.paths:
                continue  # an alias: the same object, read through its first path
            self.paths[id(node)] = path
            self._keep.append(node)
            if type(node) is dict:
                stack.extend((v, path + (k,)) for k, v in node.items() if type(v) in (dict, list))
            elif type(node) is list:
                stack.extend((v, path + (i,)) for i, v in enumerate(node) if type(v) in (dict, list))

    def begin(self) -> None:
        self.frames.append(set())

    def end(self) -> set[tuple]:
        """The reads of the innermost frame, which is closed (outer frames have them too)."""
        return self.frames.pop()

    def add(self, paths: "set[tuple] | list[tuple] | tuple[tuple, ...]") -> None:
        for frame in self.frames:
            frame.update(paths)

    def _read(self, path: tuple) -> None:
        for frame in self.frames:
            frame.add(path)

    def lookup(self, obj: Any, key: Any, result: Any) -> Any:
        """``obj`` (a node of the values tree: the caller checked ``id(obj) in paths``)
        looked up ``key`` and got ``result``; what the template gets instead (the same,
        or for ``values.x.get`` a ``get`` that reads only the key it is asked for)."""
        path = self.paths[id(obj)]
        if type(obj) is dict:
            try:
                if key in obj:
                    if obj[key] is result:
                        self._read(path + (key,))
                        return result
                elif not (isinstance(key, str) and hasattr(obj, key)):  # missing, not a method
                    self._read(path + (key,))
                    return result
            except TypeError:  # an unhashable key
                pass
            if key == "get" and getattr(result, "__self__", None) is obj:
                return self._get(obj, path)
        elif type(obj) is list and type(key) is int and -len(obj) <= key < len(obj) and obj[key] is result:
            self._read(path + (key % len(obj),))
            return result
        self._read(path)
        return result

    def _get(self, obj: dict, path: tuple) -> Any:
        def get(key: Any, default: Any = None) -> Any:
            try:
                self._read(path + (key,))
            except TypeError:
                self._read(path)
            return obj.get(key, default)
        return get

    def whole(self, obj: Any) -> None:
        """``obj`` used as a whole (when it is a node of the values tree)."""
        path = self.paths.get(id(obj))
        if path is not None:
            self._read(path)


def at_path(values: Any, path: tuple) -> Any:
    """What ``values`` holds at ``path``, or a marker for nothing."""
    node = values
    for key in path:
        if type(node) is dict:
            if key not in node:
                return _MISSING
            node = node[key]
        elif type(node) is list and type(key) is int and 0 <= key < len(node):
            node = node[key]
        else:
            return _MISSING
    return node


def reads_digest(values: Any, paths: "tuple[tuple, ...]") -> bytes | None:
    """A digest of ``paths`` and what ``values`` holds at each; None when a value is not
    plain data (nothing is cached then)."""
    import marshal
    from _blake2 import blake2b

    from ..cache.parsed import _encode

    h = blake2b(digest_size=20)
    try:
        h.update(marshal.dumps(paths, _STABLE))
        for path in paths:
            h.update(marshal.dumps(_encode(at_path(values, path)), _STABLE))
    except ValueError:
        return None
    return h.digest()


def mark_whole_values(template: Any) -> Any:
    """``template`` (a Jinja2 AST) with every use of the name ``values`` other than a
    lookup on it (``values.a``, ``values["a"]``) passed through the
    ``kcompile_whole_values`` filter, which reports the root as read."""
    from jinja2 import nodes
    from jinja2.visitor import NodeTransformer

    class Marker(NodeTransformer):
        def visit_Getattr(self, node: Any) -> Any:
            if isinstance(node.node, nodes.Name) and node.node.name == "values":
                return node
            return self.generic_visit(node)

        def visit_Getitem(self, node: Any) -> Any:
            if isinstance(node.node, nodes.Name) and node.node.name == "values":
                node.arg = self.visit(node.arg)
                return node
            return self.generic_visit(node)

        def visit_Name(self, node: Any) -> Any:
            if node.name == "values" and node.ctx == "load":
                return nodes.Filter(node, WHOLE_VALUES_FILTER, [], [], None, None, lineno=node.lineno)
            return node

    return Marker().visit(template)
