"""YAML in/out: go-yaml v3 scalar rules on input; unambiguous, stable output."""

from __future__ import annotations

import io

import pytest
import yaml as pyyaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from kcompile.yaml.read import load_documents, load_one
from kcompile.yaml.scalars import as_text
from kcompile.yaml.write import dump
from kcompile.errors import KcompileError


def yaml12_load(text: str):
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


AMBIGUOUS = ["on", "NO", "Yes", "y", "N", "off", "0755", "1e3", "~", "null", "2024-01-01", "12:30", "0x1F",
             "0o17", "+12", ".inf", "-.Inf", ".NaN", "1_000", "true", "False", "1.0", "-1", "", " x", "x ",
             "2024-01-01T00:00:00Z", "<<", "=", "1.21.0", "0b101"]


@pytest.mark.parametrize("value", AMBIGUOUS)
def test_ambiguous_strings_read_back_as_strings_under_yaml_1_1_and_1_2(value):
    text = dump({"data": {"k": value}})
    assert pyyaml.safe_load(text) == {"data": {"k": value}}
    assert yaml12_load(text) == {"data": {"k": value}}
    assert load_one(text) == {"data": {"k": value}}


@pytest.mark.parametrize("value", ["nginx:1.21", "1.21-alpine", "-Xmx512m", "http://x:80/a", "a#b", "web"])
def test_safe_strings_stay_plain(value):
    assert dump({"k": value}) == f"k: {value}\n"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=30))
def test_any_string_round_trips_through_every_reader(value):
    text = dump({"k": value, "list": [value]})
    expected = {"k": value, "list": [value]}
    assert load_one(text) == expected
    assert pyyaml.safe_load(text) == expected
    assert yaml12_load(text) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_shaped_values_round_trip(value):
    assert load_one(dump(value)) == value


def test_keys_sorted_and_output_stable():
    obj = {"metadata": {"name": "x"}, "apiVersion": "v1", "kind": "ConfigMap", "data": {"b": "1", "a": "2"}}
    text = dump(obj)
    assert text == 'apiVersion: v1\ndata:\n  a: "2"\n  b: "1"\nkind: ConfigMap\nmetadata:\n  name: x\n'
    assert dump(obj) == text


def test_multiline_strings_are_literal_blocks():
    assert dump({"k": "a\nb\n"}) == "k: |\n  a\n  b\n"
    assert dump({"k": "a\nb"}) == "k: |-\n  a\n  b\n"
    assert load_one(dump({"k": "a\n\n"})) == {"k": "a\n\n"}
    # trailing spaces would be invisible in a block: quoted instead
    assert dump({"k": "a \nb"}).startswith('k: "')


def test_input_scalars_resolve_like_kustomize():
    data = load_one("a: yes\nb: 0755\nc: 1e3\nd: 0x1F\ne: ~\nf: 2024-01-01\ng: TRUE\nh: 1_000\ni: .inf\n")
    assert data["a"] == "yes"
    assert data["b"] == 493  # go-yaml v3 keeps 1.1 octals
    assert data["c"] == 1000.0
    assert data["d"] == 31
    assert data["e"] is None
    assert data["f"] == "2024-01-01"  # no implicit timestamps (deliberate, docs/compat.md)
    assert data["g"] is True
    assert data["h"] == 1000
    assert data["i"] == float("inf")


def test_floats_print_like_go_json():
    assert dump({"a": 1000.0, "b": 1.5, "c": 1e21}) == "a: 1000\nb: 1.5\nc: 1e+21\n"


def test_keep_text_remembers_number_spelling():
    data = load_one("tag: 1.10\nmode: 0755\n", keep_text=True)
    assert as_text(data["tag"]) == "1.10"
    assert as_text(data["mode"]) == "0755"
    assert data["tag"] == 1.1


def test_duplicate_key_is_an_error_with_line():
    with pytest.raises(KcompileError) as e:
        load_documents("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert e.value.line == 3
    assert "already defined at line 1" in e.value.message


def test_merge_keys_do_not_count_as_duplicates():
    data = load_one("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n")
    assert data["d"] == {"x": 1, "y": 3}


def test_invalid_yaml_names_line():
    with pytest.raises(KcompileError) as e:
        load_documents("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")
    assert e.value.file == "bad.yaml"
    assert e.value.line is not None and e.value.line >= 2


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(KcompileError) as e:
        load_documents("\n".join(lines) + "\n", "bomb.yaml")
    assert "alias" in e.value.message


def test_moderate_aliases_are_expanded_and_unshared():
    data = load_one("a: &x {k: [1]}\nb: *x\n")
    assert data == {"a": {"k": [1]}, "b": {"k": [1]}}
    data["a"]["k"].append(2)
    assert data["b"]["k"] == [1]


def test_documents_keep_their_start_lines():
    docs = load_documents("a: 1\n---\n\nb: 2\n---\n# empty\n---\nc: 3\n", "f")
    assert [(d.data, d.line) for d in docs] == [({"a": 1}, 1), ({"b": 2}, 4), ({"c": 3}, 8)]


def test_load_one_refuses_several_documents():
    from kcompile.errors import KcompileError

    with pytest.raises(KcompileError, match="expected one YAML document, found several"):
        load_one("a: 1\n---\nb: 2\n", "two.yaml")
