"""Errors around Helm charts: each exits 1 with ``kcompile: error: FILE:LINE: message``,
no traceback, nothing written; helm's own errors name the chart's template and line."""

from __future__ import annotations

import shutil

import pytest

from tests.helm.helpers import kcompile, lay_out

BAD_TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.nope.deeper }}\n"

# name -> (files, expected FILE:LINE prefix of the message, words the message must hold,
#          extra flags; HELM stands for the reference helm binary)
CASES = {
    "helmCharts-without-enable-helm": (
        {"kustomization.yaml": "resources: []\nhelmCharts:\n- name: shop\n"},
        "kustomization.yaml:3:", ["must specify --enable-helm"], ["--helm-command", "HELM"]),
    "helm-command-missing": (
        {"kustomization.yaml": "helmCharts:\n- name: shop\n  releaseName: web\n"},
        "kustomization.yaml:2:", ["/nonexistent/helm", "https://helm.sh/docs/intro/install/"],
        ["--enable-helm", "--helm-command", "/nonexistent/helm"]),
    "helm-not-on-path-for-charts-entry": (
        {"kcompile.yaml": "charts:\n- chart: charts/shop\n  release: web\n"},
        "kcompile.yaml:2:", ["needs the helm binary", "--helm-command"], ["--helm-command", "no-such-helm-here"]),
    "template-error-names-template-and-line": (
        {"kustomization.yaml": "helmCharts:\n- name: shop\n  releaseName: web\n",
         "charts/shop/templates/bad.yaml": BAD_TEMPLATE},
        "charts/shop/templates/bad.yaml:6:", ["helm chart 'shop'", "nil pointer", ".Values.nope.deeper"],
        ["--enable-helm", "--helm-command", "HELM"]),
    "fail-in-charts-entry": (
        {"kcompile.yaml": "charts:\n- chart: charts/shop\n  release: web\n",
         "charts/shop/templates/bad.yaml": '{{ fail "set image.tag for production" }}\n'},
        "charts/shop/templates/bad.yaml:1:", ["chart 'web'", "set image.tag for production"],
        ["--helm-command", "HELM"]),
    # --helm-debug (helm --debug): the message shows what helm rendered for the template
    # that is not YAML, numbered, and no debug log lines
    "helm-debug-shows-rendered-template": (
        {"kustomization.yaml": "helmCharts:\n- name: shop\n  releaseName: web\n",
         "charts/shop/templates/bad.yaml": "a: b\n  c: : {{ .Release.Name }}\n"},
        "charts/shop/templates/bad.yaml:", ["YAML parse error on shop/templates/bad.yaml",
                                            "helm rendered shop/templates/bad.yaml as (--helm-debug):",
                                            "     2 |   c: : web"],
        ["--enable-helm", "--helm-command", "HELM", "--helm-debug"]),
    "chart-not-found": (
        {"kustomization.yaml": "helmCharts:\n- name: nginx\n  releaseName: web\n"},
        "kustomization.yaml:2:", ["no repo specified for pull, no chart found at", "charts/nginx"],
        ["--enable-helm", "--helm-command", "HELM"]),
    "bad-values-merge": (
        {"kustomization.yaml": "helmCharts:\n- name: shop\n  valuesMerge: deep\n  valuesInline: {a: 1}\n"},
        "kustomization.yaml:2:", ["valuesMerge must be one of [merge override replace]"],
        ["--enable-helm", "--helm-command", "HELM"]),
    "values-file-outside-kustomization": (
        {"app/kustomization.yaml": "helmGlobals: {chartHome: ../charts}\nhelmCharts:\n- name: shop\n"
                                   "  valuesFile: ../secrets.yaml\n",
         "secrets.yaml": "a: 1\n"},
        "app/kustomization.yaml:3:", ["security", "load restrictor"], ["--enable-helm", "--helm-command", "HELM"]),
    "missing-dependency": (
        {"kustomization.yaml": "helmCharts:\n- name: shop\n  releaseName: web\n", "REMOVE": "charts/shop/charts"},
        "kustomization.yaml:2:", ["helm chart 'shop'", "missing in charts/ directory: common"],
        ["--enable-helm", "--helm-command", "HELM"]),
    "repository-chart-not-vendored": (
        {"kcompile.yaml": "charts:\n- chart: podinfo\n  repo: https://charts.example.com\n  version: 6.5.0\n"},
        "kcompile.yaml:2:", ["'podinfo' 6.5.0 from https://charts.example.com is not vendored", "kcompile vendor"],
        ["--helm-command", "HELM"]),
    "remote-values-file": (
        {"kustomization.yaml": "helmCharts:\n- name: shop\n  valuesFile: https://example.com/values.yaml\n"},
        "kustomization.yaml:2:", ["remote", "builds offline"], ["--enable-helm", "--helm-command", "HELM"]),
    "unknown-helmCharts-field": (
        {"kustomization.yaml": "helmCharts:\n- name: shop\n  valuesFiles: [a.yaml]\n"},
        "kustomization.yaml:2:", ["unknown field 'valuesFiles' in helmCharts"], ["--enable-helm", "--helm-command", "HELM"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error(name, tmp_path, ref_tools, capsys, monkeypatch):
    files, where, words, flags = CASES[name]
    files = dict(files)
    remove = files.pop("REMOVE", None)
    root = lay_out(tmp_path, files, {"charts/shop": "shop"})
    if remove:
        shutil.rmtree(root / remove)
    monkeypatch.chdir(root)
    overlay = "app" if (root / "app").is_dir() else "."
    flags = [str(ref_tools.helm) if f == "HELM" else f for f in flags]
    code, out, err = kcompile(capsys, "build", overlay, "--no-cache", "-o", "out.yaml", *flags)
    assert code == 1
    assert err.startswith(f"kcompile: error: {where}"), err
    for w in words:
        assert w in err, err
    assert "Traceback" not in err and "level=DEBUG" not in err
    if "--helm-debug" not in flags:
        assert "--helm-debug" not in err
    assert not (root / "out.yaml").exists()


def test_helm_v2_is_refused(tmp_path, capsys, monkeypatch):
    fake = tmp_path / "helm"
    fake.write_text('#!/bin/sh\necho "Client: v2.17.0+ga690bad"\n')
    fake.chmod(0o755)
    root = lay_out(tmp_path / "repo", {"kcompile.yaml": "charts:\n- chart: charts/shop\n"}, {"charts/shop": "shop"})
    monkeypatch.chdir(root)
    code, _out, err = kcompile(capsys, "build", ".", "--no-cache", "--helm-command", str(fake))
    assert code == 1
    assert err.startswith("kcompile: error: kcompile.yaml:2: Helm v3 or v4 is needed") and "v2.17.0" in err, err
