"""Validation: Kubernetes JSON schemas plus the checks the cluster makes at apply time
(or never): names and labels, selectors, Service ports, requests vs limits, references,
ResourceQuota fit. Each finding names the object, the field path and the file and line
that set it (found only when reporting: builds without findings pay nothing for it).
"""

from __future__ import annotations

from typing import Any

from ..model import Resource


class Finding:
    """One problem: severity (error | warning | note), object, field path, location."""

    __slots__ = ("severity", "object", "path", "message", "resource", "segments", "_where")

    def __init__(self, severity: str, resource: Resource | None, segments: list, message: str,
                 path: str | None = None, object_name: str | None = None) -> None:
        self.severity = severity
        self.resource = resource
        self.segments = segments
        self.message = message
        self.path = path if path is not None else format_path(segments, resource)
        self.object = object_name or (object_id(resource) if resource is not None else "")
        self._where: tuple[str | None, int | None] | None = None

    @property
    def where(self) -> tuple[str | None, int | None]:
        if self._where is None:
            if self.resource is None:
                self._where = (None, None)
            else:
                from .locate import field_location

                self._where = field_location(self.resource, self.segments)
        return self._where

    @property
    def file(self) -> str | None:
        return self.where[0]

    @property
    def line(self) -> int | None:
        return self.where[1]

    def as_dict(self, cwd: str | None = None) -> dict[str, Any]:
        from ..errors import display_path

        return {
            "severity": self.severity, "object": self.object, "path": self.path,
            "file": display_path(self.file, cwd) if self.file else None, "line": self.line,
            "message": self.message,
        }


def object_id(r: Resource) -> str:
    ns = r.namespace
    return f"{r.kind}/{ns}/{r.name}" if ns else f"{r.kind}/{r.name}"


def format_path(segments: list, resource: Resource | None = None) -> str:
    """['spec', 'containers', 0, 'image'] -> 'spec.containers[name=web].image' (list
    items named by their name when they have one, else by index)."""
    out = ""
    node: Any = resource.body if resource is not None else None
    for seg in segments:
        if isinstance(seg, int):
            item = node[seg] if isinstance(node, list) and -len(node) <= seg < len(node) else None
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                out += f"[name={item['name']}]"
            else:
                out += f"[{seg}]"
            node = item
        else:
            out += f".{seg}" if out else str(seg)
            node = node.get(seg) if isinstance(node, dict) else None
    return out


def validate(resources: list[Resource], *, kube_version: str | None = None, strict: bool = False,
             extra_schemas: Any = None) -> list[Finding]:
    """Every finding for a build's objects; with ``strict`` warnings become errors."""
    from .checks import semantic_checks
    from .schemas import schema_findings

    findings = schema_findings(resources, kube_version, extra_schemas)
    findings += semantic_checks(resources)
    _placeholders_noted(findings)
    if findings:
        from .sensitive import hide_secret_values

        hide_secret_values(findings, resources)
    if strict:
        for f in findings:
            if f.severity == "warning":
                f.severity = "error"
    order = {"error": 0, "warning": 1, "note": 2}
    index = {id(r): i for i, r in enumerate(resources)}
    findings.sort(key=lambda f: (index.get(id(f.resource), -1), order.get(f.severity, 3)))
    return findings


# A Flux post-build substitution placeholder: ${VAR}, ${VAR:-default}, ${VAR:=default}
_PLACEHOLDER = None


def _placeholders_noted(findings: list[Finding]) -> None:
    """A finding about a value that holds a Flux ``${VAR}`` placeholder is a note: the
    value is only known after Flux substitutes it, at deploy time."""
    global _PLACEHOLDER
    for f in findings:
        if f.severity == "note" or f.resource is None or not f.segments:
            continue
        value: Any = f.resource.body
        for seg in f.segments:
            if isinstance(value, dict):
                value = value.get(seg)
            elif isinstance(value, list) and isinstance(seg, int) and -len(value) <= seg < len(value):
                value = value[seg]
            else:
                value = None
                break
        if not isinstance(value, str) or "${" not in value:
            continue
        if _PLACEHOLDER is None:
            import re

            _PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=][^}]*)?\}")
        if _PLACEHOLDER.search(value):
            f.severity = "note"
            f.message = f"{value!r} holds a post-build substitution placeholder (Flux), checked once substituted: {f.message}"


def format_findings(findings: list[Finding], fmt: str = "text", cwd: str | None = None) -> str:
    """Text (``FILE:LINE: severity: object: path: message``) or JSON."""
    if fmt == "json":
        import json

        return json.dumps([f.as_dict(cwd) for f in findings], indent=2) + "\n"
    from ..errors import display_path

    lines = []
    for f in findings:
        loc = ""
        if f.file:
            loc = display_path(f.file, cwd) + (f":{f.line}" if f.line else "") + ": "
        path = f" {f.path}:" if f.path else ""
        lines.append(f"{loc}{f.severity}: {f.object}:{path} {f.message}")
    return "\n".join(lines) + ("\n" if lines else "")
