"""A Secret's value never appears in a message: each path that used to print one, through
the CLI. Every case puts a canary where a Secret's value (or something that becomes one)
goes; neither the canary nor its base64 may appear on stderr, nor on stdout of a run that
prints no objects (failing builds; `validate` for runs that only warn)."""

from __future__ import annotations

import base64
import textwrap

import pytest

from tests.security.guard import run, write_tree

CANARY = "s3cr3t-CANARY-42"
CANARY_B64 = base64.b64encode(CANARY.encode()).decode()
SENSITIVE = "(sensitive value)"

SECRET_FILE = """\
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData:
  pw: CANARY
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: 1
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec: {containers: [{name: a, image: x}]}
"""

CHART = {
    "ov/kcompile.yaml": "charts:\n- chart: ../ch\n  release: r\n  values: {pw: CANARY}\n",
    "ch/Chart.yaml": "name: ch\nversion: 1.0.0\n",
    "ch/values.yaml": "pw: x\n",
}


def secret_gen(entry: str) -> str:
    return "secretGenerator:\n- name: s\n" + textwrap.indent(textwrap.dedent(entry), "  ")


# name: (files, argv, exit status, (fragment of stderr, ...))
CASES: dict[str, tuple[dict[str, str], list[str], int, tuple[str, ...]]] = {
    "literal without '='": (
        {"ov/kustomization.yaml": secret_gen("literals: [CANARY]\n")},
        ["build", "ov"], 1, ("ov/kustomization.yaml:2:", "invalid literal number 1: expected key=value")),
    "second literal without '='": (
        {"ov/kustomization.yaml": secret_gen("literals: [a=b, CANARY]\n")},
        ["build", "ov"], 1, ("invalid literal number 2",)),
    "literal whose key holds the value": (
        {"ov/kustomization.yaml": secret_gen("literals: ['pw CANARY==']\n")},
        ["validate", "ov"], 1, ("ov/kustomization.yaml:2:", "a key (key not shown: it may hold a value) is invalid")),
    "env line without '=' and an invalid key": (
        {"ov/kustomization.yaml": secret_gen("envs: [a.env]\n"), "ov/a.env": "A=1\npassword CANARY\n"},
        ["validate", "ov"], 1, ("ov/a.env:2:", "env file line has no '=': the line is taken as a key",
                                "a key (key not shown")),
    "env line without '=' repeated": (
        {"ov/kustomization.yaml": secret_gen("envs: [a.env]\n"), "ov/a.env": "CANARY\nCANARY\n"},
        ["build", "ov"], 1, ("ov/a.env:2:", "repeats the key (not shown")),
    "env line with an invalid key": (
        {"ov/kustomization.yaml": secret_gen("envs: [a.env]\n"), "ov/a.env": "db CANARY=x\n"},
        ["validate", "ov"], 1, ("ov/a.env:1:", "a key (key not shown")),
    "env line without a key": (
        {"ov/kustomization.yaml": secret_gen("envs: [a.env]\n"), "ov/a.env": "A=1\n=CANARY\n"},
        ["validate", "ov", "--strict"], 1, ("ov/a.env:2:", "env file line has no key before '=': skipped",)),
    "Secret type needing JSON": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\n",
         "ov/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\n"
                      "stringData:\n  .dockerconfigjson: '{CANARY'\n"},
        ["validate", "ov"], 1, ("ov/s.yaml:6:", ".dockerconfigjson must hold a JSON object")),
    "Secret data that is not base64": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\n",
         "ov/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  pw: CANARY\n"},
        ["validate", "ov"], 1, ("ov/s.yaml:5:", f"data.pw: {SENSITIVE} is not valid base64")),
    "edit add secret, a literal without '='": (
        {"ov/kustomization.yaml": "resources: []\n"},
        ["edit", "ov", "add", "secret", "s", "--from-literal=a=b", "--from-literal=CANARY"], 1,
        ("invalid --from-literal number 2",)),
    "--set without '='": (
        {**CHART, "ch/templates/s.yaml.j2": "kind: Secret\n"},
        ["build", "ov", "--set", "r.pw:CANARY"], 1, ("--set argument (not shown: it may hold a value)",)),
    "--set naming no release": (
        {**CHART, "ch/templates/s.yaml.j2": "kind: Secret\n"},
        ["build", "ov", "--set", "zz.pw=CANARY"], 1, ("--set zz.pw=...",)),
    "values schema": (
        {**CHART, "ch/values.schema.json": '{"properties": {"pw": {"type": "string", "pattern": "^a", "maxLength": 3}}}',
         "ch/templates/s.yaml.j2": "kind: Secret\n"},
        ["build", "ov"], 1, (f"values.pw: {SENSITIVE} does not match '^a'", f"{SENSITIVE} is too long")),
    "rendered YAML error in a Secret": (
        {**CHART, "ch/templates/s.yaml.j2":
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pw: {{ values.pw }}\n"
            "  key: |\n    {{ values.pw }}\n  a: b: c\n"},
        ["build", "ov"], 1, ("ch/templates/s.yaml.j2: rendered output is not valid YAML at rendered line 8",
                             f"   5 |   pw: {SENSITIVE}", "   6 |   key: |", f"   7 |     {SENSITIVE}",
                             f">    8 |   a: {SENSITIVE}")),
    "rendered YAML error, kind not readable": (
        {**CHART, "ch/templates/s.yaml.j2": "kind: {{ 'Sec' ~ 'ret' }}\nstringData:\n  pw: {{ values.pw }}\n  a: b: c\n"},
        ["build", "ov"], 1, (f"   3 |   pw: {SENSITIVE}",)),
    "to_yaml_block not last on its line": (
        {**CHART, "ch/templates/s.yaml.j2": "kind: Secret\nstringData:\n  pw: {{ values.pw }} {{ values | to_yaml_block }} x\n"},
        ["build", "ov"], 1, ("to_yaml_block must be the last thing on its line (rendered line 3)",)),
    "undefined key taken from a value": (
        {**CHART, "ch/templates/s.yaml.j2": "kind: Secret\nx: {{ values[values.pw] }}\n"},
        ["build", "ov"], 1, ("ch/templates/s.yaml.j2:2:", f"'dict object' has no attribute {SENSITIVE}")),
    "a helper refusing a value": (
        {**CHART, "ch/templates/s.yaml.j2": "kind: Secret\nx: {{ semver_compare(values.pw, '1.0') }}\n"},
        ["build", "ov"], 1, ("ch/templates/s.yaml.j2:2:", f"semver_compare: {SENSITIVE} is not a semantic version")),
    "Python error quoting a value": (
        {**CHART, "ch/templates/s.yaml.j2": "kind: Secret\nx: {{ {}[values.pw ~ ''] }}{{ values.pw | int + 'a' }}\n"},
        ["build", "ov"], 1, ("ch/templates/s.yaml.j2:2:",)),
    "an unquoted value starting with '!' (a YAML tag)": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\n", "ov/s.yaml": SECRET_FILE.replace("pw: CANARY", "pw: !CANARY")},
        ["build", "ov"], 1, ("ov/s.yaml:5:", "a tag (not shown: an unquoted value starting with '!'")),
    "schema error on a Secret's data": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\n",
         "ov/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  pw: [CANARY]\n"},
        ["build", "ov"], 1, ("ov/s.yaml:5:", f"data.pw: {SENSITIVE} is not of type"),),
    "schema error on stringData that is no map": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\n",
         "ov/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: CANARY\n"},
        ["build", "ov"], 1, (f"stringData: {SENSITIVE} is not of type",)),
    "schema error on a Secret's type": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\n",
         "ov/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: [CANARY]\n"},
        ["build", "ov"], 1, (f"type: {SENSITIVE} is not of type",)),
    "replacement copies a value into an int field": (
        {"ov/kustomization.yaml": "resources: [s.yaml, d.yaml]\nreplacements:\n"
                                  "- source: {kind: Secret, name: s, fieldPath: stringData.pw}\n"
                                  "  targets: [{select: {kind: Deployment}, fieldPaths: [spec.replicas]}]\n",
         "ov/s.yaml": SECRET_FILE, "ov/d.yaml": DEPLOYMENT},
        ["build", "ov"], 1, (f"spec.replicas: {SENSITIVE} is not of type",)),
    "replacement copies a value into a label": (
        {"ov/kustomization.yaml": "resources: [s.yaml, d.yaml]\nreplacements:\n"
                                  "- source: {kind: Secret, name: s, fieldPath: stringData.pw}\n"
                                  "  targets: [{select: {kind: Deployment}, fieldPaths: [spec.template.metadata.labels.a]}]\n",
         "ov/s.yaml": SECRET_FILE.replace("pw: CANARY", "pw: 'CANARY CANARY'"), "ov/d.yaml": DEPLOYMENT},
        ["build", "ov"], 1, (f"metadata.labels.a: label value {SENSITIVE}",)),
    "replacement copies a short value (a PIN) into a label": (
        {"ov/kustomization.yaml": "resources: [s.yaml, d.yaml]\nreplacements:\n"
                                  "- source: {kind: Secret, name: s, fieldPath: data.pin}\n"
                                  "  targets: [{select: {kind: Deployment}, fieldPaths: [spec.replicas]}]\n",
         "ov/s.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {pin: MTIz, pw: CANARY_B64}\n",
         "ov/d.yaml": DEPLOYMENT},
        ["build", "ov"], 1, (f"spec.replicas: {SENSITIVE} is not of type",)),
    "JSON 6902 test against a Secret": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\npatches:\n- target: {kind: Secret}\n  patch: |-\n"
                                  "    - {op: test, path: /stringData/pw, value: other}\n",
         "ov/s.yaml": SECRET_FILE},
        ["build", "ov"], 1, ("the test failed",)),
    "strategic merge patch against a Secret": (
        {"ov/kustomization.yaml": "resources: [s.yaml]\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: Secret\n"
                                  "    metadata: {name: s}\n    stringData: {pw: {CANARY: 1}}\n",
         "ov/s.yaml": SECRET_FILE},
        ["build", "ov"], 1, ("stringData.pw",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_no_secret_value_in_messages(name, tmp_path, monkeypatch, capsys):
    files, argv, status, fragments = CASES[name]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(tmp_path / "cache"))
    write_tree(tmp_path, {k: v.replace("CANARY_B64", CANARY_B64).replace("CANARY", CANARY) for k, v in files.items()})
    code, out, err = run(capsys, *[a.replace("CANARY", CANARY) for a in argv])
    assert code == status, err
    for fragment in fragments:
        assert fragment in out + err, (fragment, out + err)
    if "internal error" in err:
        pytest.fail(err)
    for shown in (out, err):
        assert CANARY not in shown and CANARY_B64 not in shown and "s3cr3t" not in shown, shown


def test_a_configmap_context_is_shown(tmp_path, monkeypatch, capsys):
    """The rendered lines around a YAML error are shown as they are when the document is
    plainly not a Secret: the rule hides only what might be one."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {**{k: v.replace("CANARY", CANARY) for k, v in CHART.items()}, "ch/templates/c.yaml.j2":
                          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  v: {{ values.pw }}\n  a: b: c\n"})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1
    assert f"   5 |   v: {CANARY}" in err and ">    6 |   a: b: c" in err, err


def test_fail_shows_the_authors_message(tmp_path, monkeypatch, capsys):
    """fail()/required() messages are the chart author's words: shown as written."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {**CHART, "ch/templates/c.yaml.j2": "kind: ConfigMap\nx: {{ fail('no ' ~ values.pw) }}\n"})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1 and err.endswith("c.yaml.j2:2: no CANARY\n"), err


def test_template_words_are_still_named(tmp_path, monkeypatch, capsys):
    """What the template itself wrote (an attribute name) is not hidden."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {**CHART, "ch/templates/c.yaml.j2": "kind: ConfigMap\nx: {{ values.nope }}\n"})
    code, _, err = run(capsys, "build", "ov")
    assert code == 1 and "has no attribute 'nope'" in err, err


HELM_CHART = {
    "ov/kcompile.yaml": CHART["ov/kcompile.yaml"],
    "ch/Chart.yaml": "apiVersion: v2\nname: ch\nversion: 1.0.0\n", "ch/values.yaml": "pw: x\n",
}


@pytest.mark.parametrize("template, fragment", [
    ("pw: {{ include .Values.pw . }}", "no template (sensitive value) associated"),
    ("pw: {{ .Values.pw }}\n  a: b: c", "mapping values are not allowed"),
    ("pw: {{ .Values.pw.x }}", "can't evaluate field x"),
])
def test_helm_messages_hide_values(template, fragment, tmp_path, monkeypatch, capsys, ref_tools):
    """helm's own messages, relayed, follow the rule of Jinja charts: quoted words not in
    the template's source are hidden."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {**{k: v.replace("CANARY", CANARY) for k, v in HELM_CHART.items()},
                          "ch/templates/s.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\n"
                                                 f"stringData:\n  {template}\n"})
    code, out, err = run(capsys, "build", "ov", "--helm-command", str(ref_tools.helm))
    assert code == 1 and fragment in err, err
    assert CANARY not in out + err and CANARY_B64 not in out + err


# -- the same, for generated values -------------------------------------------------------
import os  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# a digit and an upper-case letter, so that no value is a word of kcompile's own messages
VALUE = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@%+", min_size=10,
                max_size=40).filter(lambda v: v[0].isalnum() and any(c.isdigit() for c in v)
                                    and any(c.isupper() for c in v))
# Places a value can be, each with the argv that fails or warns there (a cwd-relative tree).
PLACES = {
    "literal": ({"ov/kustomization.yaml": "secretGenerator:\n- name: s\n  literals: ['VALUE']\n"}, ["build", "ov"]),
    "env line": ({"ov/kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [a.env]\n",
                  "ov/a.env": "pw VALUE\n"}, ["validate", "ov"]),
    "rendered Secret": ({**CHART, "ov/kcompile.yaml": CHART["ov/kcompile.yaml"].replace("CANARY", "'VALUE'"),
                         "ch/templates/s.yaml.j2": "kind: Secret\nstringData:\n  pw: {{ values.pw }}\n  x: y: z\n"},
                        ["build", "ov"]),
    "undefined from a value": ({**CHART, "ov/kcompile.yaml": CHART["ov/kcompile.yaml"].replace("CANARY", "'VALUE'"),
                                "ch/templates/s.yaml.j2": "kind: Secret\nx: {{ values[values.pw] }}\n"},
                               ["build", "ov"]),
    "--set": ({**CHART, "ch/templates/s.yaml.j2": "kind: Secret\n"}, ["build", "ov", "--set", "r.pw:VALUE"]),
    "replacement": ({"ov/kustomization.yaml": "resources: [s.yaml, d.yaml]\nreplacements:\n"
                                              "- source: {kind: Secret, name: s, fieldPath: stringData.pw}\n"
                                              "  targets: [{select: {kind: Deployment}, fieldPaths: [spec.replicas]}]\n",
                     "ov/s.yaml": SECRET_FILE.replace("CANARY", "'VALUE'"), "ov/d.yaml": DEPLOYMENT}, ["build", "ov"]),
}
EXAMPLES = int(os.environ.get("KCOMPILE_SECRET_EXAMPLES", "15"))


@pytest.mark.parametrize("place", list(PLACES))
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUE)
def test_no_generated_value_in_messages(place, value, capsys):
    files, argv = PLACES[place]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        try:
            os.chdir(d)
            write_tree(Path(d), {k: v.replace("VALUE", value) for k, v in files.items()})
            code, out, err = run(capsys, *[a.replace("VALUE", value) for a in argv])
        finally:
            os.chdir(cwd)
    assert "internal error" not in err
    printed = err if code == 0 and argv[0] == "build" else out + err  # a build that succeeds prints the Secret
    for shown in (value, base64.b64encode(value.encode()).decode()):
        assert shown not in printed, (place, printed)
