"""vars: ``$(NAME)`` references replaced by a field of another object (Kustomize's vars).

Deprecated by Kustomize in favour of replacements, still in every kubebuilder
scaffold. Kustomize's semantics, step by step:

- a kustomization's vars are declared after its transformers ran: each var marks the
  one object its ``objref`` names (by current or any previous id; group, version and
  kind exact, namespace only when given). Two objects matching is an error; none is an
  error only at the end.
- vars travel up with their bases and components; a name declared twice is an error.
- after the top level's name references are fixed, each var's value is read from its
  object's ``fieldref.fieldPath`` (default ``metadata.name``: the final, prefixed and
  hashed name), and every string at the configuration's ``varReference`` field specs
  has ``$(NAME)`` replaced (``$$`` escapes a ``$``). A field that is exactly
  ``$(NAME)`` takes the value's type (a number stays a number). Unknown names stay.
"""

from __future__ import annotations

from typing import Any

from ..errors import KcompileError
from ..fields.path import SpecIndex
from ..model import CLUSTER_SCOPED_NS, Resource, split_api_version
from ..yaml.scalars import as_text
from .config import TransformerConfig


class Var:
    """One ``vars`` entry, defaulted as Kustomize does."""

    __slots__ = ("name", "group", "version", "kind", "obj_name", "namespace", "field_path", "file", "line")

    def __init__(self, entry: Any, file: str | None, line: int | None) -> None:
        self.file, self.line = file, line
        if not isinstance(entry, dict) or not entry.get("name"):
            raise KcompileError("each vars entry needs a 'name' and an 'objref'", file, line)
        self.name = as_text(entry["name"])
        ref = entry.get("objref")
        if not isinstance(ref, dict):
            raise KcompileError(f"var {self.name!r} needs an 'objref' (kind, name, apiVersion)", file, line)
        self.group, self.version = as_text(ref.get("group")), as_text(ref.get("version"))
        api = ref.get("apiVersion")
        if api:
            parts = as_text(api).split("/")
            if len(parts) == 2:
                self.group, self.version = parts
            elif len(parts) == 1:
                self.version = parts[0]
        self.kind = as_text(ref.get("kind"))
        self.obj_name = as_text(ref.get("name"))
        self.namespace = as_text(ref.get("namespace"))
        fieldref = entry.get("fieldref") or entry.get("fieldRef") or {}
        path = fieldref.get("fieldPath") or fieldref.get("fieldpath") if isinstance(fieldref, dict) else None
        self.field_path = as_text(path) if path else "metadata.name"

    def describe(self) -> str:
        api = f"{self.group}/{self.version}" if self.group else self.version
        ns = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.name} ({self.kind} {self.obj_name!r}{ns}, {api or 'no apiVersion'}, {self.field_path})"

    def selects(self, r: Resource) -> bool:
        """Kustomize's GvknEquals (Equals when the objref has a namespace or is
        cluster-scoped) against the object's current or any previous id."""
        group, version = split_api_version(r.api_version)
        if (group, version) != (self.group, self.version):
            return False
        want_ns = None
        if self.namespace:
            want_ns = self.namespace
        from ..fields.specs import is_cluster_scoped

        if is_cluster_scoped(self.group, self.kind):
            want_ns = CLUSTER_SCOPED_NS
        ids = [(r.kind, r.effective_namespace(), r.name)] + list(reversed(r.previous))
        for kind, ns, name in ids:
            if kind != self.kind or name != self.obj_name:
                continue
            if want_ns is None or (ns or "default") == want_ns:
                return True
        return False


def declare_vars(resources: list[Resource], entries: Any, declared: dict[str, Var],
                 file: str | None, line_of: Any) -> None:
    """Mark the object each var names and add the vars to ``declared`` (the vars of
    this accumulation so far)."""
    if not entries:
        return
    if not isinstance(entries, list):
        raise KcompileError("'vars' must be a list", file, line_of())
    for i, entry in enumerate(entries):
        var = Var(entry, file, line_of(i))
        matched = [r for r in resources if r.body and var.selects(r)]
        if len(matched) > 1:
            ids = ", ".join(str(r.id()) for r in matched)
            raise KcompileError(f"var {var.describe()} matches {len(matched)} objects: {ids}", file, var.line)
        if matched:
            matched[0].vars.append(var.name)
        add_var(declared, var)


def add_var(declared: dict[str, Var], var: Var) -> None:
    if var.name in declared:
        raise KcompileError(f"var {var.name!r} is declared twice", var.file, var.line)
    declared[var.name] = var


def resolve_vars(resources: list[Resource], declared: dict[str, Var], config: TransformerConfig) -> None:
    """Replace ``$(NAME)`` at every varReference field (the build's last step)."""
    if not declared:
        return
    holders: dict[str, Resource] = {}
    for r in resources:
        for name in r.vars:
            holders.setdefault(name, r)
    values: dict[str, Any] = {}
    for name in sorted(declared):
        var = declared[name]
        holder = holders.get(name)
        if holder is None:
            hint = "" if var.version else " (Kustomize matches the objref's group and version exactly: give its apiVersion)"
            raise KcompileError(f"var {var.describe()} names no object of the build{hint}", var.file, var.line)
        found, value = _field_value(holder.body, var.field_path)
        if not found:
            raise KcompileError(
                f"var {var.describe()}: field {var.field_path!r} not found in {holder.id()}", var.file, var.line
            )
        values[name] = value
    index = config.memo("vars", lambda: SpecIndex(config.var_reference))
    metadata: Any = None

    def setter(parent: dict[str, Any], key: str) -> None:
        value = parent.get(key)
        if value is None:
            return
        if isinstance(value, str):
            parent[key] = expand(value, values)
        elif isinstance(value, dict):
            # Kustomize writes metadata.annotations back as strings at the end of a build
            as_string = parent is metadata and key == "annotations"
            for k, v in value.items():
                if isinstance(v, str):
                    new = expand(v, values)
                    value[k] = _go_text(new) if as_string and not isinstance(new, str) else new
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise KcompileError(f"a $(VAR) field must hold strings, found {type(item).__name__} in {key!r}")
                value[i] = expand(item, values)

    for r in resources:
        if r.body:
            metadata = r.body.get("metadata")
            group, version = split_api_version(r.api_version)
            index.apply(r.body, group, version, r.kind, setter)


def expand(text: str, values: dict[str, Any]) -> Any:
    """Kustomize's DoReplacements: ``$(NAME)`` -> value, ``$$`` -> ``$``; a text that
    is exactly one reference takes the value itself (its type kept)."""
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            close = text.find(")", i + 2)
            if close < 0:
                out.append("$(")
                i += 2
                continue
            name = text[i + 2:close]
            if name in values and _primitive(values[name]):
                if close - i + 1 == n:
                    return values[name]
                out.append(_go_text(values[name]))
            else:
                out.append(f"$({name})")
            i = close + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


def _primitive(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool))


def _go_text(v: Any) -> str:
    """``fmt.Sprintf("%v", v)``."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return repr(v) if v != int(v) or abs(v) >= 1e21 else str(int(v))
    return str(v)


def _field_value(body: Any, path: str) -> tuple[bool, Any]:
    """The value at a Kustomize field path (``spec.ports[0].port``, ``a.[name=x].b``)."""
    from .replacements import split_path

    node = body
    for seg in split_path(path):
        if isinstance(node, list):
            if seg.startswith("[") and seg.endswith("]"):
                inner = seg[1:-1]
                if inner.isdigit():
                    i = int(inner)
                    if i >= len(node):
                        return False, None
                    node = node[i]
                    continue
                key, _, want = inner.partition("=")
                hits = [x for x in node if isinstance(x, dict) and as_text(x.get(key)) == want]
                if not hits:
                    return False, None
                node = hits[0]
                continue
            return False, None
        if not isinstance(node, dict) or seg not in node:
            return False, None
        node = node[seg]
    return node is not None, node
