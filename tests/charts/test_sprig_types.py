"""``type_of`` / ``type_is`` give Sprig's ``typeOf`` / ``typeIs`` (Go's type names), checked
against the real ``helm template`` on the same values (integers given with ``--set``, which
Helm reads as int64; from values files it reads every number as float64)."""

from __future__ import annotations

import subprocess

from kcompile.cli import main
from kcompile.yaml.read import load_documents

VALUES = "s: text\nb: true\nf: 1.5\nm: {a: 1}\nl: [1, 2]\nn: null\ne: {}\n"
SETS = ["i=42"]


def test_type_of_is_sprigs_type_of(ref_tools, tmp_path, capsys):
    for kind in ("helm", "jinja"):
        (tmp_path / kind / "templates").mkdir(parents=True)
        (tmp_path / kind / "Chart.yaml").write_text(f"apiVersion: v2\nname: {kind}\nversion: 0.1.0\n")
        (tmp_path / kind / "values.yaml").write_text(VALUES)
    (tmp_path / "helm/templates/cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: types\ndata:\n"
        "{{- range $k, $v := .Values }}\n  {{ $k }}: {{ typeOf $v | quote }}\n"
        "  {{ $k }}-is-string: {{ typeIs \"string\" $v | quote }}\n{{- end }}\n"
        "  missing: {{ typeOf .Values.nothing | quote }}\n")
    (tmp_path / "jinja/templates/cm.yaml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: types\ndata:\n"
        "{% for k, v in values | dictsort %}\n  {{ k }}: {{ type_of(v) | quote }}\n"
        "  {{ k }}-is-string: {{ type_is('string', v) | quote }}\n{% endfor %}\n"
        "  missing: {{ values.get('nothing') | type_of | quote }}\n")
    proc = subprocess.run([str(ref_tools.helm), "template", "x", str(tmp_path / "helm"),
                           *[a for s in SETS for a in ("--set", s)]], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    expected = [d.data for d in load_documents(proc.stdout) if d.data][0]["data"]
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay/kcompile.yaml").write_text("charts:\n- chart: ../jinja\n  release: x\n")
    args = ["build", str(tmp_path / "overlay"), "--no-validate", "--no-cache"]
    assert main(args + [a for s in SETS for a in ("--set", f"x.{s}")]) == 0
    got = [d.data for d in load_documents(capsys.readouterr().out)][0]["data"]
    assert got == expected
