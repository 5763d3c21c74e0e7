"""Jinja charts with Helm's meaning: nothing skipped in silence (templates in subdirectories,
stray files), values printed as YAML, null deleting, tpl, from_yaml/from_json, type tests,
capabilities, release and chart fields, namespaces, dependencies and release typos."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcompile.charts.render import render_chart
from kcompile.cli import main
from kcompile.errors import KcompileError
from kcompile.yaml.read import load_documents


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def chart(tmp: Path, templates: dict[str, str], values: str = "", meta: str = "name: demo\nversion: 0.1.0\n",
          extra: dict[str, str] | None = None) -> Path:
    files = {"Chart.yaml": meta, "values.yaml": values}
    files.update({f"templates/{k}": v for k, v in templates.items()})
    files.update(extra or {})
    return write_tree(tmp / "chart", files)


def render(c: Path, layers=(), set_values=(), release="rel", namespace=None, **kw):
    return render_chart(c, release=release, namespace=namespace, layers=list(layers), set_values=list(set_values), **kw)


def cm(expr: str) -> str:
    """A ConfigMap template whose data.v is the rendered ``expr``, quoted as JSON by the
    template itself would hide the printing: it is written plain, read back by YAML."""
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  v: '" + expr + "'\n"


def rendered_v(tmp: Path, expr: str, values: str = "", **kw) -> str:
    return render(chart(tmp, {"cm.yaml.j2": cm(expr)}, values), **kw)[0].body["data"]["v"]


# -- templates: subdirectories, stray files ---------------------------------------------

def test_templates_in_subdirectories_render_and_helpers_there_do_not(tmp_path):
    c = chart(tmp_path, {
        "a.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        "web/deploy.yaml.j2": "{% import 'web/_h.j2' as h %}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ h.n() }}}\n",
        "web/_h.j2": "{% macro n() %}from-sub{% endmacro %}",
        "tests/test-connection.j2": "apiVersion: v1\nkind: Pod\nmetadata: {name: t}\n",
        "NOTES.txt": "Thanks for installing {{ .Release.Name }}",
        ".gitkeep": "",
    })
    objs = render(c)
    assert [(o.kind, o.name) for o in objs] == [("ConfigMap", "a"), ("Pod", "t"), ("ConfigMap", "from-sub")]
    assert objs[2].origin.file.endswith("templates/web/deploy.yaml.j2")


@pytest.mark.parametrize("stray", ["deployment.yaml", "sub/service.yaml", "_helpers.tpl"])
def test_a_stray_file_in_templates_is_an_error_naming_it(tmp_path, stray):
    c = chart(tmp_path, {"a.yaml.j2": "kind: ConfigMap\n", stray: "kind: Service\n"})
    with pytest.raises(KcompileError) as e:
        render(c)
    assert e.value.file.endswith(stray) and f"templates/{stray}" in e.value.message


# -- values print as YAML ---------------------------------------------------------------

@pytest.mark.parametrize("expr, expected", [
    ("{{ false }}", "false"),
    ("{{ true }}", "true"),
    ("{{ values.b }}", "false"),
    ("{{ values.n }}", "null"),
    ("{{ values.m }}", '{"a": 1, "l": [true, null]}'),
    ("{{ values.l }}", "[1, \"x\"]"),
    ("{{ 'b=' ~ values.b ~ ' n=' ~ values.n }}", "b=false n=null"),
    ("{{ values.b | string }}", "false"),
    ("{{ values.f }}|{{ values.whole }}", "1.5|2"),
    ("{{ values.b | quote }}", '"false"'),
])
def test_values_print_as_yaml_never_as_python(tmp_path, expr, expected):
    got = rendered_v(tmp_path, expr, layers=[("v", {"b": False, "n": None, "m": {"a": 1, "l": [True, None]},
                                                    "l": [1, "x"], "f": 1.5, "whole": 2.0})])
    assert got == expected


# -- null deletes, as in Helm -----------------------------------------------------------

@pytest.mark.parametrize("layers, set_values, expected", [
    ([], [], {"keep": {"a": 1}, "m": {"y": 1}, "l": [1, None]}),  # the chart's own nulls are dropped
    ([("f", {"keep": {"a": None}})], [], {"keep": {}, "m": {"y": 1}, "l": [1, None]}),
    ([("f", {"m": None})], [], {"keep": {"a": 1}, "l": [1, None]}),
    ([("f", {"new": None, "keep": {"c": None}})], [], {"keep": {"a": 1, "c": None}, "m": {"y": 1},
                                                        "l": [1, None], "new": None}),  # unknown keys stay null
    ([("f", {"m": None}), ("g", {"m": {"z": 2}})], [], {"keep": {"a": 1}, "m": {"z": 2}, "l": [1, None]}),
    ([], ["rel.keep.a=null"], {"keep": {}, "m": {"y": 1}, "l": [1, None]}),
])
def test_null_deletes_a_key_of_the_chart_values(tmp_path, layers, set_values, expected):
    c = chart(tmp_path, {"cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                                       "data: {{ values | to_json }}\n"},
              values="m: {x: null, y: 1}\nkeep: {a: 1}\nl: [1, null]\ngone: null\n")
    assert render(c, layers, set_values)[0].body["data"] == expected


# -- tpl, from_yaml, from_json ----------------------------------------------------------

def test_tpl_renders_a_value_as_a_template_in_the_same_context(tmp_path):
    got = rendered_v(tmp_path, "{{ tpl(values.host) }}|{{ values.msg | tpl }}|{{ tpl(values.item, {'i': 3}) }}",
                     "host: '{{ release.name }}.{{ values.domain }}'\ndomain: example.com\n"
                     "msg: '{{ values.domain | upper }}'\nitem: 'n{{ i }}'\n")
    assert got == "rel.example.com|EXAMPLE.COM|n3"


@pytest.mark.parametrize("text, fragment", [
    ("{{ ''.__class__.__mro__ }}", "not allowed"),
    ("{{ values.nope }}", "nope"),
    ("{% include '/etc/passwd' %}", "not found"),
])
def test_tpl_is_sandboxed_and_strict_like_templates(tmp_path, text, fragment):
    c = chart(tmp_path, {"cm.yaml.j2": "kind: ConfigMap\n\nv: {{ tpl(values.t) }}\n"})
    with pytest.raises(KcompileError) as e:
        render(c, [("v", {"t": text})])
    assert fragment in e.value.message and e.value.file.endswith("cm.yaml.j2") and e.value.line == 3


def test_from_yaml_and_from_json(tmp_path):
    got = rendered_v(tmp_path, "{{ (values.y | from_yaml).a.b }}|{{ (values.j | from_json)[1] }}|"
                               "{{ from_yaml(values.y) | to_json }}",
                     "y: \"a: {b: 'on'}\"\nj: '[1, true]'\n")
    assert got == 'on|true|{"a":{"b":"on"}}'
    c = chart(tmp_path / "bad", {"cm.yaml.j2": "v: {{ values.j | from_json }}\n"}, "j: '{nope'\n")
    with pytest.raises(KcompileError) as e:
        render(c)
    assert "from_json" in e.value.message and e.value.line == 1


@pytest.mark.parametrize("expr, expected", [  # each checked against helm template's Sprig
    ("{{ 'HTTPServerName' | snakecase }} {{ 'fooBar_baz' | snakecase }} {{ 'http_server' | camelcase }} "
     "{{ 'foo-bar' | camelcase }} {{ 'FooBar' | kebabcase }}", "http_server_name foo_bar_baz HttpServer FooBar foo-bar"),
    ("{{ coalesce(none, '', 0, 'x', 'y') }}|{{ coalesce(none, '') }}", "x|null"),
    ("{{ {'a': 1, 'b': 2, 'c': 3} | omit('a', 'c') | to_json }}|{{ {'a': 1, 'b': 2} | pick('a') | to_json }}",
     '{"b":2}|{"a":1}'),
    ("{{ 'abc' | sha1sum }}", "a9993e364706816aba3e25717850c26c9cd0d89d"),
])
def test_sprig_string_and_map_functions(tmp_path, expr, expected):
    assert rendered_v(tmp_path, expr) == expected


# -- type tests as Sprig's kindIs -------------------------------------------------------

@pytest.mark.parametrize("expr, expected", [
    ("{{ values.b is number }}|{{ values.i is number }}|{{ values.f is number }}", "false|true|true"),
    ("{{ values.b is boolean }}|{{ values.b is integer }}|{{ values.i is integer }}", "true|false|true"),
    ("{{ values.s is list }}|{{ values.l is list }}|{{ values.m is map }}|{{ values.s is map }}", "false|true|true|false"),
    ("{{ kind_of(values.b) }} {{ kind_of(values.i) }} {{ kind_of(values.f) }} {{ kind_of(values.s) }} "
     "{{ kind_of(values.m) }} {{ kind_of(values.l) }} {{ kind_of(values.n) }}", "bool int64 float64 string map slice invalid"),
    ("{{ kind_is('map', values.m) }}|{{ kind_is('int', values.i) }}|{{ kind_is('bool', values.i) }}", "true|true|false"),
    ("{{ values.z is empty }}|{{ values.b is empty }}|{{ values.s is empty }}", "true|true|false"),
])
def test_type_tests_match_sprig_kinds(tmp_path, expr, expected):
    got = rendered_v(tmp_path, expr, layers=[("v", {"b": False, "i": 3, "f": 1.5, "s": "x", "m": {}, "l": [],
                                                    "n": None, "z": 0})])
    assert got == expected


# -- capabilities, release, chart -------------------------------------------------------

def test_capabilities_follow_kube_version_and_api_versions(tmp_path):
    expr = ("{{ capabilities.kube_version }} {{ capabilities.kube_version.minor }} "
            "{{ capabilities.api_versions.has('apps/v1') }} {{ capabilities.api_versions.has('apps/v1/Deployment') }} "
            "{{ capabilities.api_versions.has('policy/v1beta1/PodSecurityPolicy') }} "
            "{{ capabilities.api_versions.has('example.com/v1') }} {{ 'batch/v1' in capabilities.api_versions }}")
    c = chart(tmp_path, {"cm.yaml.j2": cm(expr)})
    assert render(c, kube_version="1.25")[0].body["data"]["v"] == "v1.25.0 25 true true false false true"
    assert render(c, kube_version="1.30", api_versions=("example.com/v1",))[0].body["data"]["v"] \
        == "v1.30.0 30 true true false true true"


def test_release_and_every_chart_yaml_field(tmp_path):
    expr = ("{{ release.service }} {{ release.is_install }} {{ release.revision }} {{ chart.name }} "
            "{{ chart.type }}|{{ chart.icon }}|{{ chart.keywords | join(',') }}|{{ chart.annotations.team }}|"
            "{{ chart.kubeVersion }}|{{ chart.apiVersion }}|{{ template.name }}")
    c = chart(tmp_path, {"cm.yaml.j2": cm(expr)},
              meta="apiVersion: v2\nname: demo\nversion: 1.10\nkeywords: [a, b]\nannotations: {team: x}\n"
                   "kubeVersion: '>=1.25'\n")
    assert render(c)[0].body["data"]["v"] == "Helm true 1 demo ||a,b|x|>=1.25|v2|demo/templates/cm.yaml.j2"


def test_objects_get_the_instance_namespace_when_namespaced_and_without_one(tmp_path):
    c = chart(tmp_path, {"a.yaml.j2": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: other}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: e}\n")})
    objs = render(c, namespace="prod")
    assert [o.body["metadata"].get("namespace") for o in objs] == ["prod", "other", None, None, "prod"]
    assert all("namespace" not in o.body["metadata"] for o in render(c) if o.name != "b")


# -- dependencies -----------------------------------------------------------------------

def umbrella(tmp: Path, parent_values: str = "", deps: str | None = None) -> Path:
    cmt = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ chart.name }}-{{ release.name }}\n"
           "data: {v: {{ values | to_json | tojson }}}\n")
    deps = deps if deps is not None else (
        "dependencies:\n"
        "- {name: db, version: 1.0.0, condition: db.enabled}\n"
        "- {name: cache, version: 1.0.0, alias: redis, tags: [extras]}\n"
        "- {name: common, version: 1.0.0}\n")
    return write_tree(tmp / "app", {
        "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n" + deps,
        "values.yaml": parent_values or "global: {env: prod}\ndb: {size: 10Gi}\n",
        "templates/cm.yaml.j2": "{% import 'common/_labels.j2' as common %}" + cmt.replace(
            "\ndata:", "\n  labels: {{ common.labels() }}\ndata:"),
        "charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 1.0.0\n",
        "charts/db/values.yaml": "size: 1Gi\nuser: admin\nglobal: {env: dev, region: eu}\nenabled: true\n",
        "charts/db/templates/cm.yaml.j2": cmt,
        "charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
        "charts/cache/values.yaml": "maxmemory: 1mb\n",
        "charts/cache/templates/cm.yaml.j2": cmt,
        "charts/common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 1.0.0\ntype: library\n",
        "charts/common/templates/_labels.j2": "{% macro labels() %}{chart: {{ chart.name }}, env: {{ values.global.env }}}{% endmacro %}",
    })


def data_of(objs) -> dict:
    import json

    return {o.name: json.loads(o.body["data"]["v"]) for o in objs}


def test_subcharts_get_their_scoped_values_and_globals(tmp_path):
    objs = render(umbrella(tmp_path), [("o", {"redis": {"maxmemory": "2mb"}})])
    data = data_of(objs)
    assert list(data) == ["app-rel", "db-rel", "redis-rel"]  # the library chart outputs nothing
    assert data["db-rel"] == {"size": "10Gi", "user": "admin", "enabled": True, "global": {"env": "prod", "region": "eu"}}
    assert data["redis-rel"] == {"maxmemory": "2mb", "global": {"env": "prod"}}
    # the parent sees its subcharts' values with their defaults, as in Helm
    assert data["app-rel"]["db"] == {"size": "10Gi", "user": "admin", "enabled": True}
    assert objs[0].body["metadata"]["labels"] == {"chart": "app", "env": "prod"}  # library macro, parent's context


@pytest.mark.parametrize("values, expected", [
    ({"db": {"enabled": False}}, ["app-rel", "redis-rel"]),
    ({"tags": {"extras": False}}, ["app-rel", "db-rel"]),
    ({"db": {"enabled": False}, "tags": {"extras": False}}, ["app-rel"]),
])
def test_conditions_and_tags_disable_subcharts(tmp_path, values, expected):
    assert [o.name for o in render(umbrella(tmp_path), [("o", values)])] == expected


def test_a_declared_dependency_missing_from_charts_is_an_error(tmp_path):
    c = umbrella(tmp_path, deps="dependencies:\n- {name: postgres, version: 1.0.0}\n")
    with pytest.raises(KcompileError) as e:
        render(c)
    assert "postgres" in e.value.message and "charts/postgres" in e.value.message
    assert e.value.file.endswith("Chart.yaml")


# -- release typos ----------------------------------------------------------------------

def overlays(tmp: Path, top_values: str) -> None:
    chart(tmp, {"cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {{ values | to_json }}\n"})
    write_tree(tmp, {
        "base/kcompile.yaml": "charts:\n- {chart: ../chart, release: web}\n",
        "top/kcompile.yaml": "resources: [../base]\n" + top_values,
    })


def test_chart_values_naming_no_release_is_an_error_with_its_line(tmp_path, monkeypatch, capsys):
    overlays(tmp_path, "chartValues:\n  web: {a: 1}\n  wbe: {a: 2}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "top", "--no-validate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kcompile: error: top/kcompile.yaml:4: chartValues names release 'wbe'") and "releases: web" in err


def test_set_naming_no_release_is_an_error(tmp_path, monkeypatch, capsys):
    overlays(tmp_path, "")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "top", "--no-validate", "--set", "web.a=1"]) == 0
    assert load_documents(capsys.readouterr().out)[0].data["data"] == {"a": 1}
    assert main(["build", "top", "--no-validate", "--set", "wbe.a=secret-ish"]) == 1
    err = capsys.readouterr().err
    assert "release 'wbe'" in err and "releases: web" in err and "secret-ish" not in err


def test_api_versions_flag_reaches_templates(tmp_path, monkeypatch, capsys):
    chart(tmp_path, {"cm.yaml.j2": cm("{{ capabilities.api_versions.has('monitoring.coreos.com/v1') }}")})
    write_tree(tmp_path, {"o/kcompile.yaml": "charts:\n- {chart: ../chart}\n"})
    monkeypatch.chdir(tmp_path)
    for flags, expected in (([], "false"), (["--api-versions", "x/v1,monitoring.coreos.com/v1"], "true")):
        assert main(["build", "o", "--no-validate", *flags]) == 0
        assert load_documents(capsys.readouterr().out)[0].data["data"]["v"] == expected
