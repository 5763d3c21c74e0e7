"""replacements: copy a field of one object into fields of others (Kustomize semantics).

A source (an object id plus ``fieldPath``, default ``metadata.name``; or a literal
``sourceValue``) is copied into every target's ``fieldPaths``. Field paths are dotted,
with ``[key=value]`` to pick list items, ``[=value]`` for a primitive item, an index,
``*`` for every item, or ``[a.b/c]`` for a map key that holds dots. ``options.delimiter``/``index`` take or set one part of a
delimited string; ``options.create`` creates missing fields. Objects match by their
current or any previous id. A scalar target keeps its type (a number source copied into
a string field gives a string), as Kustomize does.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..errors import KcompileError
from ..model import Resource, split_api_version
from .selectors import ResourceIndex, literal_pattern, parse_label_selector
from ..yaml.scalars import resolve_plain, as_text

DEFAULT_FIELD_PATH = "metadata.name"


def split_path(path: str) -> list[str]:
    """'a.b.[name=x.y].c' -> ['a', 'b', '[name=x.y]', 'c'] (dots inside [] kept);
    a dot written ``\\.`` is part of the key (``labels.example\\.com/role``), as in Kustomize."""
    parts: list[str] = []
    cur = ""
    depth = 0
    for ch in path:
        if ch == "." and cur.endswith("\\"):
            cur = cur[:-1] + "."
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        # 'containers[name=x]' is the same as 'containers.[name=x]'
        m = re.fullmatch(r"([^\[]+)(\[.*\])", p)
        if m:
            out.extend([m.group(1), m.group(2)])
        else:
            out.append(p)
    return [p for p in out if p != ""]


def _ids(r: Resource) -> Iterator[tuple[str, str, str, str, str]]:
    group, version = split_api_version(r.api_version)
    yield (group, version, r.kind, r.name, r.namespace)
    for kind, ns, name in r.previous:
        yield (group, version, kind, name, "" if ns in ("default", "_non_namespaceable_") else ns)


def _source_selected(sel: dict[str, Any], rid: tuple) -> bool:
    group, version, kind, name, ns = rid
    for key, value in (("group", group), ("version", version), ("kind", kind), ("name", name)):
        want = sel.get(key)
        if want not in (None, "") and as_text(want) != value:
            return False
    want_ns = sel.get("namespace")
    if want_ns not in (None, "") and as_text(want_ns) not in (ns, "default" if not ns else ns):
        return False
    return True


class _IdRegex:
    def __init__(self, sel: dict[str, Any], file: str | None, line: int | None) -> None:
        self.res = {}
        for key in ("group", "version", "kind", "name", "namespace"):
            v = sel.get(key)
            if v not in (None, ""):
                try:
                    self.res[key] = re.compile(f"^(?:{as_text(v)})$")
                except re.error as e:
                    raise KcompileError(f"invalid {key} pattern {v!r}: {e}", file, line) from None
        self.has_ids = bool(self.res)
        ls, an = sel.get("labelSelector"), sel.get("annotationSelector")
        self.labels = parse_label_selector(ls, file, line) if ls else None
        self.annotations = parse_label_selector(an, file, line) if an else None

    def selects_id(self, rid: tuple) -> bool:
        group, version, kind, name, ns = rid
        values = {"group": group, "version": version, "kind": kind, "name": name, "namespace": ns}
        return all(rx.match(values[k]) for k, rx in self.res.items())

    def meta_ok(self, r: Resource) -> bool:
        if self.labels is not None and not self.labels(r.labels()):
            return False
        if self.annotations is not None and not self.annotations(r.annotations()):
            return False
        return True


def _lookup(node: Any, parts: list[str]) -> list[tuple[Any, Any]]:
    """Every (container, key) the path reaches, without creating anything."""
    found: list[tuple[Any, Any]] = []
    _walk(node, parts, found, create=None)
    return found


def _match_item(item: Any, seg: str) -> bool:
    inner = seg[1:-1]
    key, _, value = inner.partition("=")
    if key == "":
        return not isinstance(item, (dict, list)) and as_text(item) == value
    return isinstance(item, dict) and key in item and as_text(item[key]) == value


def _walk(node: Any, parts: list[str], found: list, create: Any) -> None:
    seg = parts[0]
    last = len(parts) == 1
    if isinstance(node, list):
        if seg == "*":
            targets = list(range(len(node)))
        elif seg.startswith("[") and seg.endswith("]"):
            targets = [i for i, it in enumerate(node) if _match_item(it, seg)]
            if not targets and create is not None and "=" in seg[1:-1] and not seg.startswith("[="):
                k, _, v = seg[1:-1].partition("=")
                node.append({k: v})
                targets = [len(node) - 1]
        elif seg.lstrip("-").isdigit():
            i = int(seg)
            targets = [i] if -len(node) <= i < len(node) else []
        else:
            return
        for i in targets:
            if last:
                found.append((node, i))
            else:
                _walk(node[i], parts[1:], found, create)
        return
    if not isinstance(node, dict):
        return
    if seg.startswith("[") and seg.endswith("]") and "=" not in seg:
        seg = seg[1:-1]  # '[sidecar.istio.io/inject]': a map key with dots in it
    if seg == "*":
        keys = list(node)
    else:
        keys = [seg] if seg in node else []
        if not keys and create is not None:
            if last:
                found.append((node, seg))
                return
            node[seg] = [] if parts[1].startswith("[") and "=" in parts[1] else {}
            keys = [seg]
    for k in keys:
        if last:
            found.append((node, k))
        else:
            _walk(node[k], parts[1:], found, create)


def _source_value(index: ResourceIndex, r: dict[str, Any], file, line) -> Any:
    if "sourceValue" in r and r.get("source") is not None:
        raise KcompileError("a replacement has both 'source' and 'sourceValue'; keep one", file, line)
    if "sourceValue" in r:
        return as_text(r["sourceValue"])
    source = r.get("source")
    if not isinstance(source, dict):
        raise KcompileError("a replacement needs a 'source' (or 'sourceValue') and 'targets'", file, line)
    kind, name = source.get("kind"), source.get("name")
    pool = index.candidates(as_text(kind) if kind not in (None, "") else None,
                            as_text(name) if name not in (None, "") else None)
    matches = [res for res in pool if res.body and any(_source_selected(source, i) for i in _ids(res))]
    desc = "/".join(as_text(source[k]) for k in ("kind", "name") if source.get(k))
    if not matches:
        raise KcompileError(f"replacement source {desc or source} matches no object", file, line)
    if len(matches) > 1:
        ids = ", ".join(str(m.id()) for m in matches)
        raise KcompileError(f"replacement source {desc or source} matches several objects: {ids}", file, line)
    field_path = as_text(source.get("fieldPath") or DEFAULT_FIELD_PATH)
    spots = _lookup(matches[0].body, split_path(field_path))
    if not spots or spots[0][0][spots[0][1]] is None:  # "" is a value (Kustomize copies it)
        raise KcompileError(f"replacement source field {field_path!r} is missing in {matches[0].id()}", file, line)
    value = spots[0][0][spots[0][1]]
    opts = source.get("options") or {}
    delim = opts.get("delimiter")
    if delim:
        if isinstance(value, (dict, list)):
            raise KcompileError("options.delimiter can only be used with a scalar source", file, line)
        parts = as_text(value).split(as_text(delim))
        idx = int(opts.get("index") or 0)
        if idx < 0 or idx >= len(parts):
            raise KcompileError(f"options.index {idx} is out of range: the source value has {len(parts)} part(s)", file, line)
        value = parts[idx]
    return value


def _convert(value: Any, current: Any) -> Any:
    """A scalar copied into an existing scalar keeps the target's type (Kustomize keeps
    the target node's tag and replaces its text)."""
    if isinstance(value, (dict, list)) or isinstance(current, (dict, list)):
        return value
    text = as_text(value)
    if isinstance(current, str):
        return text
    if current is None:
        return value
    resolved = resolve_plain(text) if text else text
    return resolved


def apply_replacements(resources: list[Resource], replacements: list[dict], *, file: str | None = None,
                       line: int | None = None, index: ResourceIndex | None = None) -> None:
    """Apply replacements in order, mutating the objects' bodies. ``index``, a
    :class:`ResourceIndex` of ``resources`` shared by several calls, is kept up to date."""
    from ..model import deep_copy

    index = index or ResourceIndex(resources)
    for r in replacements:
        if not isinstance(r, dict) or not r.get("targets"):
            raise KcompileError("a replacement needs a 'source' (or 'sourceValue') and 'targets'", file, line)
        value = _source_value(index, r, file, line)
        for t in r["targets"]:
            if not isinstance(t, dict) or not isinstance(t.get("select"), dict):
                raise KcompileError("each replacement target needs a 'select'", file, line)
            select = _IdRegex(t["select"], file, line)
            rejects = [_IdRegex(x, file, line) for x in t.get("reject") or [] if isinstance(x, dict)]
            paths = [as_text(p) for p in (t.get("fieldPaths") or [DEFAULT_FIELD_PATH])]
            opts = t.get("options") or {}
            create = bool(opts.get("create"))
            sel = t["select"]
            touched = []
            for res in index.candidates(literal_pattern(sel.get("kind")), literal_pattern(sel.get("name"))):
                if not res.body or not select.meta_ok(res):
                    continue
                ids = list(_ids(res))
                if any((rj.has_ids and any(rj.selects_id(i) for i in ids))
                       or (not rj.has_ids and (rj.labels or rj.annotations) and rj.meta_ok(res)) for rj in rejects):
                    continue
                if not any(select.selects_id(i) for i in ids):
                    continue
                touched.append(res)
                for fp in paths:
                    spots: list = []
                    _walk(res.body, split_path(fp), spots, create=True if create else None)
                    if not spots:
                        raise KcompileError(
                            f"replacement target field {fp!r} not found in {res.id()}"
                            + ("" if create else " (set options.create to create it)"), file, line,
                        )
                    for container, key in spots:
                        current = container[key] if (isinstance(container, list) or key in container) else None
                        new = deep_copy(value)
                        delim = opts.get("delimiter")
                        if delim:
                            if isinstance(current, (dict, list)):
                                raise KcompileError("options.delimiter can only be used with scalar targets", file, line)
                            parts = as_text(current).split(as_text(delim)) if current is not None else [""]
                            idx = int(opts.get("index") or 0)
                            v = as_text(new)
                            if idx < 0:
                                parts.insert(0, v)
                            elif idx >= len(parts):
                                parts.append(v)
                            else:
                                parts[idx] = v
                            new = as_text(delim).join(parts)
                        container[key] = _convert(new, current)
            index.refresh(touched)  # a target field may be a name
