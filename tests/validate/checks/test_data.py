"""ConfigMap and Secret data as the API server checks it (kcompile/validate/checks/data.py):
keys (Kubernetes' IsConfigMapKey), a key in both data and binaryData, the 1 MiB limit,
base64. Findings name the field and the line that set it, never a Secret's key or value;
keys a generator made point at the generator's literal or env-file line."""

from __future__ import annotations

import base64

import pytest

from kcompile.build import build
from kcompile.validate import validate
from kcompile.validate.checks.data import key_problem

from ..helpers import errors, load


@pytest.mark.parametrize("key, problem", [
    ("a", None), ("A-b_c.d", None), (".env", None), ("a..b", None), ("x" * 253, None), ("...", "start with '..'"),
    ("", "alphanumeric"), ("a b", "alphanumeric"), ("a/b", "alphanumeric"), ("é", "alphanumeric"),
    (".", "must not be '.'"), ("..", "must not be '..'"), ("..a", "start with '..'"),
    ("x" * 254, "253 characters"),
])
def test_key_rule(key, problem):
    found = key_problem(key)
    assert (found is None) == (problem is None), found
    if problem:
        assert problem in found


CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"

# (object text, [(field path, line, message fragment)])
CASES = {
    "valid ConfigMap": (CONFIG_MAP + "data: {a: '1', .b: x}\nbinaryData: {c: eA==}\n", []),
    "ConfigMap key with a space": (CONFIG_MAP + "data:\n  ok: x\n  'bad key': y\n",
                                   [("data.bad key", 6, "invalid key 'bad key'")]),
    "ConfigMap binaryData key '..'": (CONFIG_MAP + "binaryData:\n  '..': eA==\n", [("binaryData...", 5, "'..'")]),
    "key in data and binaryData": (CONFIG_MAP + "data:\n  a: x\nbinaryData:\n  a: eA==\n",
                                   [("data.a", 5, "in both data and binaryData")]),
    "binaryData not base64": (CONFIG_MAP + "binaryData:\n  a: 'not base64!'\n", [("binaryData.a", 5, "not valid base64")]),
    "ConfigMap over 1 MiB": (CONFIG_MAP + f"data:\n  a: {'x' * (512 * 1024)}\n  b: {'x' * (512 * 1024 + 1)}\n",
                             [("", 1, "1048577 bytes, more than")]),
    "ConfigMap of exactly 1 MiB": (CONFIG_MAP + f"data:\n  a: {'x' * (1024 * 1024)}\n", []),
    "valid Secret": (SECRET + "data: {a: eA==, b: \"eA\\n==\"}\nstringData: {c: x}\n", []),
    "Secret key hidden": (SECRET + "data:\n  'pw hunter2': eA==\n", [("data", 5, "a key (key not shown")]),
    "Secret stringData key": (SECRET + "stringData:\n  ..x: y\n", [("stringData", 5, "start with '..'")]),
    "Secret data not base64": (SECRET + "data:\n  pw: hunter2!\n", [("data.pw", 5, "(sensitive value) is not valid base64")]),
    "Secret over 1 MiB, decoded": (
        SECRET + f"data:\n  a: {base64.b64encode(b'x' * (1024 * 1024)).decode()}\nstringData:\n  b: x\n",
        [("data", 4, "1048577 bytes")]),
    "Secret base64 of 1 MiB is within": (
        SECRET + f"data:\n  a: {base64.b64encode(b'x' * (1024 * 1024)).decode()}\n", []),
    "stringData replaces a data key in the size": (
        SECRET + f"data:\n  a: {base64.b64encode(b'x' * (1024 * 1024)).decode()}\nstringData:\n  a: x\n", []),
    "SOPS Secret is ciphertext": (SECRET + "data:\n  'ENC[x]': y\nsops: {version: 3}\n", []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_data(tmp_path, name):
    text, expected = CASES[name]
    found = [f for f in errors(validate(load(tmp_path, text))) if "schema" not in f.message]
    found = [f for f in found if f.path.split(".")[0] in ("data", "binaryData", "stringData", "")]
    assert [(f.path, f.line) for f in found] == [(p, line) for p, line, _ in expected], [f.message for f in found]
    for f, (_, _, fragment) in zip(found, expected):
        assert fragment in f.message, f.message
        assert "hunter2" not in f.message + f.path


def test_generated_keys_point_at_their_source(tmp_path):
    """A generator's invalid key points at the literal's entry or the env file line."""
    (tmp_path / "kustomization.yaml").write_text(
        "configMapGenerator:\n- name: c\n  literals: ['bad key=1']\n"
        "secretGenerator:\n- name: s\n  envs: [s.env]\n")
    (tmp_path / "s.env").write_text("ok=1\n\nnot ok=2\n")
    found = errors(validate(build(str(tmp_path)).resources))
    assert [(f.object.split("-")[0], f.path, f.file.split("/")[-1], f.line) for f in found] == [
        ("ConfigMap/c", "data.bad key", "kustomization.yaml", 2),
        ("Secret/s", "data", "s.env", 3),
    ]
    assert "not ok" not in found[1].message
