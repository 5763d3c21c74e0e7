"""Differential: Helm charts and their Jinja ports, compared object by object.

``tests/charts/ports/<chart>/helm`` is a Helm chart written in the shape of popular public
charts (helpers, ``range``, conditionals, ``tpl``, ``.Capabilities``, subcharts, a library
chart); ``jinja`` is its port to kcompile (dependencies named by ``file://`` paths lie beside
them: ``helm-lib``, ``jinja-lib``...). Each case renders the Helm chart with the real
``helm template`` and the port with ``kcompile build`` (outside the repository, through an
overlay), with the same values, and compares every object. Values files are written for
Helm; strings meant for ``tpl`` are translated to Jinja by :data:`TPL_SPELLING`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kcompile.cli import main
from kcompile.yaml.read import load_documents

PORTS = Path(__file__).parent / "ports"
TPL_SPELLING = {"{{ .Release.Name }}": "{{ release.name }}", "{{ .Values.global.domain }}": "{{ values.global.domain }}"}
CHECKSUM = re.compile(r"^[0-9a-f]{64}$")

# (chart, values files in the chart's port directory, --set, --api-versions, --kube-version, namespace)
CASES = [
    ("webstack", [], ["auth.password=s3cret"], [], None, None),
    ("webstack", ["full-values.yaml"], [], ["monitoring.coreos.com/v1"], None, "shop"),
    ("webstack", ["full-values.yaml"], ["metrics.serviceMonitor.enabled=false", "service.type=ClusterIP",
                                        "ingress.tls=null", "pdb.minAvailable=2"], [], "1.30", None),
    ("webstack", [], ["auth.password=x", "fullnameOverride=web", "serviceAccount.create=false",
                      "persistence.enabled=true", "image.tag=1.0"], [], None, None),
    ("platform", [], [], [], None, "prod"),
    ("platform", ["prod-values.yaml"], [], [], None, "prod"),
    ("platform", ["prod-values.yaml"], ["worker.enabled=false", "tags.batch=false", "global.domain=example.org"],
     [], None, "prod"),
    ("platform", [], ["cache.enabled=false", "api.replicas=4", "global.labels.tier=gold"], [], "1.29", "ops"),
    # .Files (Get, Glob, Lines, AsConfig, AsSecrets, .helmignore) and file:// dependencies
    ("filestack", [], [], [], None, None),
    ("filestack", [], ["configGlob=conf/**", "metrics.enabled=false", "upstream=db:5432"], [], None, "files"),
    ("filestack", ["glob-values.yaml"], [], [], None, None),
    ("filestack", [], ["configGlob=*/[a-f]*", "dashboards.enabled=false"], [], None, None),
]


def normalized(objects: list[dict]) -> dict[tuple[str, str], dict]:
    """Objects by (kind, name); checksum annotations (digests of rendered text, which the
    two engines write differently) reduced to whether they are a sha256."""
    out = {}
    for body in objects:
        pod = body.get("spec", {}).get("template", {}).get("metadata", {})
        for annotations in (body["metadata"].get("annotations"), pod.get("annotations")):
            for k, v in (annotations or {}).items():
                if k.startswith("checksum/") and CHECKSUM.match(str(v)):
                    annotations[k] = "<sha256>"
        key = (body["kind"], body["metadata"]["name"])
        assert key not in out, f"{key} rendered twice"
        out[key] = body
    return out


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Paths where two JSON-shaped values differ (for a readable failure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in differences(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b and type(a) is type(b) else [f"{path}: kcompile {a!r} != helm {b!r}"]


def helm_objects(helm: Path, chart: Path, values: list[Path], sets: list[str], apis: list[str],
                 kube: str | None, namespace: str | None) -> dict:
    cmd = [str(helm), "template", "web", str(chart), "--include-crds"] + (["--namespace", namespace] if namespace else [])
    for v in values:
        cmd += ["-f", str(v)]
    for s in sets:
        cmd += ["--set", s]
    for a in apis:
        cmd += ["--api-versions", a]
    if kube:
        cmd += ["--kube-version", kube]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return normalized([d.data for d in load_documents(proc.stdout) if d.data])


def port_overlay(overlay: Path, chart: str, port: Path, values: list[str], namespace: str | None) -> Path:
    """An overlay rendering the Jinja port at ``chart`` (relative to it) as release ``web``,
    with the port's values files (their ``tpl`` strings in Jinja spelling)."""
    overlay.mkdir(exist_ok=True)
    for v in values:
        text = (port / v).read_text()
        for helm_spelling, jinja_spelling in TPL_SPELLING.items():
            text = text.replace(helm_spelling, jinja_spelling)
        (overlay / v).write_text(text)
    (overlay / "kcompile.yaml").write_text(
        f"charts:\n- chart: {chart}\n  release: web\n  valuesFiles: {values}\n"
        + (f"  namespace: {namespace}\n" if namespace else ""))
    return overlay


def build_args(overlay: Path, sets: list[str], apis: list[str], kube: str | None) -> list[str]:
    """``kcompile build`` of ``overlay`` with a case's --set, --api-versions and --kube-version."""
    args = ["build", str(overlay), "--no-validate"]
    args += [f for s in sets for f in ("--set", f"web.{s}")]
    args += [f for a in apis for f in ("--api-versions", a)]
    return args + (["--kube-version", kube] if kube else [])


@pytest.mark.parametrize("name, values, sets, apis, kube, namespace", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_port_renders_what_helm_renders(ref_tools, tmp_path, monkeypatch, capsys, name, values, sets, apis, kube,
                                        namespace):
    port = PORTS / name
    helm_chart = port / "helm"
    if "file://../" in (helm_chart / "Chart.yaml").read_text():  # gather them as helm needs
        shutil.copytree(port, tmp_path / "helm-port")
        helm_chart = tmp_path / "helm-port" / "helm"
        subprocess.run([str(ref_tools.helm), "dependency", "build", str(helm_chart)], check=True,
                       capture_output=True)
    expected = helm_objects(ref_tools.helm, helm_chart, [port / v for v in values], sets, apis, kube, namespace)

    # the whole port directory: a file:// dependency (../jinja-lib) is read where it lies
    shutil.copytree(port, tmp_path / "port", ignore=shutil.ignore_patterns("helm*"))
    (tmp_path / "chart").symlink_to(tmp_path / "port" / "jinja")
    overlay = port_overlay(tmp_path / "overlay", "../chart", port, values, namespace)
    monkeypatch.chdir(tmp_path)
    assert main(build_args(overlay, sets, apis, kube) + ["--no-cache"]) == 0, capsys.readouterr().err
    got = normalized([d.data for d in load_documents(capsys.readouterr().out)])
    # helm template leaves namespaces to the install; kcompile writes the instance's
    # namespace into every namespaced object (CRDs are cluster-scoped)
    for body in got.values():
        want = None if body["kind"] == "CustomResourceDefinition" else namespace
        assert body["metadata"].pop("namespace", None) == want, body["metadata"]["name"]

    assert sorted(got) == sorted(expected)
    for key, body in expected.items():
        assert not differences(got[key], body), (key, differences(got[key], body))
