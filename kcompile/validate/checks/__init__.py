"""The checks Kubernetes makes only at apply time, or never: one module per check.

Each module exposes ``check(resources) -> list[Finding]`` over the whole build and is
registered once in :data:`CHECKS`; :func:`semantic_checks` runs them in that order.
Adding a check is a module here plus a line in the table (and its test beside the others
in tests/validate/checks/). Shared readings of objects live in :mod:`.pods` (pod specs,
containers, pod counts) and :mod:`.syntax` (name and label syntax), which report nothing.
Checks read objects only: they never change them and know nothing of files or the CLI.
"""

from __future__ import annotations

from typing import Callable

from ...model import Resource
from .. import Finding
from . import data, duplicates, names, quota, references, secret_types, selectors, services
from . import resources as container_resources

# The order findings of one object come in (validate() sorts by object, then severity).
CHECKS: tuple[tuple[str, Callable[[list[Resource]], list[Finding]]], ...] = (
    ("duplicates", duplicates.check),
    ("names", names.check),
    ("data", data.check),
    ("secret_types", secret_types.check),
    ("services", services.check),
    ("selectors", selectors.check),
    ("resources", container_resources.check),
    ("references", references.check),
    ("quota", quota.check),
)


def semantic_checks(resources: list[Resource]) -> list[Finding]:
    """Every apply-time finding for a build's objects, check by check."""
    out: list[Finding] = []
    for _name, check in CHECKS:
        out += check(resources)
    return out
