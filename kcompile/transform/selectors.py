"""Selecting objects: Kubernetes label selectors and Kustomize patch/replacement targets."""

from __future__ import annotations

import re
from typing import Any, Callable

from ..errors import KcompileError
from ..model import Resource, split_api_version

_REQ = re.compile(
    r"\s*(?:(?P<not>!)\s*(?P<nkey>[^\s=!,()]+)"
    r"|(?P<key>[^\s=!,()]+)\s*(?:(?P<op>==|=|!=)\s*(?P<val>[^\s,()]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<set>[^)]*)\))?)\s*(?:,|$)"
)

Matcher = Callable[[dict[str, Any]], bool]


def parse_label_selector(text: str, file: str | None = None, line: int | None = None) -> Matcher:
    """``a=b,c!=d,e in (x,y),f notin (z),g,!h`` -> a predicate over a labels map."""
    reqs: list[Matcher] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _REQ.match(text, pos)
        if not m or m.end() == pos:
            raise KcompileError(f"invalid label selector {text!r}", file, line)
        pos = m.end()
        if m.group("not"):
            k = m.group("nkey")
            reqs.append(lambda lb, k=k: k not in lb)
        elif m.group("op"):
            k, v, op = m.group("key"), m.group("val"), m.group("op")
            if op == "!=":
                reqs.append(lambda lb, k=k, v=v: lb.get(k) != v)
            else:
                reqs.append(lambda lb, k=k, v=v: lb.get(k) == v)
        elif m.group("setop"):
            k = m.group("key")
            values = {s.strip() for s in m.group("set").split(",") if s.strip()}
            if m.group("setop") == "in":
                reqs.append(lambda lb, k=k, vs=values: lb.get(k) in vs)
            else:
                reqs.append(lambda lb, k=k, vs=values: lb.get(k) not in vs)
        else:
            k = m.group("key")
            reqs.append(lambda lb, k=k: k in lb)
    return lambda labels: all(r(labels) for r in reqs)


def _anchored(pattern: str, what: str, file: str | None, line: int | None) -> re.Pattern[str]:
    try:
        return re.compile(f"^(?:{pattern})$")
    except re.error as e:
        raise KcompileError(f"invalid {what} regular expression {pattern!r}: {e}", file, line) from None


class Target:
    """A Kustomize selector: group/version/kind/name/namespace (anchored regexes),
    labelSelector, annotationSelector. Empty fields match anything."""

    def __init__(self, spec: dict[str, Any], file: str | None = None, line: int | None = None) -> None:
        if not isinstance(spec, dict):
            raise KcompileError("a target must be a map", file, line)
        self.spec = spec
        self.file, self.line = file, line
        self.res: dict[str, re.Pattern[str]] = {}
        for field in ("group", "version", "kind", "name", "namespace"):
            v = spec.get(field)
            if v not in (None, ""):
                self.res[field] = _anchored(str(v), field, file, line)
        ls, an = spec.get("labelSelector"), spec.get("annotationSelector")
        self.labels = parse_label_selector(ls, file, line) if ls else None
        self.annotations = parse_label_selector(an, file, line) if an else None

    def matches(self, r: Resource) -> bool:
        if not r.body:
            return False
        res = self.res
        if "namespace" in res:
            org_ns = r.previous[0][1] if r.previous else r.effective_namespace()
            if not (res["namespace"].match(org_ns) or res["namespace"].match(r.effective_namespace())):
                return False
        if "name" in res:
            org_name = r.previous[0][2] if r.previous else r.name
            if not (res["name"].match(org_name) or res["name"].match(r.name)):
                return False
        if "group" in res or "version" in res:
            group, version = split_api_version(r.api_version)
            if "group" in res and not res["group"].match(group):
                return False
            if "version" in res and not res["version"].match(version):
                return False
        if "kind" in res and not res["kind"].match(r.kind):
            return False
        if self.labels is not None and not self.labels(r.labels()):
            return False
        if self.annotations is not None and not self.annotations(r.annotations()):
            return False
        return True

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.spec.items() if v not in (None, ""))


_LITERAL = re.compile(r"[A-Za-z0-9_\-:/@]+")  # a selector pattern that matches only itself


def literal_pattern(pattern: Any) -> str | None:
    """The one string an anchored selector pattern can match, if it has no regex syntax
    (no '.', which matches any character)."""
    return pattern if isinstance(pattern, str) and _LITERAL.fullmatch(pattern) else None


class ResourceIndex:
    """Objects by kind and by name (current and every previous name), so selecting the
    objects of N patches or replacements among N objects is not N x N matches.

    ``candidates`` returns a superset of what a selector may pick, in list order; callers
    still check each candidate with the full selector. Entries are only added: after a
    step changes an object's kind or name, ``refresh`` adds its new keys (an old key left
    behind yields a candidate the full check rejects)."""

    def __init__(self, resources: list[Resource]) -> None:
        self.resources = resources
        self.position: dict[int, int] = {}
        self.by_kind: dict[str, list[Resource]] = {}
        self.by_name: dict[str, list[Resource]] = {}
        self._keys: dict[int, set[tuple[str, str]]] = {}
        for i, r in enumerate(resources):
            self.position[id(r)] = i
            self._add(r)

    def _add(self, r: Resource) -> None:
        have = self._keys.setdefault(id(r), set())
        keys = {("k", r.kind), ("n", r.name)}
        for kind, _ns, name in r.previous:
            keys.add(("k", kind))
            keys.add(("n", name))
        for key in keys - have:
            have.add(key)
            (self.by_kind if key[0] == "k" else self.by_name).setdefault(key[1], []).append(r)

    def appended(self, r: Resource) -> None:
        """Index ``r``, just appended to the indexed list."""
        self.position[id(r)] = len(self.position)
        self._add(r)

    def refresh(self, resources: Any) -> None:
        """Index the current and previous ids of ``resources`` (objects already indexed)."""
        for r in resources:
            self._add(r)

    def candidates(self, kind: str | None = None, name: str | None = None) -> list[Resource]:
        """Objects that may have ``kind`` and ``name`` (any id); everything if neither."""
        if name is not None:
            pool = self.by_name.get(name, [])
        elif kind is not None:
            pool = self.by_kind.get(kind, [])
        else:
            return list(self.resources)
        if len(pool) > 1:
            pos = self.position
            pool = sorted(pool, key=lambda r: pos[id(r)])  # one entry per object and key
        return list(pool)

    def select(self, target: "Target") -> list[Resource]:
        """The objects ``target`` matches, in list order."""
        pool = self.candidates(literal_pattern(target.spec.get("kind")), literal_pattern(target.spec.get("name")))
        return [r for r in pool if target.matches(r)]
