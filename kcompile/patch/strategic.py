"""Strategic merge patch: schema-driven, in Kustomize v5.8's order, never lossy.

Semantics (SPEC §4, docs/strategic-merge.md):

- Maps merge key by key; ``null`` deletes a key; a scalar replaces a scalar.
- A list merges item by item only when its schema's patch strategy includes ``merge``.
  Items match on the list-map keys (``containerPort`` + ``protocol`` for ports; a missing
  ``protocol`` counts as TCP, the API server's default), else on the patch merge key;
  key values compare as strings (``"9102"`` matches ``9102``). A merge list without keys
  is a set of primitives (finalizers). Other lists are atomic: the patch replaces them.
- Order, as Kustomize: for lists with one merge key, the patch's items first, in patch
  order (merged with their base item), then the base items the patch does not name, in
  base order; for lists with several keys (ports), base items stay in place (merged
  there) and the patch's new items come first.
- Directives: ``$patch: replace|delete|merge`` on maps, list items and whole lists (an
  item ``{$patch: replace}`` replaces the list with the patch's other items; an item
  ``{$patch: delete}`` deletes the list); root ``$patch: delete`` deletes the object and
  root ``$patch: replace`` replaces it; ``$retainKeys``; ``$deleteFromPrimitiveList/<f>``;
  ``$setElementOrder/<f>``, as Kubernetes documents them. No ``$`` key reaches the output.
- Errors, never silent loss: a scalar where the base has a map or list (and the
  reverse), an unknown ``$patch`` value, a ``$setElementOrder`` that omits a patched item,
  a patch key outside ``$retainKeys``, an unknown directive; a list item without its
  merge key (a warning when the caller gives ``warn``: Kustomize builds such patches).
- Kinds without a schema: maps merge, ``null`` deletes, lists are replaced; a map inside
  them that carries a built-in ``apiVersion``/``kind`` merges with that kind's schema.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import KcompileError

DELETE = object()  # a merge result meaning "remove this value"
_GONE = object()  # a list place emptied while collapsing repeated items
_PRIMITIVE_DELETE = "$deleteFromPrimitiveList/"
_SET_ORDER = "$setElementOrder/"


class _Ctx:
    __slots__ = ("file", "line", "schemas", "warn")

    def __init__(self, file: str | None, line: int | None, schemas: Any,
                 warn: Callable[[KcompileError], None] | None = None) -> None:
        self.file = file
        self.line = line
        self.schemas = schemas
        self.warn = warn

    def error(self, message: str, path: str) -> KcompileError:
        return KcompileError(message, self.file, self.line, path=path or "(root)")


def strategic_merge(base: dict, patch: dict, schema: Any, *, file: str | None = None,
                    line: int | None = None, warn: Callable[[KcompileError], None] | None = None) -> dict | None:
    """Merge ``patch`` into ``base`` (which is modified and returned; pass a copy).

    ``schema`` is the object's :class:`~kcompile.patch.schema.TypeNode` or None. Returns None
    when the patch deletes the object (root ``$patch: delete``). ``patch`` is not changed.
    With ``warn``, a patch list item without its merge key (Kustomize builds such a patch)
    is left out with a warning; without it, that is an error.
    """
    ctx = _Ctx(file, line, getattr(schema, "schemas", None), warn)
    directive = patch.get("$patch")
    if directive == "replace":
        return _clean_map(patch, schema, ctx, "")
    result = _merge_map(base, patch, schema, ctx, "")
    return None if result is DELETE else result


def collapse_repeated_items(body: dict, schema: Any) -> list[str]:
    """Make every merge list of ``body`` hold one item per key, as Kustomize's
    strategic merge leaves an object it patched (in place; returns the collapsed paths).

    Kustomize's merge walks the whole patched object, not only the fields the patch names,
    and rebuilds each merge list: one item per key, at the place of the key's first item,
    holding the key's last item as written; a list of scalars keeps each value once. Base
    lists with repeated keys (an env var written twice, or added twice by JSON patches)
    thus come out collapsed. Run before the merge, so that a patch item for a repeated
    key merges into the item kept (Kustomize merges it into the first item, then drops
    that one: the patch would be lost). With several keys (ports) the item kept moves to
    the last one's place. Items without their key stay as they are; a missing ``protocol``
    counts as TCP, as in the merge."""
    collapsed: list[str] = []
    _collapse_map(body, schema, _Ctx(None, None, getattr(schema, "schemas", None)), "", collapsed)
    return collapsed


def _collapse_map(m: dict, t: Any, ctx: _Ctx, path: str, out: list[str]) -> None:
    if t is None and path:
        t = _embedded_type(m, ctx)
    for key, v in m.items():
        if isinstance(v, dict):
            _collapse_map(v, _field_type(t, key), ctx, _join(path, key), out)
        elif isinstance(v, list) and v:
            ft = _field_type(t, key)
            if ft is not None and ft.merges:
                m[key] = _collapse_list(v, ft, ctx, _join(path, key), out)


def _collapse_list(items: list, t: Any, ctx: _Ctx, path: str, out: list[str]) -> list:
    keys = t.merge_keys
    if not keys:
        seen: set[str] = set()
        unique = []
        for v in items:
            if isinstance(v, (dict, list)):
                unique.append(v)
                continue
            k = key_text(v)
            if k not in seen:
                seen.add(k)
                unique.append(v)
        if len(unique) != len(items):
            out.append(path)
        return unique
    # With one key the item kept takes the first one's place; with several (ports:
    # containerPort + protocol) the last one's, as Kustomize re-appends each item there.
    at_last = len(keys) > 1
    where: dict[tuple, int] = {}
    result: list = []
    repeated: set[tuple] = set()
    for item in items:
        k = _item_key(item, keys, ctx, path, required=False) if isinstance(item, dict) else None
        if k is None:
            result.append(item)
        elif k in where:
            repeated.add(k)
            if at_last:
                result[where[k]] = _GONE
                where[k] = len(result)
                result.append(item)
            else:
                result[where[k]] = item  # the last one, at the first one's place
        else:
            where[k] = len(result)
            result.append(item)
    item_t = t.items
    for k, i in where.items():
        if k in repeated:
            out.append(_item_path(path, keys, k))
        else:  # Kustomize walks into the items it merged, not into the one kept of several
            _collapse_map(result[i], item_t, ctx, _item_path(path, keys, k), out)
    return [x for x in result if x is not _GONE] if at_last and repeated else result


def _type_name(v: Any) -> str:
    if isinstance(v, dict):
        return "a map"
    if isinstance(v, list):
        return "a list"
    return "a scalar"


def key_text(v: Any) -> str:
    """Merge-key values compare as strings (Kustomize's rule: "9102" matches 9102)."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _embedded_type(m: dict, ctx: _Ctx) -> Any:
    av, kind = m.get("apiVersion"), m.get("kind")
    if ctx.schemas is not None and isinstance(av, str) and isinstance(kind, str):
        return ctx.schemas.type_for(av, kind)
    if isinstance(av, str) and isinstance(kind, str):
        from .schema import default_schemas

        try:
            schemas = default_schemas()
        except KcompileError:
            return None
        ctx.schemas = schemas
        return schemas.type_for(av, kind)
    return None


def _field_type(t: Any, key: str) -> Any:
    if t is None:
        return None
    return t.field(key)


def _merge_map(base: dict, patch: dict, t: Any, ctx: _Ctx, path: str) -> Any:
    directive = patch.get("$patch")
    if directive is not None:
        if directive == "delete":
            # Other fields beside it go with the map, as in Kustomize (patches often copy
            # the whole item they delete).
            return DELETE
        if directive == "replace":
            return _clean_map(patch, t, ctx, path)
        if directive != "merge":
            raise ctx.error(f"unknown $patch value {directive!r} (use replace, delete or merge)", path)
    if t is None and path:
        t = _embedded_type(base, ctx) or _embedded_type(patch, ctx)

    retain = patch.get("$retainKeys")
    later: list[tuple[str, Any]] = []
    for key, pv in patch.items():
        if key.startswith("$"):
            if key in ("$patch", "$retainKeys"):
                continue
            if key.startswith(_PRIMITIVE_DELETE) or key.startswith(_SET_ORDER):
                later.append((key, pv))
                continue
            raise ctx.error(f"unknown patch directive {key!r}", _join(path, key))
        sub = _join(path, key)
        ft = _field_type(t, key)
        if pv is None:
            base.pop(key, None)
            continue
        bv = base.get(key)
        if isinstance(pv, (dict, list)):
            container, merge = (dict, _merge_map) if isinstance(pv, dict) else (list, _merge_list)
            if bv is not None and not isinstance(bv, container):
                what = "a map" if container is dict else "a list"
                raise ctx.error(f"the patch has {what} where the base has {_type_name(bv)}", sub)
            nv = merge(container() if bv is None else bv, pv, ft, ctx, sub)
            if nv is DELETE:
                base.pop(key, None)
            else:
                base[key] = nv
        else:
            if isinstance(bv, (dict, list)):
                raise ctx.error(
                    f"the patch has a scalar where the base has {_type_name(bv)}; "
                    "use null to delete it or '$patch: replace'", sub,
                )
            base[key] = pv

    for key, pv in later:
        if key.startswith(_PRIMITIVE_DELETE):
            field = key[len(_PRIMITIVE_DELETE):]
            _delete_from_primitive_list(base, field, pv, ctx, _join(path, field))
    for key, pv in later:
        if key.startswith(_SET_ORDER):
            field = key[len(_SET_ORDER):]
            _set_element_order(base, field, pv, patch.get(field), _field_type(t, field), ctx, _join(path, field))

    if retain is not None:
        if not isinstance(retain, list):
            raise ctx.error("$retainKeys must be a list of field names", path)
        allowed = {str(k) for k in retain}
        outside = sorted(k for k in patch if not k.startswith("$") and k not in allowed)
        if outside:
            raise ctx.error(f"patch sets {', '.join(outside)} which $retainKeys does not list", path)
        for k in list(base):
            if k not in allowed:
                del base[k]
    return base


def _clean_map(patch: dict, t: Any, ctx: _Ctx, path: str) -> Any:
    """Patch content placed as is (``$patch: replace``): directives processed, no base."""
    rest = {k: v for k, v in patch.items() if k != "$patch"}
    result = _merge_map({}, rest, t, ctx, path)
    return result


def _delete_from_primitive_list(base: dict, field: str, values: Any, ctx: _Ctx, path: str) -> None:
    if not isinstance(values, list):
        raise ctx.error("$deleteFromPrimitiveList needs a list of values", path)
    current = base.get(field)
    if current is None:
        return
    if not isinstance(current, list):
        raise ctx.error(f"$deleteFromPrimitiveList on {_type_name(current)}", path)
    drop = {key_text(v) for v in values}
    base[field] = [v for v in current if isinstance(v, (dict, list)) or key_text(v) not in drop]


def _item_key(item: dict, keys: tuple[str, ...], ctx: _Ctx, path: str, *, required: bool) -> tuple | None:
    out = []
    for k in keys:
        v = item.get(k)
        if v is None:
            if k == "protocol":
                v = "TCP"  # the API server's default for ports
            elif required:
                raise ctx.error(f"list item has no merge key {k!r} (needed to match it with the base)", path)
            else:
                return None
        out.append(key_text(v))
    return tuple(out)


def _item_path(path: str, keys: tuple[str, ...], key: tuple | None) -> str:
    if key is None:
        return f"{path}[]"
    return f"{path}[" + ",".join(f"{k}={v}" for k, v in zip(keys, key)) + "]"


def _merge_list(base: list, patch: list, t: Any, ctx: _Ctx, path: str) -> Any:
    # list-level markers: {"$patch": "replace"} / {"$patch": "delete"} as an item
    # ({"$patch": "merge"} is the default made explicit: dropped, the list merges)
    markers = [i for i in patch if isinstance(i, dict) and set(i) == {"$patch"}]
    if markers:
        kinds = {m["$patch"] for m in markers}
        if "delete" in kinds:
            return DELETE
        if not kinds <= {"replace", "merge"}:
            raise ctx.error(f"unknown list directive $patch: {sorted(kinds - {'replace', 'merge'})[0]!r}", path)
        rest = [i for i in patch if not (isinstance(i, dict) and set(i) == {"$patch"})]
        if "replace" not in kinds:
            return _merge_list(base, rest, t, ctx, path)
        return _merge_list([], rest, t, ctx, path) if t is not None and t.merges else _atomic(rest, t, ctx, path)
    if t is None or not t.merges:
        return _atomic(patch, t, ctx, path)
    keys = t.merge_keys
    item_t = t.items
    if not keys:
        return _merge_primitives(base, patch, ctx, path)

    index: dict[tuple, int] = {}  # each key's first base item (the one a patch item merges with)
    twins: dict[tuple, list[int]] = {}  # the later base items with the same key
    for i, b in enumerate(base):
        if isinstance(b, dict):
            k = _item_key(b, keys, ctx, path, required=False)
            if k is None:
                continue
            if k not in index:
                index[k] = i
            else:
                twins.setdefault(k, []).append(i)
    # Kustomize's order: with one merge key, the patch's items come first in patch order
    # (merged with their base item), then the other base items; with several keys
    # (ports: port+protocol), base items keep their places (merged in place) and new
    # items come first, in patch order.
    in_place = len(keys) > 1
    front: list = []
    merged_at: dict[int, Any] = {}
    for item in patch:
        if not isinstance(item, dict):
            raise ctx.error(f"expected list items to be maps with {', '.join(keys)}, found {_type_name(item)}", path)
        key = _item_key(item, keys, ctx, path, required=ctx.warn is None)
        if key is None:
            assert ctx.warn is not None
            missing = next(k for k in keys if item.get(k) is None and k != "protocol")
            ctx.warn(ctx.error(
                f"list item has no merge key {missing!r}: it matches no base item and is left out "
                "(Kustomize then drops the base list's items)", path))
            continue
        ipath = _item_path(path, keys, key)
        match = index.get(key)
        if item.get("$patch") == "delete":  # other fields beside it go with the item
            if match is not None:  # every base item with the key goes, as in Kustomize
                for i in [match, *twins.get(key, ())]:
                    merged_at[i] = DELETE
            continue
        if match is not None:
            merged = _merge_map(base[match], item, item_t, ctx, ipath)
            if in_place:
                merged_at[match] = merged
                continue
            merged_at[match] = DELETE  # moved to the front
        else:
            merged = _merge_map({}, item, item_t, ctx, ipath)
        if merged is not DELETE:
            front.append(merged)
    rest = [merged_at.get(i, b) for i, b in enumerate(base)]
    return front + [b for b in rest if b is not DELETE]


def _merge_primitives(base: list, patch: list, ctx: _Ctx, path: str) -> list:
    out: list = []
    seen: set[str] = set()
    for v in patch:
        if isinstance(v, (dict, list)):
            raise ctx.error(f"expected a list of scalars, found {_type_name(v)}", path)
        k = key_text(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    for v in base:
        if isinstance(v, (dict, list)) or key_text(v) not in seen:
            out.append(v)
    return out


def _atomic(patch: list, t: Any, ctx: _Ctx, path: str) -> list:
    """An atomic list: the patch's list, with directives inside items processed."""
    item_t = t.items if t is not None else None
    out = []
    for i, item in enumerate(patch):
        if isinstance(item, dict):
            v = _merge_map({}, item, item_t, ctx, f"{path}[{i}]")
            if v is not DELETE:
                out.append(v)
        elif isinstance(item, list):
            out.append(_atomic(item, None, ctx, f"{path}[{i}]"))
        else:
            out.append(item)
    return out


def _set_element_order(base: dict, field: str, order: Any, patched: Any, t: Any, ctx: _Ctx, path: str) -> None:
    if not isinstance(order, list):
        raise ctx.error("$setElementOrder needs a list", path)
    current = base.get(field)
    if not isinstance(current, list):
        return
    keys = t.merge_keys if t is not None and t.is_list else ()

    def ident(item: Any) -> Any:
        if keys and isinstance(item, dict):
            return _item_key(item, keys, ctx, path, required=False)
        return key_text(item) if not isinstance(item, (dict, list)) else None

    wanted = [ident(o) for o in order]
    if None in wanted:
        raise ctx.error("$setElementOrder items must carry the list's merge keys", path)
    rank = {k: i for i, k in enumerate(wanted)}
    if isinstance(patched, list):
        for item in patched:
            if isinstance(item, dict) and item.get("$patch") == "delete":
                continue
            k = ident(item)
            if k is not None and k not in rank:
                raise ctx.error(
                    f"$setElementOrder omits the patched item {_item_path(path, keys, k) if keys else k!r}", path
                )
    listed = sorted((x for x in current if ident(x) in rank), key=lambda x: rank[ident(x)])
    others = [x for x in current if ident(x) not in rank]
    base[field] = listed + others


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
