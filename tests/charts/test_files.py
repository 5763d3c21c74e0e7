"""``files`` (Helm's ``.Files``), ``.helmignore`` and ``file://`` dependencies of Jinja charts.

Differential: one tree of chart files, a ``.helmignore`` and a pattern per case; the real
``helm template`` prints which names ``.Files.Glob`` gives (in the chart and in a subchart)
and what ``Get``/``Lines``/``AsConfig``/``AsSecrets`` give, a Jinja template prints the
same through ``files``, and the two must agree exactly.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from kcompile.cli import main
from kcompile.yaml.read import load_documents

TREE = {
    "Chart.yaml": "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
    "values.yaml": "a: 1\n",
    "values.schema.json": "{}\n",
    "README.md": "readme\n",
    "conf/app.ini": "[server]\nport = 80\n",
    "conf/b.txt": "x\ny\n",
    "conf/.hidden": "secret",
    "conf/skip.bak": "old",
    "conf/sub/c.txt": "deep\n",
    "files/bom.txt": "\ufeffbom\n",
    "files/nonl.txt": "no-newline",
    "files/empty.txt": "",
    "files/blank-lines.txt": "a\n\nb\n",
    "files/one-line.json": '{"title": "Latency", "refresh": "30s"}',
    "files/long.txt": "word " * 30 + "end",
    "files/blob.bin": b"\x00\xff\xfe\x89PNG\r\n",
    "files/big.bin": bytes(range(256)),
    "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    "charts/sub/data.txt": "s\n",
    "charts/sub/conf/x.bak": "1\n",
    "charts/sub/conf/y.txt": "2\n",
    "charts/sub/.helmignore": "data.txt\n",
    "charts/sub-0.1.0.tgz.prov": "p\n",
}

NAMES_HELM = '{{ range $p, $_ := .Files.Glob "PATTERN" }}{{ $p }},{{ end }}'
NAMES_JINJA = '{% for p in files.glob("PATTERN") %}{{ p }},{% endfor %}'

# (.helmignore, glob pattern): helm's pkg/ignore rules and gobwas/glob patterns
IGNORE_CASES = [
    ("", "**"),
    ("*.bak\n", "**"),
    ("conf/\n", "**"),
    ("sub/\n", "**"),  # conf/sub and the subchart charts/sub both go
    ("/conf/b.txt\n", "**"),
    ("conf/*.txt\n", "**"),
    ("/b.txt\n", "**"),
    ("b.txt\n", "**"),
    ("conf\n", "**"),
    ("conf/sub/\n", "**"),
    ("c?txt\n", "**"),
    ("[ab].txt\n", "**"),
    ("[^ab].txt\n", "**"),
    (".*\n", "**"),
    ("# a comment\n\n   *.txt   \n", "**"),
    ("", "*"),
    ("", "conf/*"),
    ("", "*/*"),
    ("", "**/*.txt"),
    ("", "conf/**"),
    ("", "{conf,files}/*.txt"),
    ("", "conf/[a-b]*"),
    ("", "conf/[!a-b]*"),
    ("", "files/*.{json,txt}"),
    ("", "*.md"),
    ("", "nothing/*"),
]


def _write_tree(root: Path, tree: dict[str, str | bytes]) -> None:
    for rel, text in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def _configmap(name: str, body: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{body}"


def _pair(tmp_path: Path, helmignore: str, helm_data: str, jinja_data: str, sub_helm: str = "",
          sub_jinja: str = "") -> tuple[Path, Path]:
    """A Helm chart and its Jinja port over :data:`TREE` (``data:`` bodies given)."""
    helm, jinja = tmp_path / "helm", tmp_path / "jinja"
    for chart in (helm, jinja):
        _write_tree(chart, TREE)
        if helmignore:
            (chart / ".helmignore").write_text(helmignore)
        (chart / "templates").mkdir()
        (chart / "charts/sub/templates").mkdir(parents=True)
    (helm / "templates/probe.yaml").write_text(_configmap("probe", helm_data))
    (jinja / "templates/probe.yaml.j2").write_text(_configmap("probe", jinja_data))
    if sub_helm:
        (helm / "charts/sub/templates/sub.yaml").write_text(_configmap("sub", sub_helm))
        (jinja / "charts/sub/templates/sub.yaml.j2").write_text(_configmap("sub", sub_jinja))
    return helm, jinja


def _helm(ref_tools, chart: Path) -> dict[str, dict]:
    proc = subprocess.run([str(ref_tools.helm), "template", "x", str(chart)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {d.data["metadata"]["name"]: d.data.get("data") for d in load_documents(proc.stdout) if d.data}


def _kcompile(capsys, tmp_path: Path, chart: Path) -> dict[str, dict]:
    overlay = tmp_path / "overlay"
    overlay.mkdir(exist_ok=True)
    (overlay / "kcompile.yaml").write_text(f"charts:\n- chart: {os.path.relpath(chart, overlay)}\n  release: x\n")
    code = main(["build", str(overlay), "--no-validate", "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return {d.data["metadata"]["name"]: d.data.get("data") for d in load_documents(out) if d.data}


@pytest.mark.parametrize("helmignore, pattern", IGNORE_CASES, ids=[f"{i}-{c[1]}" for i, c in enumerate(IGNORE_CASES)])
def test_glob_and_helmignore_give_helms_names(ref_tools, tmp_path, capsys, helmignore, pattern):
    names_helm, names_jinja = NAMES_HELM.replace("PATTERN", pattern), NAMES_JINJA.replace("PATTERN", pattern)
    helm, jinja = _pair(tmp_path, helmignore, f"  names: '{names_helm}'\n", f"  names: '{names_jinja}'\n",
                        f"  names: '{NAMES_HELM.replace('PATTERN', '**')}'\n",
                        f"  names: '{NAMES_JINJA.replace('PATTERN', '**')}'\n")
    expected = _helm(ref_tools, helm)
    assert _kcompile(capsys, tmp_path, jinja) == expected


FUNCTION_CASES = [
    # (data key, Helm expression, kcompile expression): both printed through toJson/to_json
    ("get", '.Files.Get "conf/app.ini"', 'files.get("conf/app.ini")'),
    ("missing", '.Files.Get "nope.txt"', 'files.get("nope.txt")'),
    ("ignored", '.Files.Get "conf/skip.bak"', 'files.get("conf/skip.bak")'),
    ("not-a-file", '.Files.Get "Chart.yaml"', 'files.get("Chart.yaml")'),
    ("template", '.Files.Get "templates/probe.yaml"', 'files.get("templates/probe.yaml.j2")'),
    ("subchart", '.Files.Get "charts/sub/data.txt"', 'files.get("charts/sub/data.txt")'),
    ("prov", '.Files.Get "charts/sub-0.1.0.tgz.prov"', 'files.get("charts/sub-0.1.0.tgz.prov")'),
    ("bom", '.Files.Get "files/bom.txt"', 'files.get("files/bom.txt")'),
    ("bytes", '.Files.GetBytes "conf/b.txt" | toString', 'files.get_bytes("conf/b.txt") | string'),
    ("lines", '.Files.Lines "conf/b.txt"', 'files.lines("conf/b.txt")'),
    ("lines-no-newline", '.Files.Lines "files/nonl.txt"', 'files.lines("files/nonl.txt")'),
    ("lines-empty", '.Files.Lines "files/empty.txt"', 'files.lines("files/empty.txt")'),
    ("lines-blank", '.Files.Lines "files/blank-lines.txt"', 'files.lines("files/blank-lines.txt")'),
    ("lines-missing", '.Files.Lines "nope"', 'files.lines("nope")'),
    ("config", '(.Files.Glob "conf/*").AsConfig', 'files.glob("conf/*").as_config()'),
    ("config-all", '(.Files.Glob "files/*.{txt,json}").AsConfig', 'files.glob("files/*.{txt,json}").as_config()'),
    ("config-not-utf8", '(.Files.Glob "files/blob.bin").AsConfig', 'files.glob("files/blob.bin").as_config()'),
    ("config-none", '(.Files.Glob "none/*").AsConfig', 'files.glob("none/*").as_config()'),
    ("secrets", '(.Files.Glob "{conf,files}/*").AsSecrets', 'files.glob("{conf,files}/*").as_secrets()'),
    ("glob-get", '(.Files.Glob "conf/*").Get "conf/b.txt"', 'files.glob("conf/*").get("conf/b.txt")'),
    ("glob-of-glob", '((.Files.Glob "conf/**").Glob "*/sub/*").AsConfig',
     'files.glob("conf/**").glob("*/sub/*").as_config()'),
    ("digest", '(.Files.Glob "files/*.txt").AsConfig | sha256sum', 'files.glob("files/*.txt").as_config() | sha256'),
    ("count", 'len (.Files.Glob "**")', 'files.glob("**") | length'),
    ("b64", '.Files.Get "conf/app.ini" | b64enc', 'files.get_bytes("conf/app.ini") | b64enc'),
    # a file that is not UTF-8 (a compressed CRD bundle): Go's strings keep its bytes
    ("binary-b64", '.Files.Get "files/blob.bin" | b64enc', 'files.get("files/blob.bin") | b64enc'),
    ("binary-digest", '.Files.Get "files/big.bin" | sha256sum', 'files.get("files/big.bin") | sha256'),
    ("binary-secrets", '(.Files.Glob "files/*.bin").AsSecrets', 'files.glob("files/*.bin").as_secrets()'),
]


def test_files_functions_give_what_helm_gives(ref_tools, tmp_path, capsys):
    helm_data = "".join(f"  {k}: {{{{ {h} | toJson | quote }}}}\n" for k, h, _ in FUNCTION_CASES)
    jinja_data = "".join(f"  {k}: {{{{ {j} | to_json | quote }}}}\n" for k, _, j in FUNCTION_CASES)
    helm, jinja = _pair(tmp_path, "*.bak\n", helm_data, jinja_data)
    expected = _helm(ref_tools, helm)["probe"]
    got = _kcompile(capsys, tmp_path, jinja)["probe"]
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert got[key] == expected[key], key


def test_as_config_of_a_file_helm_cannot_write_is_an_error(tmp_path, capsys):
    """Helm's AsConfig prints nothing for a file holding U+007F (go-yaml cannot read its
    own output back); kcompile says so at the template line instead."""
    chart = tmp_path / "chart"
    _write_tree(chart, {"Chart.yaml": "apiVersion: v2\nname: bin\nversion: 0.1.0\n", "files/big.bin": bytes(range(256)),
                        "templates/cm.yaml.j2": _configmap("bin", "  x: {{ files.glob('files/*').as_config() | quote }}\n")})
    err = _build_error(capsys, tmp_path, chart)
    assert "templates/cm.yaml.j2:6: to_yaml: a string holds the control character U+007F" in err


def test_a_glob_pattern_cannot_make_a_build_slow(tmp_path, capsys):
    """Matching is linear in pattern x name: a pattern that makes a backtracking matcher run
    for ages (many stars against a long name that almost matches) answers at once."""
    tree = {"Chart.yaml": "apiVersion: v2\nname: slow\nversion: 0.1.0\n", "a" * 200: "x"}
    chart = tmp_path / "chart"
    _write_tree(chart, tree)
    (chart / "templates").mkdir()
    pattern = "*a" * 25 + "b"
    (chart / "templates/cm.yaml.j2").write_text(_configmap("slow", f"  n: '{{{{ files.glob(\"{pattern}\") | length }}}}'\n"))
    start = time.monotonic()
    assert _kcompile(capsys, tmp_path, chart) == {"slow": {"n": "0"}}
    assert time.monotonic() - start < 5


def test_a_file_linking_outside_the_chart_is_refused(tmp_path, capsys):
    chart = tmp_path / "chart"
    _write_tree(chart, {"Chart.yaml": "apiVersion: v2\nname: leak\nversion: 0.1.0\n"})
    (tmp_path / "outside.txt").write_text("not the chart's\n")
    (chart / "conf").mkdir()
    (chart / "conf/leak.txt").symlink_to(tmp_path / "outside.txt")
    (chart / "templates").mkdir()
    (chart / "templates/cm.yaml.j2").write_text(_configmap("leak", "  x: {{ files.get('conf/leak.txt') | quote }}\n"))
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kcompile.yaml").write_text("charts:\n- chart: ../chart\n")
    assert main(["build", str(overlay), "--no-validate", "--no-cache"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "security: file" in err and "is not in or below the chart directory" in err
    assert "not the chart's" not in err


def test_a_bad_helmignore_rule_is_an_error_at_its_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages name files relative to the current directory
    chart = tmp_path / "chart"
    _write_tree(chart, {"Chart.yaml": "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
                        ".helmignore": "*.bak\n**/*.tmp\n", "templates/cm.yaml.j2": _configmap("cm", "  a: b\n")})
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kcompile.yaml").write_text("charts:\n- chart: ../chart\n")
    assert main(["build", str(overlay), "--no-validate", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "kcompile: error: chart/.helmignore:2: double-star (**) syntax is not supported" in err


def test_helmignore_leaves_out_templates_as_helm_does(tmp_path, capsys):
    """An editor's leftover under templates/ is an error, unless .helmignore ignores it."""
    chart = tmp_path / "chart"
    _write_tree(chart, {"Chart.yaml": "apiVersion: v2\nname: tilde\nversion: 0.1.0\n",
                        "templates/cm.yaml.j2": _configmap("cm", "  a: b\n"),
                        "templates/cm.yaml.j2~": "old\n"})
    assert "cm.yaml.j2~ is not a Jinja template" in _build_error(capsys, tmp_path, chart)
    (chart / ".helmignore").write_text("*~\n")
    assert _kcompile(capsys, tmp_path, chart) == {"cm": {"a": "b"}}


def _build_error(capsys, tmp_path: Path, chart: Path) -> str:
    overlay = tmp_path / "overlay"
    overlay.mkdir(exist_ok=True)
    (overlay / "kcompile.yaml").write_text(f"charts:\n- chart: {os.path.relpath(chart, overlay)}\n")
    assert main(["build", str(overlay), "--no-validate", "--no-cache"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    return err


# -- file:// dependencies ---------------------------------------------------------------

LIB = {"Chart.yaml": "apiVersion: v2\nname: common\nversion: 1.2.3\ntype: library\n",
       "templates/_names.j2": "{% macro name() %}{{ release.name }}-{{ chart.name }}{% endmacro %}\n"}


def _app(tmp_path: Path, dependency: str) -> Path:
    app = tmp_path / "apps" / "app"
    _write_tree(app, {"Chart.yaml": f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n{dependency}",
                      "templates/cm.yaml.j2": '{% import "common/_names.j2" as common %}\n'
                                              + _configmap("{{ common.name() }}", "  a: b\n")})
    _write_tree(tmp_path / "libs" / "common", LIB)
    return app


@pytest.mark.parametrize("dependency, message", [
    ("- {name: common, version: '~1.3.0', repository: 'file://../../libs/common'}",
     "dependency 'common': version '1.2.3' of file://../../libs/common does not satisfy '~1.3.0'"),
    ("- {name: commons, repository: 'file://../../libs/common'}",
     "dependency 'commons': the chart at file://../../libs/common is named 'common'"),
    ("- {name: common, repository: 'file://../../libs/nothing'}",
     "dependency 'common': file://../../libs/nothing is not a chart directory"),
])
def test_file_dependency_errors(tmp_path, capsys, dependency, message):
    err = _build_error(capsys, tmp_path, _app(tmp_path, dependency))
    assert message in err and "apps/app/Chart.yaml" in err


def test_file_dependency_is_read_where_it_lies_and_keyed_by_its_content(tmp_path, capsys, monkeypatch):
    app = _app(tmp_path, "- {name: common, version: '>=1.0.0', repository: 'file://../../libs/common'}\n")
    assert _kcompile(capsys, tmp_path, app) == {"x-app": {"a": "b"}}
    overlay = tmp_path / "overlay"
    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(tmp_path / "cache"))
    args = ["build", str(overlay), "--no-validate"]
    assert main(args) == 0
    assert "name: x-app" in capsys.readouterr().out
    lib = tmp_path / "libs/common/templates/_names.j2"
    lib.write_text(lib.read_text().replace("-{{ chart.name }}", "-lib"))
    assert main(args) == 0  # the render and build caches see the dependency's change
    assert "name: x-lib" in capsys.readouterr().out
    (tmp_path / "libs/common/templates/_names.j2").unlink()
    assert main(args) == 1
    assert "template not found" in capsys.readouterr().err


def test_an_error_in_a_file_dependency_names_its_template(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages name files relative to the current directory
    app = _app(tmp_path, "- {name: common, repository: 'file://../../libs/common'}\n")
    (tmp_path / "libs/common/templates/_names.j2").write_text(
        "{% macro name() %}\n{{ values.missing.deeper }}\n{% endmacro %}\n")
    err = _build_error(capsys, tmp_path, app)
    assert "kcompile: error: libs/common/templates/_names.j2:2: undefined value" in err


def test_a_copy_in_charts_wins_over_the_file_path(tmp_path, capsys):
    app = _app(tmp_path, "- {name: common, repository: 'file://../../libs/common'}\n")
    _write_tree(app / "charts" / "common", {**LIB, "templates/_names.j2":
                                            "{% macro name() %}vendored{% endmacro %}\n"})
    assert _kcompile(capsys, tmp_path, app) == {"vendored": {"a": "b"}}


# -- crds/ --------------------------------------------------------------------------------

CRD = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
       "  name: things.example.com\n  annotations: {raw: '{{ values.x }}'}\nspec: {group: example.com}\n")


def test_crds_of_a_jinja_chart_come_first_untemplated(tmp_path, capsys):
    chart = tmp_path / "chart"
    _write_tree(chart, {"Chart.yaml": "apiVersion: v2\nname: crdchart\nversion: 0.1.0\n",
                        "crds/things.yaml": CRD, "crds/notes.txt": "not a manifest\n",
                        "templates/cm.yaml.j2": _configmap("cm", "  a: b\n")})
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    for entry, kinds in (("", ["CustomResourceDefinition", "ConfigMap"]), ("  includeCRDs: false\n", ["ConfigMap"])):
        (overlay / "kcompile.yaml").write_text(f"charts:\n- chart: ../chart\n  namespace: apps\n{entry}")
        assert main(["build", str(overlay), "--no-validate", "--no-cache"]) == 0
        objects = [d.data for d in load_documents(capsys.readouterr().out)]
        assert [o["kind"] for o in objects] == kinds
        if len(objects) == 2:  # as written (no template), cluster-scoped: no namespace
            assert objects[0]["metadata"] == {"name": "things.example.com", "annotations": {"raw": "{{ values.x }}"}}
    (chart / "crds/bad.yaml").write_text("- a list\n")
    (overlay / "kcompile.yaml").write_text("charts:\n- chart: ../chart\n")
    assert "crds/bad.yaml:1: a document of crds/ is not a YAML map" in _build_error(capsys, tmp_path, chart)
