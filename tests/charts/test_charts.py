"""Charts: values precedence, schema checks, Sprig-like filters, the sandbox, error locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcompile.charts import filters
from kcompile.charts.render import render_chart
from kcompile.charts.values import parse_set
from kcompile.cli import main
from kcompile.errors import KcompileError
from kcompile.yaml.read import load_documents

ROOT = Path(__file__).resolve().parents[2]


def make_chart(tmp: Path, templates: dict[str, str], values: str = "", schema: str | None = None) -> Path:
    chart = tmp / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: demo\nversion: 0.1.0\nappVersion: '1.0'\n")
    (chart / "values.yaml").write_text(values)
    if schema is not None:
        (chart / "values.schema.json").write_text(schema)
    for name, text in templates.items():
        (chart / "templates" / name).write_text(text)
    return chart


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ release.name }}}\ndata: {{ values | to_json }}\n"


def render(chart: Path, layers=(), set_values=(), release="rel", namespace=None):
    return render_chart(chart, release=release, namespace=namespace, layers=list(layers), set_values=list(set_values))


def test_values_precedence_and_deep_merge(tmp_path):
    chart = make_chart(tmp_path, {"cm.yaml.j2": CM}, values="a: chart\nb: chart\nm: {x: 1, y: 1}\nl: [1, 2]\n")
    objs = render(chart, [("files.yaml", {"b": "file", "m": {"y": 2}, "l": [9]}),
                          ("inline", {"c": "inline", "m": {"z": 3}}),
                          ("upper-overlay", {"c": "upper"})],
                  set_values=["rel.d=5", "other.a=ignored", "rel.m.x=true"])
    data = objs[0].body["data"]
    assert data == {"a": "chart", "b": "file", "c": "upper", "d": 5, "l": [9], "m": {"x": True, "y": 2, "z": 3}}


def test_set_syntax():
    # typed as Helm's --set types values: booleans, null and integers; the rest is text
    assert parse_set("web.image.tag=1.25") == ("web", ["image", "tag"], "1.25")
    assert parse_set("web.mode=0755") == ("web", ["mode"], "0755")
    assert parse_set("web.on=TRUE") == ("web", ["on"], True) and parse_set("web.x=Null") == ("web", ["x"], None)
    assert parse_set("web.n=-12") == ("web", ["n"], -12) and parse_set("web.z=0") == ("web", ["z"], 0)
    assert parse_set("web.y=yes") == ("web", ["y"], "yes")
    assert parse_set("web.replicas=3") == ("web", ["replicas"], 3)
    assert parse_set("web.name=\"007\"") == ("web", ["name"], "007")
    assert parse_set("web.hosts[1].name=x") == ("web", ["hosts", 1, "name"], "x")
    assert parse_set(r"web.annotations.prometheus\.io/scrape=true") == ("web", ["annotations", "prometheus.io/scrape"], True)
    with pytest.raises(KcompileError):
        parse_set("noequals")


def test_schema_violation_names_path_and_file(tmp_path):
    chart = make_chart(tmp_path, {"cm.yaml.j2": CM}, values="replicas: 1\n",
                       schema='{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 0}}}')
    with pytest.raises(KcompileError) as e:
        render(chart, [("overlays/prod/values.yaml", {"replicas": "many"})])
    assert "values.replicas" in e.value.message and "overlays/prod/values.yaml" in e.value.message
    assert e.value.file == "overlays/prod/values.yaml"
    render(chart, [("ok.yaml", {"replicas": 3})])  # valid values pass


@pytest.mark.parametrize("template, expected", [
    ("{{ 'a\\nb' | indent(2) }}", "  a\n  b"),
    ("x:{{ 'a\\nb' | nindent(2) }}", "x:\n  a\n  b"),
    ("{{ none | quote }}", '""'),
    ("{{ \"it's\" | squote }}", "'it''s'"),
    ("{{ {'b': 1, 'a': 'yes', 'n': 12345678901234567890} | to_yaml }}", 'a: "yes"\nb: 1\n"n": 12345678901234567890'),
    ("{{ {'h': '<b>&'} | to_json }}", '{"h":"<b>&"}'),  # Sprig's toJson: compact
    ("{{ 'hello' | b64enc }}|{{ 'aGVsbG8=' | b64dec }}", "aGVsbG8=|hello"),
    ("{{ 'x' | sha256 | trunc(8) }}", "2d711642"),
    ("{{ 0 | default('d') }}|{{ '' | default('d') }}|{{ 'v' | default('d') }}|{{ values.missing | default('d') }}", "d|d|v|d"),
    ("{{ false | required('m') }}|{{ 0 | required('m') }}", "false|0"),
    ("{{ 'web-' | trim_suffix('-') }}|{{ 'abcdef' | trunc(3) }}", "web|abc"),
    ("{{ values | dig('a', 'b', 'none') }}|{{ values | dig('x', 'y', 'none') }}", "deep|none"),
    ("{{ merge({'a': {'x': 1}}, {'a': {'x': 2, 'y': 3}, 'b': 4}) | to_json }}", '{"a":{"x":1,"y":3},"b":4}'),
    ("{{ semver_compare('>=1.21.0', '1.25.3') }}|{{ semver_compare('<1.21', '1.25.3') }}|{{ semver_compare('^1.2', '2.0.0') }}", "true|false|false"),
])
def test_filters(tmp_path, template, expected):
    from kcompile.charts.environment import ChartEnvironment

    chart = make_chart(tmp_path, {})
    env = ChartEnvironment(chart)
    assert env.from_string(template).render(values={"a": {"b": "deep"}}, none=None) == expected


def test_required_fails_on_missing_none_and_empty():
    for v in (None, ""):
        with pytest.raises(filters.ChartFail):
            filters.required(v, "need it")
    assert filters.required(False) is False and filters.required(0) == 0


def test_required_error_names_template_and_line(tmp_path):
    chart = make_chart(tmp_path, {"d.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.name | required('values.name is required: set it in your overlay') }}\n"})
    with pytest.raises(KcompileError) as e:
        render(chart)
    assert e.value.file.endswith("d.yaml.j2") and e.value.line == 4
    assert "values.name is required" in e.value.message


def test_undefined_value_is_an_error_with_line(tmp_path):
    chart = make_chart(tmp_path, {"d.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: {{ values.nope.deeper }}\n"})
    with pytest.raises(KcompileError) as e:
        render(chart)
    assert e.value.line == 5 and "undefined" in e.value.message and "nope" in e.value.message


def test_syntax_error_names_template_and_line(tmp_path):
    chart = make_chart(tmp_path, {"d.yaml.j2": "a: 1\n{% if values.x %}\nb: 2\n"})
    with pytest.raises(KcompileError) as e:
        render(chart)
    assert e.value.file.endswith("d.yaml.j2") and "syntax" in e.value.message


def test_bad_rendered_yaml_shows_rendered_lines(tmp_path):
    chart = make_chart(tmp_path, {"d.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ values.v }}\n b: 2\n"},
                       values="v: 1\n")
    with pytest.raises(KcompileError) as e:
        render(chart)
    msg = e.value.message
    assert e.value.file.endswith("d.yaml.j2")
    assert "rendered line" in msg and "|   a: 1" in msg and "b: 2" in msg


def test_fail_global(tmp_path):
    chart = make_chart(tmp_path, {"d.yaml.j2": "{% if values.bad %}{{ fail('bad is set') }}{% endif %}\nkind: X\n"},
                       values="bad: true\n")
    with pytest.raises(KcompileError) as e:
        render(chart)
    assert "bad is set" in e.value.message and e.value.line == 1


@pytest.mark.parametrize("template, fragment", [
    ("{% include '/etc/passwd' %}", "not found"),
    ("{% include '../../../../etc/passwd' %}", "not found"),
    ("{% import '../Chart.yaml' as x %}", "not found"),
    ("{{ ''.__class__.__mro__ }}", "not allowed"),
    ("{{ values.__class__ }}", "not allowed"),
    ("{{ range(10**10) | list }}", "too large"),
    ("{{ 'x' * 10**9 }}", "render limit"),
    ("{{ lipsum() }}", "undefined"),
    ("{{ self._TemplateReference__context }}", "not allowed"),
    ("{{ values.l.append(2) }}", "not allowed"),  # values are read-only
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "render limit"),
    ("{{ 'x'.ljust(10**9) }}", "render limit"),
    ("{{ 'x' | center(10**9) }}", "render limit"),
    ("{{ '{:>999999999}'.format(1) }}", "render limit"),
    ("{{ '%0999999999d' % 1 }}", "render limit"),
    ("{{ 'x' | indent(10**8) }}", "render limit"),
    ("{{ [1, 2] | random }}", "pure function"),
    ("{{ now() }}", "pure function"),
    ("{{ env('HOME') }}", "pure function"),
])
def test_sandbox_refuses_escapes(tmp_path, template, fragment):
    chart = make_chart(tmp_path, {"d.yaml.j2": f"kind: ConfigMap\nv: {template}\n"}, values="l: [1]\n")
    with pytest.raises(KcompileError) as e:
        render(chart)
    assert fragment in e.value.message.lower() or fragment in str(e.value.format()).lower()


def test_symlink_out_of_chart_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    chart = make_chart(tmp_path, {"d.yaml.j2": "kind: ConfigMap\nv: {% include 'link.txt' %}\n"})
    (chart / "templates" / "link.txt").symlink_to(secret)
    with pytest.raises(KcompileError) as e:
        render(chart)
    assert "top secret" not in e.value.format()


def test_helpers_are_not_output_and_macros_see_values(tmp_path):
    chart = make_chart(tmp_path, {
        "_h.j2": "{% macro n() %}{{ release.name }}-{{ values.suffix }}{% endmacro %}",
        "a.yaml.j2": "{% import '_h.j2' as h %}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ h.n() }}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    }, values="suffix: x\n")
    objs = render(chart)
    assert [(o.kind, o.name) for o in objs] == [("ConfigMap", "rel-x"), ("Secret", "s")]
    assert objs[0].origin.template and objs[0].origin.file.endswith("a.yaml.j2")


def test_checksum_of_another_template_changes_with_its_content(tmp_path):
    chart = make_chart(tmp_path, {
        "cm.yaml.j2": CM,
        "d.yaml.j2": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: {sum: '{{ checksum(\"cm.yaml.j2\") }}'}}\n",
    }, values="k: v\n")
    one = render(chart)[1].body["metadata"]["annotations"]["sum"]
    two = render(chart, [("x", {"k": "w"})])[1].body["metadata"]["annotations"]["sum"]
    assert len(one) == 64 and one != two


def test_render_is_deterministic(tmp_path):
    chart = make_chart(tmp_path, {"cm.yaml.j2": CM}, values="a: 1\nb: [x]\n")
    assert [o.body for o in render(chart)] == [o.body for o in render(chart)]


def test_repository_example_overlays_build(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    for env in ("dev", "staging", "prod"):
        assert main(["build", f"overlays/{env}", "--no-validate"]) == 0
        docs = [d.data for d in load_documents(capsys.readouterr().out)]
        kinds = {d["kind"] for d in docs}
        assert {"Namespace", "ResourceQuota", "LimitRange", "Deployment", "Service", "ConfigMap", "Secret"} <= kinds
        deploy = next(d for d in docs if d["kind"] == "Deployment")
        assert deploy["metadata"]["namespace"] == f"shop-{env}"


def test_chart_values_override_from_the_command_line(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["build", "overlays/prod", "--no-validate", "--set", "web.replicas=9"]) == 0
    docs = [d.data for d in load_documents(capsys.readouterr().out)]
    assert next(d for d in docs if d["kind"] == "Deployment")["spec"]["replicas"] == 9


def test_chart_values_of_the_nearest_overlay_win(tmp_path, capsys, monkeypatch):
    make_chart(tmp_path, {"cm.yaml.j2": CM}, values="level: chart\n")
    (tmp_path / ".git").mkdir()
    for d, text in {
        "base/kcompile.yaml": "charts: [{chart: ../chart, release: app, values: {level: base}}]\n",
        "mid/kcompile.yaml": "resources: [../base]\nchartValues: {app: {level: mid, mid: true}}\n",
        "top/kcompile.yaml": "resources: [../mid]\nchartValues: {app: {level: top}}\n",
    }.items():
        (tmp_path / d).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / d).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "top", "--no-validate"]) == 0
    data = load_documents(capsys.readouterr().out)[0].data["data"]
    assert data == {"level": "top", "mid": True}


def test_render_cache_hits_and_invalidates(tmp_path):
    chart = make_chart(tmp_path, {"cm.yaml.j2": CM}, values="a: 1\n")
    cache = tmp_path / "cache"
    first = render_chart(chart, release="r", namespace=None, layers=[], cache_dir=cache)
    assert list((cache / "rendered").iterdir())
    again = render_chart(chart, release="r", namespace=None, layers=[], cache_dir=cache)
    assert [o.body for o in again] == [o.body for o in first]
    assert again[0].origin == first[0].origin
    other = render_chart(chart, release="r", namespace=None, layers=[("x", {"a": 2})], cache_dir=cache)
    assert other[0].body["data"] == {"a": 2}
    (chart / "templates" / "cm.yaml.j2").write_text(CM.replace("ConfigMap", "Secret"))
    changed = render_chart(chart, release="r", namespace=None, layers=[], cache_dir=cache)
    assert changed[0].kind == "Secret"
