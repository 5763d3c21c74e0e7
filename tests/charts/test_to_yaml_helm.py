"""``to_yaml`` writes the text Helm's ``toYaml`` writes (a ConfigMap holding
``{{ toYaml .Values.config }}`` keeps its bytes when the chart is ported), checked against
the real ``helm template``: each value is read from one values file by both, written by
``toYaml`` / ``to_yaml`` and printed as JSON, so the texts compare exactly."""

from __future__ import annotations

import json
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from kcompile.cli import main
from kcompile.yaml.read import load_documents

# name -> YAML of a value, as a values file holds it (ambiguous words quoted, so both
# readers read the same value: Helm reads a plain 'yes' as true, as YAML 1.1 does)
VALUES = {
    "resources": "{limits: {cpu: 500m, memory: 512Mi}, requests: {cpu: 100m, memory: 128Mi}}",
    "long-plain": '"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr"',
    "long-quoted": '"url: http://example.com/a/very/long/path?with=query&and=more and some words after it to fold"',
    "multi-line": '"line one\\nline two\\n"',
    "no-final-newline": '"a\\nb"',
    "kept-newlines": '"a\\nb\\n\\n"',
    "leading-space": '"  indented\\nnext\\n"',
    "trailing-space": '"line  \\nnext\\n"',
    "tab": '"a\\tb\\nc\\n"',
    "floats": "{a: 1.0, b: 1.5, c: 1e20, d: 0.000001, e: 1234567.5, f: 0.0001, g: 0.00001, h: 123456.5, i: -0.0}",
    "ints": "{a: 12345678901234, b: 0, c: -5}",
    "quoted": '["yes", "n", "1.0", "0755", "2001-12-14", "~", "null", "1e3", "0x1F", "+1", ".5", "1_000", "1:20",'
              ' "", "Y", "012", "0o17", "1.", ".inf", "-.inf", ".NaN", "true", "False", "off", "On", "12:30"]',
    "single-quoted": '["-", "a: b", " ", "a #b", "#a", "@x", "`x", "!x", "%x", "&x", "*x", "|x", ">x", "- x",'
                     ' ",x", "[x", "]x", "{x", "}x", "x:", "x ", "\\"dq\\"", "\'q\'"]',
    "plain": '["=", "<<", "inf", "é", "日本", "a\'b", "?x", "http://x.y/z?a=b&c=d", "-x", "--x", ":x", "x,y",'
             ' "x]", "0.1.2", "1.2.3-rc1", "v1", "1e", "e1", "0x", "0b2", "+", "1-2", "a,"]',
    "keys": '{a10: 1, a9: 1, B: 1, a: 1, _x: 1, "1": 1, "10": 1, "2": 1, b: 1, A: 1, a-b: 1, a.b: 1, a_b: 1,'
            ' Ab: 1, aB: 1, é: 1, z: 1, "-": 1, a01: 1, a1: 1, a001: 1, a0: 1, a00: 1, x10y: 1,'
            ' x9y: 1, x10: 1, "key with: colon": 1, "n": 1, "": 1}',
    "nested": "{a: {b: [1, {c: d}, [x, z], []]}, e: {}, f: [[1, 2], [], {}, [[a]]], g: null, h: true}",
    "config": "{server: {port: 8080, hosts: [a.example.com, b.example.com]}, log: {level: info, format: json},"
              ' features: {beta: false, ratio: 0.25}, banner: "Welcome!\\nSecond line\\n"}',
    "scalar": '"just a string"',
    "number": "42",
    "empty-map": "{}",
    "empty-list": "[]",
}


def test_to_yaml_writes_what_helm_toyaml_writes(ref_tools, tmp_path, capsys):
    values = "".join(f"{json.dumps(k)}: {v}\n" for k, v in VALUES.items())
    for kind in ("helm", "jinja"):
        (tmp_path / kind / "templates").mkdir(parents=True)
        (tmp_path / kind / "Chart.yaml").write_text(f"apiVersion: v2\nname: {kind}\nversion: 0.1.0\n")
        (tmp_path / kind / "values.yaml").write_text(values)
    (tmp_path / "helm/templates/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
        "{{- range $k, $v := .Values }}\n  {{ $k | quote }}: {{ toYaml $v | toJson }}\n{{- end }}\n")
    (tmp_path / "jinja/templates/cm.yaml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
        "{% for k, v in values | dictsort %}\n  {{ k | quote }}: {{ v | to_yaml | to_json }}\n{% endfor %}\n")
    proc = subprocess.run([str(ref_tools.helm), "template", "x", str(tmp_path / "helm")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    expected = [d.data for d in load_documents(proc.stdout) if d.data][0]["data"]
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay/kcompile.yaml").write_text("charts:\n- chart: ../jinja\n")
    assert main(["build", str(tmp_path / "overlay"), "--no-validate", "--no-cache"]) == 0
    got = [d.data for d in load_documents(capsys.readouterr().out)][0]["data"]
    assert sorted(got) == sorted(VALUES)
    for name in VALUES:
        assert got[name] == expected[name], f"{name}:\nkcompile:\n{got[name]}\nhelm:\n{expected[name]}"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789-+._:eExXbBoOabcdefTtZ \t~yn<=", min_size=1, max_size=14))
def test_the_yaml11_check_agrees_with_a_yaml11_reader(s):
    """helmyaml decides which strings a YAML 1.1 reader takes for non-strings with its own
    patterns (no PyYAML import on a render); PyYAML's resolver is the reference."""
    from yaml.nodes import ScalarNode
    from yaml.resolver import Resolver

    from kcompile.charts.helmyaml import _WORDS, _YAML11_DATE, _YAML11_NUMBER

    if s in ("<<", "=") or _WORDS.fullmatch(s):
        return  # decided before the patterns
    reader = Resolver().resolve(ScalarNode, s, (True, False)) != "tag:yaml.org,2002:str"
    assert bool(_YAML11_NUMBER.fullmatch(s) or _YAML11_DATE.fullmatch(s)) == reader


def test_to_yaml_of_usual_values_does_not_import_pyyaml():
    import sys

    probe = ("import sys\nfrom kcompile.charts.helmyaml import helm_yaml\n"
             "helm_yaml({'limits': {'cpu': '100m', 'memory': '128Mi'}, 'tag': 'stable', 'ports': [80, 443],"
             " 'pullPolicy': 'IfNotPresent', 'enabled': True})\nprint('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
