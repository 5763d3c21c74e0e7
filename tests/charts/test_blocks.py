"""to_yaml_block: values placed at the indentation of where they stand, whatever it is."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcompile.errors import KcompileError

from tests.charts.test_charts import make_chart, render

VALUES = """\
resources: {limits: {cpu: 100m}, requests: {cpu: 50m, memory: 64Mi}}
env: [{name: A, value: "1"}, {name: B, value: "yes"}]
args: []
script: "echo hi\\necho there\\n"
extra: {name: side, image: busybox}
labels: {team: web, tier: "on"}
port: 8080
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{ values.labels | to_yaml_block }}
spec:
  template:
    spec:
      containers:
      - name: main
        resources: {{ values.resources | to_yaml_block }}
        env: {{ values.env | to_yaml_block }}
        args: {{ values.args | to_yaml_block }}
        command:
        - {{ values.script | to_yaml_block }}
        ports:
        - containerPort: {{ values.port | to_yaml_block }}
      - {{ values.extra | to_yaml_block }}
"""


def values():
    from kcompile.yaml.read import load_one

    return load_one(VALUES)


def test_blocks_land_under_keys_as_list_items_and_alone(tmp_path):
    chart = make_chart(tmp_path, {
        "d.yaml.j2": DEPLOYMENT,
        "cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n    {{ values.labels | to_yaml_block }}\n",
    }, values=VALUES)
    cm, dep = sorted((o.body for o in render(chart)), key=lambda b: b["kind"])
    v = values()
    assert cm["data"] == v["labels"]
    assert dep["metadata"]["labels"] == v["labels"]
    main, extra = dep["spec"]["template"]["spec"]["containers"]
    assert main["resources"] == v["resources"]
    assert main["env"] == v["env"]
    assert main["args"] == []
    assert main["command"] == ["echo hi\necho there\n"]
    assert main["ports"] == [{"containerPort": 8080}]
    assert extra == v["extra"]


def test_reindenting_the_template_changes_nothing(tmp_path):
    shifted = "\n".join(("    " + ln if ln.startswith(" ") else ln) for ln in DEPLOYMENT.splitlines()) + "\n"
    a = render(make_chart(tmp_path / "a", {"d.yaml.j2": DEPLOYMENT}, values=VALUES))
    b = render(make_chart(tmp_path / "b", {"d.yaml.j2": shifted}, values=VALUES))
    assert a[0].body == b[0].body


@pytest.mark.parametrize("line", [
    "data: {{ values.labels | to_yaml_block }} # trailing\n",
    "data: x {{ values.labels | to_yaml_block }}\n",
])
def test_misplaced_block_is_an_error_naming_the_rendered_line(tmp_path, line):
    chart = make_chart(tmp_path, {"cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n" + line},
                       values=VALUES)
    with pytest.raises(KcompileError) as e:
        render(chart)
    assert "to_yaml_block" in e.value.message and "rendered line 4" in e.value.message
    assert str(e.value.file).endswith("cm.yaml.j2")


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
              st.text(alphabet="ab :#-\n'\"yes0.1", max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text("abc-", min_size=1, max_size=4), inner, max_size=3)),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(value=_json, depth=st.integers(0, 4))
def test_any_value_reads_back_at_any_depth(tmp_path_factory, value, depth):
    tmp = tmp_path_factory.mktemp("b")
    pad = "  " * depth
    nest = "".join(f"{'  ' * i}k{i}:\n" for i in range(depth))
    template = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n"
                + "".join("  " + ln + "\n" for ln in nest.splitlines())
                + f"  {pad}v: {{{{ values.v | to_yaml_block }}}}\n"
                + f"  {pad}l:\n  {pad}- {{{{ values.v | to_yaml_block }}}}\n")
    # given as an overlay's values: the chart's own values.yaml drops nulls, as Helm's does
    chart = make_chart(tmp, {"cm.yaml.j2": template})
    data = render(chart, [("values.yaml", {"v": value})])[0].body["data"]
    for i in range(depth):
        data = data[f"k{i}"]
    assert data["v"] == value
    assert data["l"] == [value]


def test_kept_trailing_newlines_survive_at_the_end_of_a_block(tmp_path):
    chart = make_chart(tmp_path, {"cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                                                "data: {{ values.d | to_yaml_block }}\nimmutable: true\n"},
                       values='d: {a: "x\\n\\n\\n", b: "y\\n"}\n')
    body = render(chart)[0].body
    assert body["data"] == {"a": "x\n\n\n", "b": "y\n"} and body["immutable"] is True
    chart = make_chart(tmp_path / "2", {"cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                                                      "data: {{ values.d | to_yaml_block }}\nimmutable: true\n"},
                       values='d: {b: "y\\n", z: "x\\n\\n"}\n')
    assert render(chart)[0].body["data"] == {"b": "y\n", "z": "x\n\n"}
