"""replicas: set spec.replicas of named workloads."""

from __future__ import annotations

from typing import Any

from ..errors import KcompileError
from ..fields.path import SpecIndex
from ..model import Resource, split_api_version
from .config import DEFAULT, TransformerConfig


def apply_replicas(resources: list[Resource], replicas: Any, *, file: str | None = None,
                   config: TransformerConfig = DEFAULT, specs: Any = None) -> None:
    """``specs`` (a ReplicaCountTransformer's fieldSpecs) replaces the configuration's table."""
    table = config.memo("replicas", lambda: SpecIndex(config.replicas)) if specs is None else SpecIndex(specs)
    for entry in replicas or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise KcompileError("each replicas entry needs a 'name' and a 'count'", file)
        count = entry.get("count")
        if isinstance(count, str) and count.lstrip("-").isdigit() and len(count) <= 20:
            count = int(count)
        if not isinstance(count, int) or isinstance(count, bool) or not -(2**63) <= count < 2**63:
            raise KcompileError(f"replicas count for {entry['name']!r} must be a 64-bit integer", file)
        count = int(count)
        name = entry["name"]

        def setter(parent: dict[str, Any], key: str) -> None:
            parent[key] = count

        found = False
        for r in resources:
            if not r.body or not any(n == name for n in _names(r)):
                continue
            group, version = split_api_version(r.api_version)
            if table.for_kind(group, version, r.kind):
                found = True
                table.apply(r.body, group, version, r.kind, setter)
        if not found:
            raise KcompileError(
                f"replicas: no Deployment, ReplicaSet, ReplicationController or StatefulSet named {name!r}", file
            )


def _names(r: Resource):
    yield r.name
    for _, _, n in r.previous:
        yield n

