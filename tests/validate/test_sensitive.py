"""Findings cleaned of the build's Secret values (kcompile/validate/sensitive.py)."""

from __future__ import annotations

import base64

import pytest

from kcompile.model import Resource
from kcompile.validate.sensitive import SENSITIVE, hide, secret_values


def test_values_in_every_form():
    secret = Resource({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                       "data": {"a": base64.b64encode(b"from-data-1").decode(), "n": None},
                       "stringData": {"b": " from-string ", "c": ["in-a-list"]}})
    cm = Resource({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "public!"}})
    found = secret_values([secret, cm])
    assert {"from-data-1", base64.b64encode(b"from-data-1").decode(), " from-string ", "from-string",
            base64.b64encode(b" from-string ").decode(), "in-a-list"} <= found
    assert "public!" not in found and "" not in found


VALUES = {"longsecretvalue", "1234", "true"}


@pytest.mark.parametrize("message, field, shown", [
    ("label value 'longsecretvalue' is invalid", None, f"label value {SENSITIVE} is invalid"),
    ("x: prefix-longsecretvalue-suffix", None, f"x: prefix-{SENSITIVE}-suffix"),
    ("replicas '1234' is not an integer", None, f"replicas {SENSITIVE} is not an integer"),
    ("12345 pods and 1234 more", None, "12345 pods and 1234 more"),  # short, unquoted: left
    ('"true" is not of type "integer"', None, f'{SENSITIVE} is not of type "integer"'),
    ("it is true that the quota is over", None, "it is true that the quota is over"),
    ('"pin-1234" is not of type "integer"', "pin-1234", f'{SENSITIVE} is not of type "integer"'),
    ("1234 is not of type string", 1234, f"{SENSITIVE} is not of type string"),
])
def test_hide(message, field, shown):
    assert hide(message, VALUES, field) == shown
