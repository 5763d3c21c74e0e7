"""ConfigMap and Secret data as the API server checks it: keys, sizes, base64.

Kubernetes (``ValidateConfigMap``, ``ValidateSecret``) refuses a data key that is not
``IsConfigMapKey`` (at most 253 characters of ``[-._a-zA-Z0-9]``, not ``.`` or ``..``,
not starting with ``..``), a ConfigMap key present in both ``data`` and ``binaryData``,
and more than 1 MiB of data in one object. A Secret's ``stringData`` is merged into
``data`` before those checks, so it counts as data here too; a ``data`` value must be
base64 (line breaks allowed, as Go's decoder skips them).

A Secret's key is never shown in a message (a key that is not a key is most often a value
that lost its ``=``), and no message shows a value.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterator

from ...model import Resource
from .. import Finding

MAX_SIZE = 1024 * 1024  # core.MaxSecretSize, core.MaxConfigMapSize

_KEY = re.compile(r"[-._a-zA-Z0-9]+")

HIDDEN_KEY = "(key not shown: it may hold a value)"


def key_problem(key: str) -> str | None:
    """What Kubernetes' IsConfigMapKey says of ``key``, or None when it is valid."""
    problems = []
    if len(key) > 253:
        problems.append("must be no more than 253 characters")
    if not _KEY.fullmatch(key):
        problems.append("must consist of alphanumeric characters, '-', '_' or '.'")
    if key == ".":
        problems.append("must not be '.'")
    elif key == "..":
        problems.append("must not be '..'")
    elif key.startswith(".."):
        problems.append("must not start with '..'")
    return "; ".join(problems) or None


def decoded(value: Any) -> bytes | None:
    """A ``data`` value as the API server decodes it; None when it is not base64."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def _maps(r: Resource, fields: tuple[str, ...]) -> Iterator[tuple[str, dict]]:
    for field in fields:
        m = r.body.get(field)
        if isinstance(m, dict):
            yield field, m


def check(resources: list[Resource]) -> list[Finding]:
    out: list[Finding] = []
    for r in resources:
        if r.api_version != "v1" or "sops" in r.body:
            continue  # SOPS: keys and values are ciphertext until deploy time
        if r.kind == "Secret":
            out += _secret(r)
        elif r.kind == "ConfigMap":
            out += _config_map(r)
    return out


def _secret(r: Resource) -> list[Finding]:
    out = []
    size: dict[str, int] = {}
    for field, m in _maps(r, ("data", "stringData")):
        for key, value in m.items():
            key = str(key)
            problem = key_problem(key)
            if problem:
                out.append(Finding("error", r, [field, key], f"a key {HIDDEN_KEY} is invalid: it {problem}",
                                   path=field))
            if field == "data":
                raw = decoded(value) if value is not None else b""
                if raw is None:
                    if isinstance(value, str):  # other types: the schema says so
                        out.append(Finding("error", r, [field, key], "(sensitive value) is not valid base64 "
                                           "(the API server cannot decode it)",
                                           path=field if problem else None))
                    continue
                size[key] = len(raw)
            elif isinstance(value, str):
                size[key] = len(value.encode("utf-8"))  # stringData wins over data
    total = sum(size.values())
    if total > MAX_SIZE:
        out.append(Finding("error", r, ["data"], f"the data is {total} bytes, more than the API server's limit "
                           f"of {MAX_SIZE} bytes (1 MiB) for one Secret"))
    return out


def _config_map(r: Resource) -> list[Finding]:
    out = []
    total = 0
    data = r.body.get("data") if isinstance(r.body.get("data"), dict) else {}
    for field, m in _maps(r, ("data", "binaryData")):
        for key, value in m.items():
            key = str(key)
            problem = key_problem(key)
            if problem:
                out.append(Finding("error", r, [field, key], f"invalid key {key!r}: it {problem}"))
            if field == "binaryData" and key in data:
                out.append(Finding("error", r, ["data", key], f"key {key!r} is in both data and binaryData"))
            if field == "data" and isinstance(value, str):
                total += len(value.encode("utf-8"))
            elif field == "binaryData":
                raw = decoded(value)
                if raw is None and isinstance(value, str):
                    out.append(Finding("error", r, [field, key], "the value is not valid base64 "
                                       "(the API server cannot decode it)"))
                total += len(raw or b"")
    if total > MAX_SIZE:
        out.append(Finding("error", r, [], f"data and binaryData hold {total} bytes, more than the API "
                           f"server's limit of {MAX_SIZE} bytes (1 MiB) for one ConfigMap", path=""))
    return out
