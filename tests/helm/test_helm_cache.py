"""The render cache of Helm charts: keyed by the chart's files, the values, the flags and
the helm binary; a hit runs no helm at all. Checked with a helm wrapper that logs each
run of the real binary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kcompile.charts.helm import HelmTemplate, render_helm_chart
from tests.helm.helpers import CHARTS


@pytest.fixture
def counting_helm(tmp_path, ref_tools):
    log = tmp_path / "runs.log"
    wrapper = tmp_path / "bin" / "helm"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {ref_tools.helm} "$@"\n')
    wrapper.chmod(0o755)

    def template_runs() -> int:
        return log.read_text().split().count("template") if log.exists() else 0

    return wrapper, template_runs


def test_hits_and_misses(tmp_path, counting_helm):
    helm, runs = counting_helm
    chart = tmp_path / "shop"
    shutil.copytree(CHARTS / "shop", chart)
    cache = tmp_path / "cache"

    def render(values: bytes = b"replicaCount: 3\n", **flags) -> list:
        request = HelmTemplate(chart, release="web", values_files=[("v", values)], **flags)
        return [r.body for r in render_helm_chart(request, helm_command=str(helm), cache_dir=cache)]

    first = render()
    assert runs() == 1
    assert render() == first and runs() == 1  # a hit: helm not run
    assert render(b"replicaCount: 4\n") != first and runs() == 2  # other values
    render(namespace="shop")
    assert runs() == 3  # other flags
    (chart / "templates" / "configmap.yaml").write_text(
        (chart / "templates" / "configmap.yaml").read_text().replace("data:", "data:\n  EXTRA: x"))
    changed = render()
    assert runs() == 4 and changed != first  # a chart file changed
    st = os.stat(helm)
    os.utime(helm, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert render() == changed and runs() == 5  # another helm binary renders again


def test_build_cache_answers_without_helm(tmp_path, counting_helm, capsys, monkeypatch):
    from tests.helm.helpers import kcompile, lay_out

    helm, runs = counting_helm
    root = lay_out(tmp_path / "repo", {"kcompile.yaml": "charts:\n- chart: charts/shop\n  release: web\n"},
                   {"charts/shop": "shop"})
    monkeypatch.chdir(root)
    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(tmp_path / "user-cache"))
    first = kcompile(capsys, "build", ".", "--helm-command", str(helm))
    assert first[0] == 0 and runs() == 1
    second = kcompile(capsys, "build", ".", "--helm-command", str(helm))
    assert second == first and runs() == 1
    values = Path(root / "charts/shop/values.yaml")
    values.write_text(values.read_text().replace("replicaCount: 2", "replicaCount: 6"))
    third = kcompile(capsys, "build", ".", "--helm-command", str(helm))
    assert third[0] == 0 and "replicas: 6" in third[1] and runs() == 2


def test_secrets_from_the_command_line_are_not_cached(tmp_path, ref_tools, capsys, monkeypatch):
    """A Secret rendered with --set values is never written to the render cache (the
    value is not in the repository's files); without --set it is cached as usual."""
    from tests.helm.helpers import kcompile, lay_out

    root = lay_out(tmp_path / "repo", {"kcompile.yaml": "charts:\n- chart: charts/stack\n  release: apps\n"},
                   {"charts/stack": "stack"})
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"
    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(cache))
    helm = ["--helm-command", str(ref_tools.helm), "--no-validate"]
    code, out, err = kcompile(capsys, "build", ".", "--set", "apps.database.host=s3cr3t-host.internal", *helm)
    assert code == 0 and "s3cr3t-host.internal" in out, err

    def cached_files() -> list[bytes]:  # wherever the caches live (user cache, or the repository's)
        return [p.read_bytes() for base in (cache, root / ".kcompile") if base.exists()
                for p in base.rglob("*") if p.is_file()]

    assert not any(b"s3cr3t-host" in data for data in cached_files())
    assert kcompile(capsys, "build", ".", *helm)[0] == 0
    assert any(b"db.internal" in data for data in cached_files())
