"""What a Secret's ``type`` requires, as Kubernetes' ``ValidateSecret`` checks it.

``stringData`` counts as data (the API server merges it in first):

* ``kubernetes.io/tls``: keys ``tls.crt`` and ``tls.key`` (either may be empty);
* ``kubernetes.io/dockerconfigjson``: ``.dockerconfigjson`` holding a JSON object;
* ``kubernetes.io/dockercfg``: ``.dockercfg`` holding a JSON object;
* ``kubernetes.io/basic-auth``: ``username`` or ``password`` (one is enough, empty is fine);
* ``kubernetes.io/ssh-auth``: a non-empty ``ssh-privatekey``;
* ``kubernetes.io/service-account-token``: a non-empty annotation
  ``kubernetes.io/service-account.name``.

Messages name keys (fixed by the type) and never a value.
"""

from __future__ import annotations

import json
from typing import Any

from ...model import Resource
from .. import Finding
from .data import decoded

SERVICE_ACCOUNT_NAME = "kubernetes.io/service-account.name"


def _contents(r: Resource) -> dict[str, bytes | None]:
    """Every key of data and stringData with its bytes (None: not decodable)."""
    out: dict[str, bytes | None] = {}
    data = r.body.get("data")
    if isinstance(data, dict):
        for k, v in data.items():
            out[str(k)] = b"" if v is None else decoded(v)
    string_data = r.body.get("stringData")
    if isinstance(string_data, dict):
        for k, v in string_data.items():
            out[str(k)] = v.encode("utf-8") if isinstance(v, str) else (b"" if v is None else None)
    return out


def _json_object(raw: bytes) -> bool:
    """Whether Go's json.Unmarshal into a map accepts ``raw`` (an object, or null)."""
    def refuse(_: str) -> Any:
        raise ValueError("not JSON")  # NaN, Infinity: Python reads them, Go does not

    try:
        value = json.loads(raw.decode("utf-8", errors="replace"), parse_constant=refuse)
    except (ValueError, RecursionError):
        return False
    return value is None or isinstance(value, dict)


def _where(r: Resource, key: str) -> list:
    """The field to point at: the key where it is, else ``data``."""
    for field in ("stringData", "data"):
        m = r.body.get(field)
        if isinstance(m, dict) and key in m:
            return [field, key]
    return ["data"] if isinstance(r.body.get("data"), dict) or "stringData" not in r.body else ["stringData"]


def check(resources: list[Resource]) -> list[Finding]:
    out: list[Finding] = []
    for r in resources:
        if r.kind != "Secret" or r.api_version != "v1" or "sops" in r.body:
            continue
        kind = r.body.get("type")
        if not isinstance(kind, str) or kind in ("", "Opaque"):
            continue
        contents = _contents(r)

        def need(key: str, why: str = "") -> None:
            out.append(Finding("error", r, _where(r, key), f"a Secret of type {kind} needs the key {key!r}{why}",
                               path=f"data.{key}"))

        if kind == "kubernetes.io/tls":
            for key in ("tls.crt", "tls.key"):
                if key not in contents:
                    need(key)
        elif kind in ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"):
            key = ".dockerconfigjson" if kind.endswith("json") else ".dockercfg"
            if key not in contents:
                need(key)
            elif contents[key] is not None and not _json_object(contents[key] or b""):
                out.append(Finding("error", r, _where(r, key), f"{key} must hold a JSON object "
                                   "(the value is not shown)", path=f"data.{key}"))
        elif kind == "kubernetes.io/basic-auth":
            if "username" not in contents and "password" not in contents:
                need("username", " or 'password'")
        elif kind == "kubernetes.io/ssh-auth":
            if not contents.get("ssh-privatekey"):
                need("ssh-privatekey", ", not empty")
        elif kind == "kubernetes.io/service-account-token":
            md = r.body.get("metadata")
            annotations = md.get("annotations") if isinstance(md, dict) else None
            if not isinstance(annotations, dict) or not annotations.get(SERVICE_ACCOUNT_NAME):
                out.append(Finding("error", r, ["metadata", "annotations", SERVICE_ACCOUNT_NAME],
                                   f"a Secret of type {kind} needs the annotation {SERVICE_ACCOUNT_NAME!r}",
                                   path=f"metadata.annotations.{SERVICE_ACCOUNT_NAME}"))
    return out
