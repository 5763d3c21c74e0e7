"""Kustomize's content hash for generated ConfigMaps and Secrets (the name suffix).

The hash covers the kind, the type (Secrets) and the data — not the name, labels or
annotations — encoded as Go's ``encoding/json`` would (sorted keys, compact, HTML
characters escaped), then SHA-256, then the first 10 hex digits with 0,1,3,a,e mapped to
g,h,k,m,t so the suffix is never all digits. Names therefore match ``kubectl kustomize``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_SUBSTITUTE = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json(value: Any) -> str:
    """JSON as Go's json.Marshal writes it: compact, keys sorted, HTML-safe escapes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in _GO_ESCAPES.items():
        if ch in text:
            text = text.replace(ch, esc)
    return text


def encode(hex_digest: str) -> str:
    return hex_digest[:10].translate(_SUBSTITUTE)


def _map_or_empty(value: Any) -> Any:
    # Kustomize looks the field up; a missing one counts as "" (not null, not {}).
    return value if value is not None else ""


def content_hash(obj: dict[str, Any]) -> str:
    """The 10-character suffix Kustomize appends to a generated object's name."""
    kind = obj.get("kind")
    if kind == "ConfigMap":
        m: dict[str, Any] = {"kind": "ConfigMap", "name": "", "data": _map_or_empty(obj.get("data"))}
        if isinstance(obj.get("binaryData"), dict):
            m["binaryData"] = obj["binaryData"]
    elif kind == "Secret":
        m = {"kind": "Secret", "type": _map_or_empty(obj.get("type")), "name": "",
             "data": _map_or_empty(obj.get("data"))}
        if isinstance(obj.get("stringData"), dict):
            m["stringData"] = obj["stringData"]
    else:
        m = obj
    return encode(hashlib.sha256(go_json(m).encode("utf-8")).hexdigest())
