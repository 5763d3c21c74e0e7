"""The YAML parser behind :func:`kcompile.yaml.read.load_documents` (imported lazily).

libyaml (PyYAML's C parser) with go-yaml v3's scalar rules applied by our resolver and
constructor, duplicate keys rejected, alias expansion bounded.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import KcompileError
from .scalars import Document, TextFloat, TextInt, go_folded, resolve_plain

# How much an alias may multiply a document: expanded node count is bounded by
# max(ALIAS_MIN_BUDGET, ALIAS_RATIO * distinct nodes). A billion-laughs file fails fast.
ALIAS_MIN_BUDGET = 100_000
ALIAS_RATIO = 10


class _Tags:
    STR = "tag:yaml.org,2002:str"
    PLAIN = "tag:kcompile,plain"  # resolved in the constructor, see resolve_plain
    MERGE = "tag:yaml.org,2002:merge"


class _Resolver(yaml.resolver.BaseResolver):
    """Tags every plain scalar as 'plain'; the constructor applies go-yaml's rules."""

    # libyaml calls this once per node: kept to a few comparisons (no path resolvers).
    def resolve(self, kind, value, implicit):  # type: ignore[override]
        if kind is yaml.ScalarNode:
            if implicit[0]:
                return _Tags.MERGE if value == "<<" else _Tags.PLAIN
            return "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:map" if kind is yaml.MappingNode else "tag:yaml.org,2002:seq"


class _Constructor(yaml.constructor.SafeConstructor):
    """JSON-shaped values; duplicate keys are errors; string keys only."""

    def __init__(self) -> None:
        super().__init__()
        self.alias_hits = 0

    def construct_object(self, node, deep=False):  # type: ignore[override]
        if node in self.constructed_objects:
            self.alias_hits += 1
        return super().construct_object(node, deep=deep)

    keep_text = False

    def construct_plain(self, node):
        value = resolve_plain(node.value)
        if self.keep_text and type(value) in (int, float):
            value = (TextInt if type(value) is int else TextFloat)(value)
            value.text = node.value
        return value

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark
            )
        self.flatten_mapping(node)
        mapping: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (dict, list)):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    "found an unhashable key", key_node.start_mark,
                )
            key = key if isinstance(key, str) else _key_text(key, key_node)
            if key in seen:
                first = seen[key]
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"mapping key {key!r} already defined at line {first.line + 1}",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def flatten_mapping(self, node):  # type: ignore[override]
        # Explicit keys override merged ones (as in go-yaml). The duplicate check must
        # only fire on keys the mapping itself repeats, so merged keys that the mapping
        # sets, or that several merged maps share, are dropped here.
        own = [(k, v) for k, v in node.value if not (isinstance(k, yaml.ScalarNode) and k.tag == _Tags.MERGE)]
        if len(own) == len(node.value):
            return
        super().flatten_mapping(node)
        merged = node.value[: len(node.value) - len(own)]
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        kept: list = []
        seen: set = set()
        for k, v in reversed(merged):
            text = k.value if isinstance(k, yaml.ScalarNode) else None
            if text in own_keys or text in seen:
                continue
            seen.add(text)
            kept.append((k, v))
        kept.reverse()
        node.value = kept + own

    def construct_str_like(self, node):
        return str(node.value)

    def construct_str(self, node):
        return go_folded(node.value) if node.style == ">" else node.value


def _key_text(key: Any, node: Any) -> str:
    if key is None:
        return "null" if node.value != "" else ""
    if isinstance(key, bool):
        return "true" if key else "false"
    return node.value if isinstance(node, yaml.ScalarNode) else str(key)


_Constructor.add_constructor(_Tags.PLAIN, _Constructor.construct_plain)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_str_like)
_Constructor.add_constructor("tag:yaml.org,2002:binary", _Constructor.construct_str_like)
_Constructor.add_constructor("tag:yaml.org,2002:map", _Constructor.construct_mapping)
_Constructor.add_constructor("tag:yaml.org,2002:str", _Constructor.construct_str)


def _int_from_tag(self: _Constructor, node: Any) -> Any:
    v = resolve_plain(node.value)
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise yaml.constructor.ConstructorError(None, None, f"cannot decode {node.value!r} as an int", node.start_mark)


def _float_from_tag(self: _Constructor, node: Any) -> Any:
    v = resolve_plain(node.value)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    raise yaml.constructor.ConstructorError(None, None, f"cannot decode {node.value!r} as a float", node.start_mark)


_Constructor.add_constructor("tag:yaml.org,2002:int", _int_from_tag)
_Constructor.add_constructor("tag:yaml.org,2002:float", _float_from_tag)


try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - libyaml missing: pure-Python fallback
    _Parser = None


if _Parser is not None:

    class _Loader(_Parser, _Constructor, _Resolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
        _Constructor, _Resolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)


def _expanded_size(node: Any, memo: dict[int, int], budget: int) -> int:
    key = id(node)
    got = memo.get(key)
    if got is not None:
        return got
    memo[key] = 1  # guards recursive aliases
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, budget) + _expanded_size(v, memo, budget)
            if size > budget:
                break
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            size += _expanded_size(v, memo, budget)
            if size > budget:
                break
    memo[key] = size
    return size


def _unshare(value: Any, active: set[int] | None = None) -> Any:
    """Copy a document built with aliases so no two places share one object."""
    if isinstance(value, dict):
        return {k: _unshare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshare(v) for v in value]
    return value


class _Fallback(Exception):
    """The fast builder met something only the full constructor handles."""


_STR = "tag:yaml.org,2002:str"
_PLAIN = _Tags.PLAIN
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_ScalarNode = yaml.ScalarNode
_MappingNode = yaml.MappingNode


def _fast_build(node: Any, seen: set[int], keep_text: bool) -> Any:
    """Build plain data from composed nodes directly: ~2x faster than PyYAML's generic
    constructor. Explicit tags, merge keys and aliases fall back to the full one."""
    cls = node.__class__
    tag = node.tag
    if cls is _ScalarNode:
        if tag == _PLAIN:
            value = resolve_plain(node.value)
            if keep_text and type(value) in (int, float):
                value = (TextInt if type(value) is int else TextFloat)(value)
                value.text = node.value
            return value
        if tag == _STR:
            return go_folded(node.value) if node.style == ">" else node.value
        raise _Fallback
    nid = id(node)
    if nid in seen:
        raise _Fallback  # an alias
    seen.add(nid)
    if cls is _MappingNode:
        if tag != _MAP:
            raise _Fallback
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not _ScalarNode:
                raise _Fallback
            ktag = key_node.tag
            if ktag == _STR:
                key = key_node.value
            elif ktag == _PLAIN:
                key = key_node.value
                if resolve_plain(key).__class__ is not str:
                    raise _Fallback  # a number/bool/null key: the full constructor names it
            else:
                raise _Fallback
            if key in out:
                raise _Fallback  # the full constructor reports it with both lines
            # scalar values inline: most values are scalars, a call each adds up
            if value_node.__class__ is _ScalarNode and not keep_text:
                vtag = value_node.tag
                if vtag == _PLAIN:
                    out[key] = resolve_plain(value_node.value)
                    continue
                if vtag == _STR:
                    out[key] = go_folded(value_node.value) if value_node.style == ">" else value_node.value
                    continue
            out[key] = _fast_build(value_node, seen, keep_text)
        return out
    if tag != _SEQ:
        raise _Fallback
    return [_fast_build(v, seen, keep_text) for v in node.value]


def load_documents(text: str, filename: str | None = None, keep_text: bool = False) -> list[Document]:  # noqa: D103
    """Parse every document of a YAML stream. Empty documents are skipped.

    With ``keep_text``, numbers remember how they were written (see :func:`as_text`).
    Raises :class:`KcompileError` with the file and line of the problem.
    """
    loader = _Loader(text)
    loader.keep_text = keep_text
    docs: list[Document] = []
    index = 0
    node = None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1
            try:
                data = _fast_build(node, set(), keep_text)
                if data is not None:
                    docs.append(Document(data, line, index))
                index += 1
                continue
            except _Fallback:
                pass
            loader.alias_hits = 0
            data = loader.construct_document(node)
            if loader.alias_hits:
                distinct = _count_distinct(node)
                budget = max(ALIAS_MIN_BUDGET, ALIAS_RATIO * distinct)
                if _expanded_size(node, {}, budget + 1) > budget:
                    raise KcompileError(
                        f"document uses YAML aliases to expand to more than {budget} nodes "
                        "(alias bomb?); refusing to expand it",
                        filename, line,
                    )
                data = _unshare(data)
            if data is not None:
                docs.append(Document(data, line, index))
            index += 1
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = _yaml_message(e)
        raise KcompileError(msg, filename, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as e:
        raise KcompileError(f"invalid YAML: {e}", filename) from None
    except RecursionError:
        raise KcompileError("YAML document is nested too deeply", filename) from None
    finally:
        loader.dispose()
    if docs and node is not None and text and not text.endswith(("\n", "\r")):
        _unbreak_last_block_scalar(node, docs[-1])
    return docs


def _unbreak_last_block_scalar(node: Any, doc: Document) -> None:
    """A ``|`` or ``>`` block scalar on the last line of a stream without a final line
    break has none in its value (YAML's rule, and go-yaml's); libyaml adds one."""
    holder: Any = None
    key: Any = None
    data = doc.data
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value:
        if isinstance(node, yaml.MappingNode):
            key_node, node = node.value[-1]
            if not isinstance(data, dict) or not data:
                return
            key = next(reversed(data))  # the constructed map keeps the file's key order
            if not isinstance(key_node, yaml.ScalarNode) or str(key) != key_node.value:
                return  # merge keys or odd keys: leave it
        else:
            node = node.value[-1]
            if not isinstance(data, list) or not data:
                return
            key = len(data) - 1
        holder, data = data, data[key]
    if (holder is not None and isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
            and isinstance(data, str) and data.endswith("\n")):
        holder[key] = data[:-1]


def _count_distinct(node: Any) -> int:
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append(k)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return len(seen)


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    parts = []
    if e.context:
        parts.append(e.context)
    if e.problem:
        parts.append(e.problem)
    msg = ", ".join(parts) or "invalid YAML"
    if "for the tag '!" in msg and "for the tag '!!" not in msg:
        # A local tag is most often an unquoted value that starts with '!' (a password):
        # never echoed.
        msg = re.sub(r"for the tag '![^']*'", "for a tag (not shown: an unquoted value starting with '!' "
                     "is read as a YAML tag; quote it)", msg)
    return f"invalid YAML: {msg}"


