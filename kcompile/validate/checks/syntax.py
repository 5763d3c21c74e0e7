"""Name and label syntax the API server enforces: DNS-1123 names, label keys and values.

Shared by the checks of names, selectors and Services; no check of its own.
"""

from __future__ import annotations

import re
from typing import Any

from ...model import Resource
from .. import Finding


DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")


def label_key_problem(key: str) -> str | None:
    prefix, sep, name = key.rpartition("/")
    if sep:
        if not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.fullmatch(prefix):
            return f"label key {key!r}: the prefix must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not LABEL_NAME.fullmatch(name):
        return f"label key {key!r}: the name must be 63 characters or less, alphanumeric, '-', '_' or '.' inside"
    return None


def label_value_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"label value {value!r} must be a string"
    if value and (len(value) > 63 or not LABEL_NAME.fullmatch(value)):
        return f"label value {value!r} must be 63 characters or less, alphanumeric, '-', '_' or '.' inside"
    return None


def label_findings(r: Resource, path: list, labels: Any) -> list[Finding]:
    out = []
    if not isinstance(labels, dict):
        return out
    for k, v in labels.items():
        problem = label_key_problem(str(k)) or label_value_problem(v)
        if problem:
            out.append(Finding("error", r, path + [k], problem))
    return out


def transformer_set_keys(r: Resource, selector: dict) -> list[str]:
    """Keys of a selector map that an overlay's ``commonLabels``/``labels`` set (with the
    value it still has): a finding that such a key causes names it, so it points at the
    overlay line (``Resource.set_by``) rather than at the base object."""
    return [k for k, v in selector.items() if any(pairs.get(k) == v for _, _, pairs in r.set_by)]
