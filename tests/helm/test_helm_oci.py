"""Charts from an OCI registry (``repo: oci://…``): ``kcompile vendor --plain-http`` pulls
them with ``helm pull`` and pins each archive's digest in kcompile.lock; builds then read
only the pinned archive, offline.

The registry is :mod:`tests.helm.oci_registry` on 127.0.0.1 (no registry server installs
from the package registries this project uses); the charts are put there by the real
``helm push``, and the builds are compared with ``helm template`` of the same chart.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kcompile.yaml.read import load_one
from tests.helm.helpers import CHARTS, helm_template, kcompile, kcompile_build, lay_out
from tests.helm.oci_registry import Registry


def _helm_env(home) -> dict:
    import os

    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_CACHE_HOME": str(home / "cache"), "HELM_DATA_HOME": str(home / "data")}


@pytest.fixture
def registry(tmp_path_factory, ref_tools):
    """An OCI registry holding charts/shop 1.2.0 and 1.3.0 and charts/operator 0.9.0."""
    work = tmp_path_factory.mktemp("oci")
    env = _helm_env(work)
    newer = work / "shop"
    shutil.copytree(CHARTS / "shop", newer)
    chart_yaml = newer / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 1.2.0", "version: 1.3.0"))
    (newer / "values.yaml").write_text((newer / "values.yaml").read_text().replace("replicaCount: 2", "replicaCount: 5"))
    reg = Registry().start()
    for chart in (CHARTS / "shop", newer, CHARTS / "operator"):
        subprocess.run([str(ref_tools.helm), "package", str(chart), "-d", str(work)], check=True,
                       capture_output=True, env=env)
    for archive in sorted(work.glob("*.tgz")):
        subprocess.run([str(ref_tools.helm), "push", str(archive), f"oci://{reg.host}/charts", "--plain-http"],
                       check=True, capture_output=True, env=env)
    reg.requests.clear()
    yield reg
    reg.stop()


def test_oci_chart_vendored_pinned_and_built_offline(registry, tmp_path, ref_tools, capsys, monkeypatch):
    repo = f"oci://{registry.host}/charts"
    root = lay_out(tmp_path / "repo", {"overlays/prod/kcompile.yaml": f"""
charts:
- chart: shop
  repo: {repo}
  version: 1.2.0
  release: web
  values: {{replicaCount: 3}}
"""})
    monkeypatch.chdir(root)
    helm = ["--helm-command", str(ref_tools.helm)]
    code, _out, err = kcompile(capsys, "build", "overlays/prod", "--no-cache", *helm)
    assert code == 1 and "is not vendored: run 'kcompile vendor'" in err
    assert registry.requests == []  # a build never fetches

    code, _out, err = kcompile(capsys, "vendor", "overlays/prod", "--plain-http", *helm)
    assert code == 0, err
    assert f"pinned shop 1.2.0 from {repo}" in err
    (entry,) = load_one((root / "kcompile.lock").read_text())["charts"]
    assert (entry["repo"], entry["name"], entry["version"], entry["resolved"]) == (repo, "shop", "1.2.0", "1.2.0")
    archive = root / entry["path"]
    import hashlib

    assert entry["digest"] == "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
    assert any(r.startswith("GET /v2/charts/shop/manifests/1.2.0") for r in registry.requests)

    registry.stop()  # offline from here on
    ours = kcompile_build(capsys, root / "overlays/prod", *helm)
    values = tmp_path / "v.yaml"
    values.write_text("replicaCount: 3\n")
    theirs = helm_template(ref_tools, "web", str(CHARTS / "shop"), "-f", str(values), "--include-crds",
                           "--skip-tests")
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(ours, key=key) == sorted(theirs, key=key)
    code, _out, err = kcompile(capsys, "vendor", "overlays/prod", "--plain-http", *helm)
    assert code == 0 and "every repository chart and remote base is pinned" in err  # nothing fetched


def test_oci_helm_charts_entry_and_newest_version(registry, tmp_path, ref_tools, capsys, monkeypatch):
    """helmCharts with an oci:// repo (Kustomize's field) and a charts: entry naming no
    version: the newest tag (1.3.0) is pinned."""
    repo = f"oci://{registry.host}/charts"
    root = lay_out(tmp_path, {"kustomization.yaml": f"""
helmCharts:
- name: operator
  repo: {repo}
  version: 0.9.0
  releaseName: backup
  includeCRDs: true
""", "newest/kcompile.yaml": f"charts:\n- chart: shop\n  repo: {repo}\n  release: web\n"})
    monkeypatch.chdir(root)
    flags = ["--enable-helm", "--helm-command", str(ref_tools.helm)]
    assert kcompile(capsys, "vendor", ".", "newest", "--plain-http", *flags)[0] == 0
    lock = {c["name"]: c for c in load_one((root / "kcompile.lock").read_text())["charts"]}
    assert (lock["operator"]["version"], lock["operator"]["resolved"]) == ("0.9.0", "0.9.0")
    assert (lock["shop"]["version"], lock["shop"]["resolved"]) == ("", "1.3.0")
    registry.stop()
    ours = kcompile_build(capsys, root, *flags)
    theirs = helm_template(ref_tools, "backup", str(CHARTS / "operator"), "--include-crds")
    assert ours == theirs
    newest = kcompile_build(capsys, root / "newest", *flags)
    assert next(o for o in newest if o["kind"] == "Deployment")["spec"]["replicas"] == 5


def test_oci_errors(registry, tmp_path, ref_tools, capsys, monkeypatch):
    repo = f"oci://{registry.host}/charts"
    root = lay_out(tmp_path, {"kcompile.yaml": f"charts:\n- chart: shop\n  repo: {repo}\n  version: 9.9.9\n"})
    monkeypatch.chdir(root)
    helm = ["--helm-command", str(ref_tools.helm)]
    code, out, err = kcompile(capsys, "vendor", ".", "--plain-http", *helm)
    assert code == 1 and out == ""
    assert err.startswith("kcompile: error: kcompile.yaml:2: cannot fetch chart 'shop' from " + repo), err
    assert not (root / "kcompile.lock").exists()
    (root / "kcompile.yaml").write_text(f"charts:\n- chart: shop\n  repo: {repo}\n  version: 1.2.0\n")
    code, _out, err = kcompile(capsys, "vendor", ".", *helm)  # HTTPS to a plain-HTTP registry
    assert code == 1 and "cannot fetch chart 'shop'" in err and "Traceback" not in err
    assert not (root / "kcompile.lock").exists()
