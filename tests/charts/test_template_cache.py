"""The per-template render cache: a template renders again only when a value it read
changed, and a cached render always equals a fresh one.

The backbone is a differential property: for generated sequences of value sets, a chart
whose templates read values in every way a template can (lookups, missing keys, ``get``,
``items``, loops, the root used whole, ``tpl``, ``checksum``, helpers' top-level code,
subcharts with ``global``) renders with a shared cache exactly as it renders with none.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kcompile.charts.render as render_module
from kcompile.charts.render import render_chart
from kcompile.errors import KcompileError

HELPERS = """{% set top_name = values.name | default('anon') %}
{% macro label(v) %}{{ v.get('team', 'none') }}{% endmacro %}
{% macro whole(v) %}{{ v | length }}{% endmacro %}
"""

TEMPLATES = {
    "_helpers.j2": HELPERS,
    "lookup.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lookup}\ndata:\n"
                      "  a: {{ values.a | quote }}\n"
                      "{% if values.m.x is defined %}  mx: {{ values.m.x | quote }}\n{% endif %}"
                      "  mget: {{ values.m.get('y', 'dflt') | quote }}\n"
                      "  item: {{ values['b'] | quote }}\n",
    "loops.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loops}\ndata:\n"
                     "{% for k, v in values.m.items() %}  m-{{ k }}: {{ v | quote }}\n{% endfor %}"
                     "{% for x in values.l %}  l{{ loop.index }}: {{ x | quote }}\n{% endfor %}"
                     "{% if values.l %}  first: {{ values.l[0] | quote }}\n  last: {{ values.l[-1] | quote }}\n{% endif %}",
    "root.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: root}\ndata:\n"
                    "  keys: {{ values | list | join(',') | quote }}\n"
                    "  hasz: {{ ('z' in values) | quote }}\n"
                    "{% set v = values %}  alias: {{ v.b | quote }}\n",
    "json.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: json}\ndata:\n"
                    "  all: {{ values | to_json | quote }}\n",
    "macro.yaml.j2": "{% import '_helpers.j2' as h %}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: macro}\ndata:\n"
                     "  top: {{ h.top_name | quote }}\n  team: {{ h.label(values.m) | quote }}\n"
                     "  n: {{ h.whole(values) | quote }}\n",
    "tpl.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tpl}\ndata:\n"
                   "  t: {{ tpl(values.t) | quote }}\n",
    "sum.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sum\n"
                   "  annotations: {checksum: {{ checksum('lookup.yaml.j2') | quote }}}\n",
    "flag.yaml.j2": "{% if values.flag %}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flag}\n"
                    "data: {g: {{ values.global.g | default('-') | quote }}}\n{% endif %}",
}
SUB_TEMPLATES = {
    "sub.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sub}\n"
                   "data: {s: {{ values.s | default('-') | quote }}, g: {{ values.global.g | default('-') | quote }}}\n",
}


def write_chart(root: Path) -> Path:
    files = {"Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.0.0\ndependencies:\n- name: sub\n",
             "values.yaml": "a: 1\nb: two\nm: {}\nl: []\nt: plain\nflag: false\nglobal: {}\n",
             "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
             "charts/sub/values.yaml": "s: own\n",
             **{f"templates/{k}": v for k, v in TEMPLATES.items()},
             **{f"charts/sub/templates/{k}": v for k, v in SUB_TEMPLATES.items()}}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def bodies(chart: Path, values: dict, cache: Path | None) -> list[dict]:
    return [r.body for r in render_chart(chart, release="r", namespace="ns", layers=[("v.yaml", values)],
                                         cache_dir=cache)]


def outcome(chart: Path, values: dict, cache: Path | None) -> tuple:
    """The objects, or the error (a null deletes a key, so some value sets fail)."""
    try:
        return ("objects", bodies(chart, values, cache))
    except KcompileError as e:
        return ("error", e.format())


scalar = st.sampled_from([0, 1, "1", "two", True, False, None, "x"])
values_sets = st.fixed_dictionaries({}, optional={
    "a": scalar, "b": scalar, "z": scalar, "name": scalar, "flag": st.booleans(),
    "m": st.dictionaries(st.sampled_from(["x", "y", "team", "items"]), scalar, max_size=3),
    "l": st.lists(scalar, max_size=3),
    "t": st.sampled_from(["plain", "{{ values.a }}", "{{ release.name }}-{{ values.b }}", "{{ values.m }}"]),
    "sub": st.fixed_dictionaries({}, optional={"s": scalar}),
    "global": st.fixed_dictionaries({}, optional={"g": scalar}),
})


@settings(max_examples=int(os.environ.get("KCOMPILE_CACHE_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=st.lists(values_sets, min_size=2, max_size=5))
def test_a_cached_render_equals_a_fresh_one(tmp_path_factory, sequence):
    tmp = tmp_path_factory.mktemp("tc")
    chart, cache = write_chart(tmp / "chart"), tmp / "cache"
    for values in sequence + sequence[:1]:  # back to the first set: served from the cache
        assert outcome(chart, values, cache) == outcome(chart, values, None)


@pytest.fixture()
def renders(monkeypatch):
    """The templates that actually render (not served from a cache)."""
    names: list[str] = []
    original = render_module._Renderer._render

    def counting(self, name):
        names.append(name)
        return original(self, name)

    monkeypatch.setattr(render_module._Renderer, "_render", counting)
    return names


ALL = sorted(n for n in TEMPLATES if not n.startswith("_"))


@pytest.mark.parametrize("change, again", [
    ({"unread": 1}, []),  # no template reads it (json and root read everything)
    ({"a": 2}, ["lookup.yaml.j2", "sum.yaml.j2"]),  # sum takes lookup's checksum
    ({"m": {"team": "t"}}, ["loops.yaml.j2", "lookup.yaml.j2", "macro.yaml.j2", "sum.yaml.j2"]),
    ({"m": {"other": 1}}, ["loops.yaml.j2", "lookup.yaml.j2", "macro.yaml.j2", "sum.yaml.j2"]),
    ({"name": "n"}, ["macro.yaml.j2"]),  # read by the helpers' top-level code
    ({"t": "{{ values.b }}"}, ["tpl.yaml.j2"]),
    ({"flag": True}, ["flag.yaml.j2"]),
    ({"sub": {"s": "mine"}}, ["sub.yaml.j2"]),
])
def test_only_templates_that_read_a_changed_value_render_again(tmp_path, renders, change, again):
    chart, cache = write_chart(tmp_path / "chart"), tmp_path / "cache"
    base = {"a": 1, "m": {"y": "why"}}
    bodies(chart, base, cache)
    assert sorted(renders) == sorted(ALL + ["sub.yaml.j2"])
    renders.clear()
    changed = {**base, **change}
    got = bodies(chart, changed, cache)
    whole = ["json.yaml.j2", "macro.yaml.j2", "root.yaml.j2"]  # the root used whole
    assert sorted(renders) == sorted(set(again) | set(whole))
    assert got == bodies(chart, changed, None)
    renders.clear()
    assert bodies(chart, changed, cache) == got and renders == []  # the same values again: all cached


def test_a_damaged_entry_is_a_miss(tmp_path, renders):
    chart, cache = write_chart(tmp_path / "chart"), tmp_path / "cache"
    bodies(chart, {"a": 1}, cache)
    for path in (cache / "template-renders").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            path.write_bytes(data[:-3] + bytes([data[-3] ^ 1]) + data[-2:])
    renders.clear()
    got = bodies(chart, {"a": 1, "unread": 2}, cache)
    assert sorted(renders) == sorted(ALL + ["sub.yaml.j2"])  # every entry refused: all render
    assert got == bodies(chart, {"a": 1, "unread": 2}, None)


def test_a_build_whose_templates_are_all_cached_does_not_import_jinja2(tmp_path):
    chart = write_chart(tmp_path / "chart")
    for name in ("json.yaml.j2", "root.yaml.j2", "macro.yaml.j2"):  # they read the whole values
        (chart / "templates" / name).unlink()
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kcompile.yaml").write_text("charts:\n- chart: ../chart\n  release: r\n")
    env = {**os.environ, "KCOMPILE_CACHE_DIR": str(tmp_path / "cache")}
    probe = ("import sys, runpy\nsys.argv = ['kcompile', 'build', sys.argv[1], '--no-validate', '--set', sys.argv[2]]\n"
             "try:\n    runpy.run_module('kcompile', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "sys.stderr.write('JINJA2=%s' % ('jinja2' in sys.modules))\n")
    outs = []
    for setting in ("r.unread=1", "r.unread=2", "r.a=3"):
        proc = subprocess.run([sys.executable, "-c", probe, str(overlay), setting], capture_output=True,
                              text=True, env=env, cwd=tmp_path)
        outs.append((proc.stdout, proc.stderr.rsplit("JINJA2=", 1)[1]))
    assert outs[0][1] == "True"  # the first build renders everything
    assert outs[1] == (outs[0][0], "False")  # an unread value changed: every template cached
    assert outs[2][1] == "True" and "a: \"3\"" in outs[2][0]  # a read value changed: lookup renders


def test_secrets_from_the_command_line_are_never_cached(tmp_path):
    """A Secret rendered from --set values is kept by no cache (the whole-instance one,
    the per-template one, the build cache): caches hold only what the repository's
    files hold."""
    import base64

    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: demo\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("password: from-the-repository\n")
    (chart / "templates" / "secret.yaml.j2").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {p: {{ values.password | b64encode }}}\n")
    (chart / "templates" / "cm.yaml.j2").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kcompile.yaml").write_text("charts:\n- chart: ../chart\n  release: r\n")
    cache = tmp_path / "cache"
    env = {**os.environ, "KCOMPILE_CACHE_DIR": str(cache)}
    canary = "CANARY-s3cr3t-4711"
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-m", "kcompile", "build", str(overlay), "--no-validate",
                               "--set", f"r.password={canary}"], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert base64.b64encode(canary.encode()).decode() in proc.stdout
    held = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
    assert canary.encode() not in held and base64.b64encode(canary.encode()) not in held
    assert list((cache / "template-renders").rglob("*")), "the ConfigMap template is still cached"
    proc = subprocess.run([sys.executable, "-m", "kcompile", "build", str(overlay), "--no-validate"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    held = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
    assert base64.b64encode(b"from-the-repository") in held  # values of the repository's files: cached


def test_the_ported_charts_render_through_the_caches_as_without_them(tmp_path, monkeypatch, capsys):
    """The charts of tests/charts/ports (written in the shape of popular public charts;
    test_ports.py checks they render what helm renders), built through every value set of
    test_ports.py in turn, twice, with one shared cache directory: each build prints what a
    --no-cache build prints."""
    import shutil

    from kcompile.cli import main

    from test_ports import CASES, PORTS, build_args, port_overlay  # beside this file (tests/charts has no __init__)

    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    for name in sorted({c[0] for c in CASES}):
        shutil.copytree(PORTS / name, tmp_path / name, ignore=shutil.ignore_patterns("helm*"))
    builds = 0
    for _ in range(2):
        for name, values, sets, apis, kube, namespace in CASES:
            overlay = port_overlay(tmp_path / f"overlay-{name}-{len(values)}", f"../{name}/jinja", PORTS / name,
                                   values, namespace)
            args = build_args(overlay, sets, apis, kube)
            outs = []
            for extra in ([], ["--no-cache"]):
                assert main(args + extra) == 0, capsys.readouterr().err
                outs.append(capsys.readouterr().out)
            assert outs[0] == outs[1], (name, values, sets)
            builds += 1
    assert builds == 2 * len(CASES)
    assert list((tmp_path / "cache" / "template-renders").rglob("*"))
