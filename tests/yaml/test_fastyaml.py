"""The yaml-rs fast path reads every text it accepts exactly as the libyaml path does.

The libyaml path (:mod:`kcompile.yaml.libyaml`) is the reference: go-yaml v3 scalar rules,
duplicate keys and alias bombs refused. Each test parses with both and compares data,
document lines and indexes; where libyaml refuses a text, the fast path must decline
it (return None) so the libyaml path reports the error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcompile.yaml import fast as _fastyaml, libyaml as _yamlload
from kcompile.yaml.read import load_documents
from kcompile.yaml.scalars import as_text
from kcompile.errors import KcompileError

ROOT = Path(__file__).resolve().parents[2]

# Scalars the two resolvers could read differently, and ordinary ones.
TRICKY = [
    "0755", "-0755", "09", "00", "0", "-0", "+12", "1_000", "_1", "1_", "1__0", "0b101", "-0b11", "0x1F",
    "-0x1F", "0X1F", "0o17", "0o", "0x", "0b", "1e3", "1E3", "1e+3", "1.e3", ".1e3", "1e400", "-1e-400",
    "1.5e", "00.5", ".5", "-.5", "+.5", "1.", "1.0", "1.10", "0.0", "3.14159", ".inf", "-.Inf", "+.INF",
    ".nan", ".NaN", "NaN", "inf", "true", "True", "TRUE", "tRUE", "false", "yes", "No", "on", "y", "n",
    "null", "Null", "NULL", "~", "2024-01-15", "2024-01-15T12:00:00Z", "12:30", "1:20:30",
    "12345678901234567890", "123456789012345678901234", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "18446744073709551616", "1.0.0", "v1", "8080", "-1", "=", "~/x", "_x",
    ".kube", "-v", "--flag=1", "1,2", "nginx:1.21", "a b", "50m", "128Mi", "0.5Gi",
]
KEYS = ["a", "name", "8080", "1.5", "true", "null", "~", "_1", "0755", "x-1", "1.0.0"]


def both(text: str, keep_text: bool = False):
    try:
        ref = _yamlload.load_documents(text, "f.yaml", keep_text)
    except KcompileError:
        ref = None
    fast = _fastyaml.load_documents(text, keep_text)
    return ref, fast


def same(ref, fast) -> bool:
    # repr: key order counts, and NaN equals NaN
    return repr([(d.data, d.line, d.index) for d in ref]) == repr([(d.data, d.line, d.index) for d in fast])


def assert_agrees(text: str, keep_text: bool = False) -> None:
    ref, fast = both(text, keep_text)
    if ref is None:
        assert fast is None, f"fast path accepted what libyaml refuses: {text!r}"
    elif fast is not None:
        assert same(ref, fast), text
        if keep_text:
            for a, b in zip(ref, fast):
                assert _texts(a.data) == _texts(b.data), text


def _texts(value):
    if isinstance(value, dict):
        return {k: _texts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_texts(v) for v in value]
    return as_text(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


@pytest.mark.parametrize("scalar", TRICKY)
@pytest.mark.parametrize("shape", ["k: {}\n", "- {}\n", "k: [{}]\n", "k: {{a: {}}}\n", "{}: v\n", "--- {}\n"])
def test_scalars_read_alike_in_every_position(scalar, shape):
    assert_agrees(shape.format(scalar))
    assert_agrees(shape.format(scalar), keep_text=True)


@pytest.mark.parametrize("text", [
    "", "# only a comment\n", "---\n", "---\n---\n", "a: 1\n---\n", "---\na: 1\n---\nb: 2\n",
    "# c\n---\n# c2\n\n  a: 1\n", "--- {a: 1}\n--- [1]\n", "--- |\n  x\n---\na: 1\n", "a: 1\n...\n---\nb: 2\n",
    "a: 1\na: 2\n", "a: &x [1]\nb: *x\n", "a: !!str 1\n", "a: !custom x\n", "<<: {a: 1}\nb: 2\n",
    "%YAML 1.2\n---\na: 1\n", "a: 1\r\nb: 2\r\n", "a: x\u2028y\n", "? a\n: b\n", ": v\n", "[a]: b\n",
    "{a: 1}: b\n", "a:\tb\n", "a: b\tc\n", "a: |\n  x\n  y\n", "a: >-\n  x\n\n  y\n", "a: 'it''s'\n",
    'a: "\\u00e9\\x41\\n"\n', "a: x\n  y\n", "a: [1, 2,\n  3]\n", "k: -\n", "a: 'x\n---\ny'\n",
    "a:\n- b\n- c: d\n  e: f\n", "- - 1\n  - 2\n- 3\n", "a: {b: [c, {d: e}]}\n", "a: b # c\n", "a: b#c\n",
    "a: 1\n b: 2\n", "a: [1\n", "a: 'x\n", "\ufeffa: 1\n", "a: \"x\ny\"\n", "a: \n", "a: ''\n",
    "a: {b}\n", "a: {b: }\n", "a: [b: c]\n", "'1': x\n", "\"true\": x\n", "a: 1\n---\n- x\n",
    "a: |\n", "a: |\n  \n", "a: >\n\n", "a: |\n---\nb: 1\n", "{[]}", "{a: 1, [b]}\n", "{a: [1], [b]}\n",
    "[{a: 1}, {b: 2}]\n", "[]:", "{|}", " >\n0", "{a: :0}\n", "a: [_:]\n", "k: {a: 1,2}\n",
])
def test_documents_lines_and_errors_agree(text):
    assert_agrees(text)


def test_an_ordinary_rendered_chart_takes_the_fast_path():
    text = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app{i}\n  labels: {{app: app{i}}}\n"
        f"data:\n  PORT: \"8080\"\n  replicas: {i}\n  ratio: 0.{i}5\n  tag: 1.{i}.0\n"
        for i in range(50)
    )
    ref, fast = both(text)
    assert fast is not None and same(ref, fast)


def test_every_yaml_file_in_the_repository_reads_alike():
    files = [p for p in ROOT.rglob("*.y*ml") if ".venv" not in p.parts and ".git" not in p.parts]
    assert len(files) > 100
    taken = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        for keep_text in (False, True):
            ref, fast = both(text, keep_text)
            if ref is None:
                assert fast is None, path
            elif fast is not None:
                taken += 1
                assert same(ref, fast), path
    assert taken > len(files)  # the fast path is the common one


_scalar = st.one_of(st.sampled_from(TRICKY), st.text(alphabet="ab01-_.:~ e+x", min_size=1, max_size=8))


def _render(value, indent: int, style: str) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        if style == "flow" or not value:
            return "{" + ", ".join(f"{k}: {_render(v, 0, 'flow')}" for k, v in value.items()) + "}"
        return "\n" + "".join(f"{pad}{k}: {_render(v, indent + 2, style)}\n" for k, v in value.items()).rstrip("\n")
    if isinstance(value, list):
        if style == "flow" or not value:
            return "[" + ", ".join(_render(v, 0, "flow") for v in value) + "]"
        return "\n" + "".join(f"{pad}- {_render(v, indent + 2, 'flow')}\n" for v in value).rstrip("\n")
    return value


_tree = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.dictionaries(st.sampled_from(KEYS), _tree, min_size=1, max_size=4),
                          st.sampled_from(["block", "flow"]), st.sampled_from(["---\n", "--- # c\n", "---\n\n"])),
                min_size=1, max_size=3))
def test_generated_streams_read_alike(docs):
    text = "".join(marker + _render(doc, 0, style).lstrip("\n") + "\n" for doc, style, marker in docs)
    assert_agrees(text)
    assert_agrees(text, keep_text=True)


def test_without_yaml_rs_everything_goes_to_libyaml(monkeypatch):
    monkeypatch.setattr(_fastyaml, "_loads", False)
    assert _fastyaml.load_documents("a: 1\n") is None
    assert load_documents("a: 1\n")[0].data == {"a": 1}


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab01:-_.~+ \n\t[]{},#'\"|>e", max_size=40))
def test_arbitrary_yamlish_text_reads_alike(text):
    assert_agrees(text)
