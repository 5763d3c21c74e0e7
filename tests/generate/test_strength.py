"""What a generated Secret's name gives away (kcompile/generate/strength.py): a value
short or simple enough to be recovered from the content-hash suffix is a warning at the
line that set it (an error with --strict), naming the key and never the value; names stay
exactly Kustomize's."""

from __future__ import annotations

import base64
import os
import subprocess

import pytest
import yaml

from kcompile.generate.strength import WEAK_BITS, estimated_bits
from tests.security.guard import run, write_tree


@pytest.mark.parametrize("value, weak", [
    ("1234", True), ("000000", True), ("hunter2", True), ("P@ssw0rd", True), ("abcdefghijkl", True),
    ("a" * 64, True), ("dev-only-password", False), ("correcthorsebatterystaple", False),
    ("Zx8kQ2mP9vLr4TnW7yHb", False), ("aB3dE5fG7hJ9kL1m", False), ("пароль-очень-длинный", False),
])
def test_estimate(value, weak):
    assert (estimated_bits(value.encode()) < WEAK_BITS) == weak


def test_random_bytes_are_strong():
    assert estimated_bits(os.urandom(16)) >= WEAK_BITS


OVERLAY = """\
secretGenerator:
- name: db
  literals:
  - pin=4711
  - token=Zx8kQ2mP9vLr4TnW7yHb
  - username=admin
  envs: [db.env]
- name: plain
  literals: [pin=4711]
  options: {disableNameSuffixHash: true}
"""


def test_warning_names_the_line_and_key_never_the_value(tmp_path, monkeypatch, capsys, ref_tools):
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"ov/kustomization.yaml": OVERLAY, "ov/db.env": "LONG=aB3dE5fG7hJ9kL1mN3pQ\nSHORT=42\n"})
    code, out, err = run(capsys, "build", "ov")
    assert code == 0
    warnings = [ln for ln in err.splitlines() if ln.startswith("kcompile: warning:")]
    assert [(ln.split(": ")[2], ln.split("key ")[1].split(" ")[0]) for ln in warnings] == [
        ("ov/db.env:2", "'SHORT'"), ("ov/kustomization.yaml:2", "'pin'")], err
    assert "options.disableNameSuffixHash: true" in warnings[0]
    for value in ("4711", "42", base64.b64encode(b"4711").decode()):
        assert value not in err
    # names stay Kustomize's
    ref = subprocess.run([str(ref_tools.kubectl), "kustomize", "ov"], capture_output=True, text=True, check=True)
    names = lambda text: [d["metadata"]["name"] for d in yaml.safe_load_all(text)]  # noqa: E731
    assert names(out) == names(ref.stdout)


def test_strict_makes_it_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"ov/kustomization.yaml": "secretGenerator:\n- name: db\n  literals: [pin=4711]\n"})
    code, out, err = run(capsys, "build", "ov", "--strict")
    assert code == 1 and out == ""
    assert err.startswith("kcompile: error: ov/kustomization.yaml:2: Secret 'db-") and "4711" not in err, err


def test_no_warning_without_a_suffix_or_for_configmaps(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"ov/kustomization.yaml": "configMapGenerator:\n- name: c\n  literals: [pin=4711]\n"
                                                   "secretGenerator:\n- name: s\n  literals: [pin=4711]\n"
                                                   "generatorOptions: {disableNameSuffixHash: true}\n"})
    code, _, err = run(capsys, "build", "ov", "--strict")
    assert code == 0 and "warning" not in err, err
