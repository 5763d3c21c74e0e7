"""Findings never show a Secret's value, wherever the value went.

A value copied out of a Secret (``replacements``, ``vars``) into a label, a replica count
or an annotation is still secret: a finding about that field would quote it. After all
checks ran, every finding's message is cleaned of the values the build's Secrets hold
(``stringData`` values; ``data`` values both as written, in base64, and decoded): the
field the finding is about is hidden when it is such a value or holds one of four
characters or more; a value of eight characters or more is replaced wherever it occurs,
a shorter one where it is a whole quoted value (``'123'``, ``"123"``). The object id and
the field path are cleaned the same way.
Only builds with findings pay for this, once per build.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Iterable

from ..model import Resource
from . import Finding

SENSITIVE = "(sensitive value)"

# Values this long are hidden wherever they occur; shorter ones where they are a whole
# quoted value, or inside the field the finding is about (from 4 characters): "on",
# "true" or "admin" would otherwise hide words of unrelated messages.
_SUBSTRING_MIN = 8
_FIELD_SUBSTRING_MIN = 4


def secret_values(resources: Iterable[Resource]) -> set[str]:
    """Every value the build's Secrets hold, in each form a message could quote it."""
    out: set[str] = set()
    for r in resources:
        if r.kind != "Secret":
            continue
        for field in ("data", "stringData"):
            values = r.body.get(field)
            for v in (values.values() if isinstance(values, dict) else [values]):
                _add_forms(out, v, encoded=field == "data")
    out.discard("")
    return out


def _add_forms(out: set[str], value: Any, encoded: bool) -> None:
    if isinstance(value, (dict, list)):
        for v in (value.values() if isinstance(value, dict) else value):
            _add_forms(out, v, encoded)
        return
    if value is None or isinstance(value, bool):
        return
    text = str(value)
    out.add(text)
    out.add(text.strip())
    if encoded:
        try:
            raw = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            return
        decoded = raw.decode("utf-8", errors="replace")
        out.add(decoded)
        out.add(decoded.strip())
    else:
        out.add(base64.b64encode(text.encode("utf-8")).decode("ascii"))


def _field_value(r: Resource | None, segments: list) -> Any:
    node: Any = r.body if r is not None else None
    for seg in segments:
        if isinstance(node, dict):
            node = node.get(seg)
        elif isinstance(node, list) and isinstance(seg, int) and -len(node) <= seg < len(node):
            node = node[seg]
        else:
            return None
    return node


def hide(message: str, values: set[str], field: Any = None) -> str:
    """``message`` with every Secret value of ``values`` replaced (module docstring)."""
    if field is not None and not isinstance(field, (dict, list)):
        text = str(field)
        if text in values or any(len(v) >= _FIELD_SUBSTRING_MIN and v in text for v in values):
            for shown in (json.dumps(field), repr(field), text):
                message = message.replace(shown, SENSITIVE)
    for v in sorted(values, key=len, reverse=True):
        if v not in message:
            continue
        message = re.sub("(['\"])" + re.escape(v) + r"\1", SENSITIVE, message)  # a whole quoted value
        if len(v) >= _SUBSTRING_MIN:
            message = message.replace(v, SENSITIVE)
    return message


def hide_secret_values(findings: list[Finding], resources: list[Resource]) -> None:
    """Clean every finding's message of the build's Secret values, in place."""
    if not findings:
        return
    values = secret_values(resources)
    if not values:
        return
    for f in findings:
        f.message = hide(f.message, values, _field_value(f.resource, f.segments) if f.segments else None)
        # a value copied into a name or a key would show in the object id or the path
        f.object, f.path = hide(f.object, values), hide(f.path, values)
