"""Secret values become keyed digests before they reach the store or a plan.

A digest is ``kcompile-digest:`` + HMAC-SHA256(key, value): equal values give equal
digests under one key, so a plan can tell that a value changed, but without the key
nobody can test guesses against the database (a plain hash of a short password could be
brute-forced). Nothing here touches SQLite.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Callable

DIGEST_PREFIX = "kcompile-digest:"
SENSITIVE_KINDS = frozenset({"Secret"})
SENSITIVE_FIELDS = ("data", "stringData")


def keyed_digest(key: bytes, value: object) -> str:
    """The keyed digest of one value (strings as UTF-8, anything else as sorted JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return DIGEST_PREFIX + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def is_digest(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(DIGEST_PREFIX)


def is_sensitive(obj: dict) -> bool:
    """Whether ``obj`` carries values that must never be stored or shown (a ``data`` that
    is not a map is still a value: it is masked whole)."""
    kind = obj.get("kind")
    return isinstance(kind, str) and kind in SENSITIVE_KINDS and any(obj.get(f) is not None for f in SENSITIVE_FIELDS)


def sensitive_items(obj: dict) -> list[tuple[str, str | None, object]]:
    """(field, data key, value) of each Secret value in ``obj``; the key is None for a
    ``data``/``stringData`` that is not a map (masked as one value)."""
    out: list[tuple[str, str | None, object]] = []
    if obj.get("kind") not in SENSITIVE_KINDS:
        return out
    for f in SENSITIVE_FIELDS:
        v = obj.get(f)
        if isinstance(v, dict):
            out.extend((f, k, x) for k, x in v.items())
        elif v is not None:
            out.append((f, None, v))
    return out


def mask_secrets(objects: list[dict], digest: Callable[[object], str]) -> list[dict]:
    """Copies of ``objects`` whose Secret ``data``/``stringData`` values are replaced by
    ``digest(value)``. Values already masked are kept, so masking twice is harmless;
    other objects are returned as they are (not copied)."""
    out = []
    for o in objects:
        if is_sensitive(o):
            o = dict(o)
            for f in SENSITIVE_FIELDS:
                v = o.get(f)
                if isinstance(v, dict):
                    o[f] = {k: (x if is_digest(x) else digest(x)) for k, x in v.items()}
                elif v is not None and not is_digest(v):
                    o[f] = digest(v)
        out.append(o)
    return out


def has_masked_values(obj: dict) -> bool:
    """Whether a stored object's Secret values are digests (so it cannot be re-applied
    as it is)."""
    return any(is_digest(v) for _, _, v in sensitive_items(obj))
