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
    """Whether ``obj`` carries values that must never be stored or shown."""
    return obj.get("kind") in SENSITIVE_KINDS and any(obj.get(f) is not None for f in SENSITIVE_FIELDS)


def mask_secrets(objects: list[dict], digest: Callable[[object], str]) -> list[dict]:
    """Copies of ``objects`` whose Secret ``data``/``stringData`` values are replaced by
    ``digest(value)``. Values already masked are kept, so masking twice is harmless;
    other objects are returned as they are (not copied)."""
    out = []
    for o in objects:
        if is_sensitive(o):
            o = dict(o)
            for f in SENSITIVE_FIELDS:
                value = o.get(f)
                if isinstance(value, dict):
                    o[f] = {k: (v if is_digest(v) else digest(v)) for k, v in value.items()}
                elif value is not None and not is_digest(value):
                    o[f] = digest(value)  # not a map (invalid, but built with --no-validate): still a secret
        out.append(o)
    return out


def has_masked_values(obj: dict) -> bool:
    """Whether a stored object's Secret values are digests (so it cannot be re-applied
    as it is)."""
    return obj.get("kind") in SENSITIVE_KINDS and any(
        is_digest(v) for f in SENSITIVE_FIELDS
        for v in (obj[f].values() if isinstance(obj.get(f), dict) else [obj.get(f)]))
