"""What a Secret's type requires, as Kubernetes' ValidateSecret checks it
(kcompile/validate/checks/secret_types.py); stringData counts as data. Findings name the
key the type needs and never a value."""

from __future__ import annotations

import pytest

from kcompile.validate import validate

from ..helpers import errors, load

E30 = "e30="  # base64 of {}


def secret(kind: str, body: str = "", annotations: str = "") -> str:
    md = f"metadata:\n  name: s\n{annotations}"
    return f"apiVersion: v1\nkind: Secret\n{md}type: {kind}\n{body}"


# (type, body, annotations, [(path, line, fragment)])
CASES = {
    "Opaque needs nothing": ("Opaque", "", "", []),
    "custom type needs nothing": ("example.com/thing", "", "", []),
    "tls complete": ("kubernetes.io/tls", "data: {tls.crt: '', tls.key: ''}\n", "", []),
    "tls from stringData": ("kubernetes.io/tls", "stringData: {tls.crt: a, tls.key: b}\n", "", []),
    "tls without key": ("kubernetes.io/tls", "data:\n  tls.crt: eA==\n", "",
                        [("data.tls.key", 6, "needs the key 'tls.key'")]),
    "tls without anything": ("kubernetes.io/tls", "", "",
                             [("data.tls.crt", 1, "'tls.crt'"), ("data.tls.key", 1, "'tls.key'")]),
    "dockerconfigjson": ("kubernetes.io/dockerconfigjson", f"data: {{.dockerconfigjson: {E30}}}\n", "", []),
    "dockerconfigjson null is accepted": ("kubernetes.io/dockerconfigjson", "stringData: {.dockerconfigjson: 'null'}\n",
                                          "", []),
    "dockerconfigjson missing": ("kubernetes.io/dockerconfigjson", "data: {config.json: e30=}\n", "",
                                 [("data..dockerconfigjson", 6, "needs the key '.dockerconfigjson'")]),
    "dockerconfigjson not JSON": ("kubernetes.io/dockerconfigjson", "stringData:\n  .dockerconfigjson: '{hunter2'\n",
                                  "", [("data..dockerconfigjson", 7, "must hold a JSON object")]),
    "dockerconfigjson a JSON list": ("kubernetes.io/dockerconfigjson", "stringData:\n  .dockerconfigjson: '[1]'\n",
                                     "", [("data..dockerconfigjson", 7, "JSON object")]),
    "dockerconfigjson NaN": ("kubernetes.io/dockerconfigjson", "stringData:\n  .dockerconfigjson: '{\"a\": NaN}'\n",
                             "", [("data..dockerconfigjson", 7, "JSON object")]),
    "dockercfg": ("kubernetes.io/dockercfg", "stringData: {.dockercfg: '{\"r\": {}}'}\n", "", []),
    "dockercfg missing": ("kubernetes.io/dockercfg", "stringData: {.dockerconfigjson: '{}'}\n", "",
                          [("data..dockercfg", 6, "'.dockercfg'")]),
    "basic-auth username only": ("kubernetes.io/basic-auth", "stringData: {username: u}\n", "", []),
    "basic-auth empty password only": ("kubernetes.io/basic-auth", "data: {password: ''}\n", "", []),
    "basic-auth neither": ("kubernetes.io/basic-auth", "stringData: {user: u}\n", "",
                           [("data.username", 6, "'username' or 'password'")]),
    "ssh-auth": ("kubernetes.io/ssh-auth", "stringData: {ssh-privatekey: k}\n", "", []),
    "ssh-auth empty": ("kubernetes.io/ssh-auth", "data:\n  ssh-privatekey: ''\n", "",
                       [("data.ssh-privatekey", 7, "'ssh-privatekey', not empty")]),
    "service-account-token": ("kubernetes.io/service-account-token", "",
                              "  annotations: {kubernetes.io/service-account.name: sa}\n", []),
    "service-account-token without annotation": ("kubernetes.io/service-account-token", "", "",
                                                 [("metadata.annotations.kubernetes.io/service-account.name", 3,
                                                   "needs the annotation")]),
    "service-account-token empty annotation": ("kubernetes.io/service-account-token", "",
                                               "  annotations:\n    kubernetes.io/service-account.name: ''\n",
                                               [("metadata.annotations.kubernetes.io/service-account.name", 6,
                                                 "needs the annotation")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_secret_type(tmp_path, name):
    kind, body, annotations, expected = CASES[name]
    found = errors(validate(load(tmp_path, secret(kind, body, annotations))))
    assert [(f.path, f.line) for f in found] == [(p, line) for p, line, _ in expected], [f.message for f in found]
    for f, (_, _, fragment) in zip(found, expected):
        assert fragment in f.message and "hunter2" not in f.message, f.message
