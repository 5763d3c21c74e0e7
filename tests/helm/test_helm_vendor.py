"""Charts from a chart repository: ``kcompile vendor`` fetches them (a repository served
on loopback by this test: an index.yaml and archives made with ``helm package``) and pins
them in kcompile.lock; builds then read only the pinned archive, offline."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from kcompile.yaml.read import load_one
from tests.helm.helpers import CHARTS, helm_template, kcompile, kcompile_build, kustomize_build, lay_out


class _Repository(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()


@pytest.fixture
def repository(tmp_path_factory, ref_tools):
    """A chart repository on 127.0.0.1 holding shop 1.2.0 and 1.3.0 and operator 0.9.0."""
    served = tmp_path_factory.mktemp("repo")
    work = tmp_path_factory.mktemp("package")
    for name in ("shop", "operator"):
        subprocess.run([str(ref_tools.helm), "package", str(CHARTS / name), "-d", str(served)],
                       check=True, capture_output=True)
    newer = work / "shop"
    shutil.copytree(CHARTS / "shop", newer)
    chart_yaml = newer / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 1.2.0", "version: 1.3.0"))
    (newer / "values.yaml").write_text((newer / "values.yaml").read_text().replace("replicaCount: 2", "replicaCount: 5"))
    subprocess.run([str(ref_tools.helm), "package", str(newer), "-d", str(served)], check=True, capture_output=True)

    handler = type("Handler", (_Repository,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(served)))
    url = f"http://127.0.0.1:{server.server_address[1]}/charts"
    (served / "charts").mkdir()
    for f in served.glob("*.tgz"):
        f.rename(served / "charts" / f.name)
    subprocess.run([str(ref_tools.helm), "repo", "index", str(served / "charts"), "--url", url],
                   check=True, capture_output=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, handler
    server.shutdown()
    server.server_close()


def test_charts_entry_vendored_pinned_and_built_offline(repository, tmp_path, ref_tools, capsys, monkeypatch):
    url, handler = repository
    root = lay_out(tmp_path / "repo", {"overlays/prod/kcompile.yaml": f"""
charts:
- chart: shop
  repo: {url}
  version: 1.2.0
  release: web
  values: {{replicaCount: 3}}
"""})
    monkeypatch.chdir(root)
    helm = ["--helm-command", str(ref_tools.helm)]
    code, _out, err = kcompile(capsys, "build", "overlays/prod", "--no-cache", *helm)
    assert code == 1 and "is not vendored: run 'kcompile vendor'" in err
    assert handler.requests == []  # a build never fetches

    code, _out, err = kcompile(capsys, "vendor", "overlays/prod", *helm)
    assert code == 0, err
    assert "pinned shop 1.2.0" in err
    lock = load_one((root / "kcompile.lock").read_text())
    (entry,) = lock["charts"]
    assert entry["repo"] == url and entry["name"] == "shop" and entry["version"] == "1.2.0"
    assert entry["resolved"] == "1.2.0" and entry["digest"].startswith("sha256:")
    archive = root / entry["path"]
    assert archive.is_file() and archive.is_relative_to(root / ".kcompile" / "vendor")
    assert (archive.stat().st_mode & 0o077) == 0  # nothing under .kcompile readable by others

    fetched = len(handler.requests)
    ours = kcompile_build(capsys, root / "overlays/prod", *helm)
    again = kcompile(capsys, "vendor", "overlays/prod", *helm)
    assert again[0] == 0 and "every repository chart and remote base is pinned" in again[2]
    assert len(handler.requests) == fetched  # building and re-vendoring fetch nothing
    values = tmp_path / "v.yaml"
    values.write_text("replicaCount: 3\n")
    theirs = helm_template(ref_tools, "web", str(CHARTS / "shop"), "-f", str(values), "--include-crds",
                           "--skip-tests")
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(ours, key=key) == sorted(theirs, key=key)

    archive.write_bytes(archive.read_bytes() + b"\0")  # a changed copy is refused
    code, _out, err = kcompile(capsys, "build", "overlays/prod", "--no-cache", *helm)
    assert code == 1 and "does not match the digest pinned in" in err


def test_newest_version_when_none_is_named(repository, tmp_path, ref_tools, capsys, monkeypatch):
    url, _handler = repository
    root = lay_out(tmp_path, {"kcompile.yaml": f"charts:\n- chart: shop\n  repo: {url}\n  release: web\n"})
    monkeypatch.chdir(root)
    code, _out, err = kcompile(capsys, "vendor", ".", "--helm-command", str(ref_tools.helm))
    assert code == 0, err
    (entry,) = load_one((root / "kcompile.lock").read_text())["charts"]
    assert (entry["version"], entry["resolved"]) == ("", "1.3.0")
    objects = kcompile_build(capsys, root, "--helm-command", str(ref_tools.helm))
    assert next(o for o in objects if o["kind"] == "Deployment")["spec"]["replicas"] == 5


def test_helm_charts_repository_chart_like_kustomize(repository, tmp_path, ref_tools, capsys, monkeypatch):
    """helmCharts with repo and version: vendored and pinned; the build gives what
    kubectl kustomize --enable-helm gives after pulling the chart itself."""
    url, _handler = repository
    files = {"kustomization.yaml": f"""
namespace: backups
helmCharts:
- name: operator
  repo: {url}
  version: 0.9.0
  releaseName: backup
  includeCRDs: true
  valuesInline: {{defaultSchedule: {{retention: 30}}}}
- name: shop
  repo: {url}
  version: 1.2.0
  releaseName: web
  valuesMerge: merge
  valuesInline: {{replicaCount: 8, podAnnotations: {{team: a}}}}
"""}
    ours_root = lay_out(tmp_path / "ours", files)
    monkeypatch.chdir(ours_root)
    flags = ["--enable-helm", "--helm-command", str(ref_tools.helm)]
    assert kcompile(capsys, "vendor", ".", *flags)[0] == 0
    ours = kcompile_build(capsys, ours_root, *flags)
    assert not (ours_root / "charts").exists()  # vendored, not pulled into the chart home
    theirs_root = lay_out(tmp_path / "theirs", files)
    assert ours == kustomize_build(ref_tools, theirs_root)


def test_diff_against_a_commit_with_pinned_charts(repository, tmp_path, ref_tools, capsys, monkeypatch):
    """kcompile diff --base-ref builds the commit's overlay with the commit's kcompile.lock
    (the vendored archives are git-ignored: they are taken from the working tree's)."""
    import json

    url, _handler = repository
    root = lay_out(tmp_path / "repo", {
        ".gitignore": ".kcompile/\n",
        "env/prod/kcompile.yaml": f"charts:\n- chart: shop\n  repo: {url}\n  version: 1.2.0\n  release: web\n",
    })
    monkeypatch.chdir(root)
    helm = ["--helm-command", str(ref_tools.helm)]
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], check=True)
    assert kcompile(capsys, "vendor", "env/prod", *helm)[0] == 0
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "pin shop 1.2.0"], check=True)
    overlay = root / "env/prod/kcompile.yaml"
    overlay.write_text(overlay.read_text().replace("1.2.0", "1.3.0"))  # the pull request: upgrade the chart
    assert kcompile(capsys, "vendor", "env/prod", *helm)[0] == 0
    code, out, err = kcompile(capsys, "diff", "env/prod", "--base-ref", "HEAD", "--format", "json", *helm)
    assert code == 0, err
    (plan,) = json.loads(out) if out.lstrip().startswith("[") else [json.loads(out)]
    changed = {(c["kind"], c["name"]): c for c in plan["changes"]}
    replicas = [f for f in changed[("Deployment", "web-shop")]["fields"] if f["path"] == "spec.replicas"]
    assert replicas == [{"path": "spec.replicas", "before": 2, "after": 5}]


def test_diff_passes_helm_flags_to_the_base_build(tmp_path, ref_tools, capsys, monkeypatch):
    root = lay_out(tmp_path / "repo", {"kustomization.yaml": "helmCharts:\n- name: shop\n  releaseName: web\n"},
                   {"charts/shop": "shop"})
    monkeypatch.chdir(root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "shop"], check=True)
    values = root / "charts/shop/values.yaml"
    values.write_text(values.read_text().replace("port: 80", "port: 8088"))
    code, out, err = kcompile(capsys, "diff", ".", "--base-ref", "HEAD", "--enable-helm",
                              "--helm-command", str(ref_tools.helm))
    assert code == 0, err
    assert "update Service/web-shop" in out and "spec.ports[port=8088,protocol=TCP]" in out, out
