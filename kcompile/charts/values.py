"""Chart values: layers merged with provenance, ``--set`` overrides, schema validation.

Precedence, lowest first: the chart's ``values.yaml`` < ``valuesFiles`` < inline
``values`` < ``chartValues`` of overlays further up (nearest wins) < ``--set``. Maps merge
deeply; lists and scalars replace. Every leaf remembers which layer set it, so a schema
violation can name the file to fix.

A ``null`` deletes, as in Helm: nulls in the chart's own values are dropped, and a layer
setting a key the chart's values have to ``null`` removes it; a ``null`` for a key the
chart does not have stays a ``null`` (Helm keeps it too).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import KcompileError, display_path
from ..model import deep_copy

ValuesLayer = tuple[str, dict]  # (source: the file that set the values, values)


class MergedValues:
    """Merged values plus, for every path, the source of the layer that set it."""

    def __init__(self, defaults: ValuesLayer | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.sources: dict[tuple, str] = {}
        self.defaults: dict[str, Any] = {}
        if defaults is not None:
            source, layer = defaults
            self.defaults = without_nulls(layer)
            self._merge(self.values, deep_copy(self.defaults), (), source)

    def add(self, source: str, layer: dict[str, Any]) -> None:
        self._merge(self.values, deep_copy(layer), (), source)

    def has_default(self, path: "tuple | list") -> bool:
        """Whether the chart's own values set ``path`` (a null there deletes it)."""
        node: Any = self.defaults
        for k in path:
            if isinstance(node, dict) and k in node:
                node = node[k]
            elif isinstance(node, list) and isinstance(k, int) and k < len(node):
                node = node[k]
            else:
                return False
        return True

    def _merge(self, into: dict, layer: dict, path: tuple, source: str) -> None:
        for k, v in layer.items():
            p = path + (k,)
            if v is None and self.has_default(p):
                into.pop(k, None)
                self._forget_below(p)
                self.sources.pop(p, None)
                continue
            if isinstance(v, dict) and isinstance(into.get(k), dict):
                self._merge(into[k], v, p, source)
            else:
                into[k] = v
                self._forget_below(p)
                self.sources[p] = source
                if isinstance(v, dict):
                    self._mark(v, p, source)

    def _mark(self, v: dict, path: tuple, source: str) -> None:
        for k, sub in v.items():
            self.sources[path + (k,)] = source
            if isinstance(sub, dict):
                self._mark(sub, path + (k,), source)

    def _forget_below(self, path: tuple) -> None:
        n = len(path)
        for p in [p for p in self.sources if len(p) > n and p[:n] == path]:
            del self.sources[p]

    def source_of(self, path: tuple) -> str | None:
        """The layer that set ``path`` (or its nearest ancestor)."""
        while path:
            s = self.sources.get(path)
            if s is not None:
                return s
            path = path[:-1]
        return None


# Helm's limit for list indexes in --set (strvals.MaxIndex): a[300000000]=1 would
# otherwise fill memory with nulls.
MAX_SET_INDEX = 65536
_SEGMENT = re.compile(r"([^\[\]]+)((?:\[\d+\])*)")


def parse_set(expr: str) -> tuple[str, list[str | int], Any]:
    """``RELEASE.a.b[0].c=value`` -> (release, ['a', 'b', 0, 'c'], value). The value is
    typed as Helm types it (:func:`set_value`; ``"5"`` in quotes is a string)."""
    target, sep, raw = expr.partition("=")
    if not sep or not target:
        # without its '=' the whole argument may be a value: never echoed
        raise KcompileError("--set argument (not shown: it may hold a value): expected RELEASE.key=value")
    parts: list[str | int] = []
    for seg in _split_dots(target):
        m = _SEGMENT.fullmatch(seg)
        if not m:
            raise KcompileError(f"--set {target!r}: cannot read the key path")
        parts.append(m.group(1))
        for index in re.findall(r"\[(\d+)\]", m.group(2)):
            if len(index) > 6 or int(index) > MAX_SET_INDEX:
                raise KcompileError(f"--set {target!r}: list index {index} is larger than {MAX_SET_INDEX}")
            parts.append(int(index))
    if len(parts) < 2 or not isinstance(parts[0], str):
        raise KcompileError(f"--set {target!r}: expected RELEASE.key=value (the release name first)")
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        value: Any = raw[1:-1]
    elif raw == "":
        value = ""
    else:
        value = set_value(raw)
    return str(parts[0]), parts[1:], value


_INT64 = re.compile(r"[-+]?[1-9][0-9]*")


def set_value(raw: str) -> Any:
    """A ``--set`` value typed as Helm types it: ``true``/``false``/``null`` (any case) and
    integers without a leading zero are typed, everything else is a string (``1.0`` and
    ``0755`` stay text, as image tags and file modes should)."""
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    if raw == "0":
        return 0
    if len(raw) <= 20 and _INT64.fullmatch(raw) and -(2**63) <= int(raw) < 2**63:  # never thousands of digits
        return int(raw)
    return raw


def _split_dots(target: str) -> list[str]:
    # 'a\.b' keeps a literal dot in a key (annotations like 'prometheus\.io/scrape')
    parts = re.split(r"(?<!\\)\.", target)
    return [p.replace("\\.", ".") for p in parts]


def apply_set(values: dict[str, Any], path: list[str | int], value: Any, expr: str) -> None:
    expr = expr.partition("=")[0]  # messages name the key, never the value (it may be a secret)
    node: Any = values
    for i, key in enumerate(path):
        last = i == len(path) - 1
        nxt = path[i + 1] if not last else None
        if isinstance(key, int):
            if not isinstance(node, list):
                raise KcompileError(f"--set {expr!r}: {path[i - 1]!r} is not a list")
            while len(node) <= key:
                node.append(None)
            if last:
                node[key] = value
            else:
                if not isinstance(node[key], (dict, list)):
                    node[key] = [] if isinstance(nxt, int) else {}
                node = node[key]
        else:
            if not isinstance(node, dict):
                raise KcompileError(f"--set {expr!r}: cannot set {key!r} inside a non-map value")
            if last:
                node[key] = value
            else:
                if not isinstance(node.get(key), (dict, list)):
                    node[key] = [] if isinstance(nxt, int) else {}
                node = node[key]


def without_nulls(values: dict[str, Any]) -> dict[str, Any]:
    """A map without its null entries, nested maps included (lists are kept as they are)."""
    return {k: without_nulls(v) if isinstance(v, dict) else v for k, v in values.items() if v is not None}


def delete_path(values: dict[str, Any], path: list[str | int]) -> None:
    node: Any = values
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict):
        node.pop(path[-1], None)
    elif isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node):
        node[path[-1]] = None


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` merged into a copy of ``base``: maps merge deeply, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def merge_layers(layers: list[ValuesLayer], set_values: list[str], release: str,
                 defaults: ValuesLayer | None = None) -> MergedValues:
    """``defaults`` (the chart's own values.yaml) below ``layers``, then the ``--set``
    expressions naming ``release``."""
    merged = MergedValues(defaults)
    for source, layer in layers:
        if layer is None:
            continue
        if not isinstance(layer, dict):
            raise KcompileError("chart values must be a map", source)
        merged.add(source, layer)
    for expr in set_values:
        rel, path, value = parse_set(expr)
        if rel != release:
            continue
        if value is None and merged.has_default(path):
            delete_path(merged.values, path)
            continue
        apply_set(merged.values, path, value, expr)
        merged.sources[tuple(p for p in path if isinstance(p, str))] = f"--set {expr.partition('=')[0]}"
    return merged


def validate_values(merged: MergedValues, schema: dict[str, Any], schema_file: str, root: Any = None) -> None:
    """Check merged values against ``values.schema.json``; the first violations name the
    values path and the file that set it. ``$ref`` is followed only inside the schema or
    to files beside it in the chart (``root``; see :mod:`kcompile.load.schemarefs`)."""
    import jsonschema
    from referencing.exceptions import Unresolvable

    if not isinstance(schema, dict):
        raise KcompileError("values.schema.json must hold a JSON object (a JSON Schema)", schema_file, 1)
    from ..load.schemarefs import reference_error, values_registry

    cls = jsonschema.Draft202012Validator if "$schema" not in schema or "2020" in str(
        schema.get("$schema")) else jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        where = ".".join(str(p) for p in e.absolute_path) or "(top level)"
        raise KcompileError(f"values.schema.json is not a valid JSON Schema: at {where}: {e.message}",
                            schema_file) from None
    registry = values_registry(root, schema_file)
    validator = cls(schema, registry=registry)
    try:
        errors = sorted(validator.iter_errors(merged.values), key=lambda e: list(e.absolute_path))
    except Unresolvable as e:
        raise reference_error(e, schema_file) from None
    if not errors:
        return
    lines = []
    for e in errors[:5]:
        path = tuple(e.absolute_path)
        dotted = ".".join(str(p) for p in path) or "(top level)"
        source = merged.source_of(tuple(p for p in path if isinstance(p, str))) or "the chart's values.yaml"
        source = source if source.startswith("--set") else display_path(source)
        # A value may become a Secret's: the message names the rule, never the value.
        message = value_free_message(e)
        lines.append(f"values.{dotted}: {message} (set in {source})" if path else message)
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    first_source = merged.source_of(tuple(p for p in errors[0].absolute_path if isinstance(p, str)))
    raise KcompileError(
        "values do not match values.schema.json: " + "; ".join(lines) + more,
        first_source if first_source and not first_source.startswith("--set") else schema_file,
    )


def value_free_message(e: Any) -> str:
    """A JSON Schema violation described by the rule it breaks, without the value (any
    value may end up in a Secret). Messages begin with the offending value."""
    from ..validate.schemas import _without_value

    return _without_value(str(e.message), e.instance)
