"""Bases shared by several overlays are accumulated once per process and reused, only
while everything they read is unchanged (``BuildOptions.for_several_overlays``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kcompile.pipeline.accumulate
from kcompile.build import build
from kcompile.output.emit import render
from kcompile.multi.jobs import build_many
from kcompile.options import BuildOptions

from tests.objects import WEB_DEPLOYMENT

APP = WEB_DEPLOYMENT


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "base/more").mkdir(parents=True)
    (tmp_path / "base/app.yaml").write_text(APP)
    (tmp_path / "base/kustomization.yaml").write_text("resources: [app.yaml, more]\nnamePrefix: b-\n")
    (tmp_path / "base/more/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n")
    for env in ("dev", "prod"):
        (tmp_path / env).mkdir()
        (tmp_path / env / "kustomization.yaml").write_text(f"resources: [../base]\nnamespace: {env}\n")
    monkeypatch.chdir(tmp_path)
    accumulated: list[str] = []
    real = kcompile.pipeline.accumulate.accumulate

    def counting(self, directory, *args, **kwargs):
        accumulated.append(Path(directory).name)
        return real(self, directory, *args, **kwargs)

    monkeypatch.setattr(kcompile.pipeline.accumulate, "accumulate", counting)
    return tmp_path, accumulated


def text(overlay: str, options: BuildOptions) -> str:
    return render([r.body for r in build(overlay, options).resources])


def test_a_shared_base_is_built_once_and_gives_the_same_output(repo):
    root, accumulated = repo
    fresh = [text(o, BuildOptions()) for o in ("dev", "prod")]
    accumulated.clear()
    shared = BuildOptions().for_several_overlays()
    assert [text(o, shared) for o in ("dev", "prod")] == fresh
    assert accumulated == ["dev", "base", "prod"]  # base once
    assert "name: b-web" in fresh[1] and "namespace: prod" in fresh[1]


def test_the_reused_base_is_a_copy(repo):
    root, accumulated = repo
    shared = BuildOptions().for_several_overlays()
    first = build("dev", shared).resources
    first[0].body["metadata"]["name"] = "mutated"
    assert "mutated" not in text("prod", shared)


@pytest.mark.parametrize("change", ["edit a file", "add a file to a listed directory"])
def test_a_changed_input_builds_the_base_again(repo, change):
    root, accumulated = repo
    shared = BuildOptions().for_several_overlays()
    text("dev", shared)
    if change == "edit a file":
        (root / "base/app.yaml").write_text(APP.replace("nginx:1.21", "nginx:1.99"))
    else:
        (root / "base/more/cm2.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n")
    out = text("prod", shared)
    assert accumulated.count("base") == 2
    assert ("nginx:1.99" in out) if change == "edit a file" else ("name: b-two" in out)


def test_a_base_reading_the_environment_is_not_kept(repo):
    root, accumulated = repo
    (root / "base/kustomization.yaml").write_text(
        "resources: [app.yaml]\nsecretGenerator:\n- name: db\n  envVars: [KC_SUB_BUILD_SECRET]\n")
    shared = BuildOptions(env={"KC_SUB_BUILD_SECRET": "s3cret"}).for_several_overlays()
    text("dev", shared)
    text("prod", shared)
    assert accumulated.count("base") == 2 and not shared.sub_builds


def test_the_build_cache_records_a_reused_base_as_an_input(repo):
    root, accumulated = repo
    outcomes = build_many(["dev", "prod"], BuildOptions(), validate=False, jobs=1)
    assert accumulated.count("base") == 1 and all(o.ok for o in outcomes)
    (root / "base/app.yaml").write_text(APP.replace("nginx:1.21", "nginx:1.77"))
    again = build_many(["dev", "prod"], BuildOptions(), validate=False, jobs=1)
    assert all("nginx:1.77" in o.text for o in again)  # prod, which reused the base, rebuilt too


def test_a_base_rendering_a_chart_is_not_kept(monkeypatch):
    """Its output depends on chart files read outside the build's file layer (and on the
    chartValues of the overlays above); the chart render cache serves it instead."""
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    shared = BuildOptions(use_cache=False).for_several_overlays()
    outs = [text(o, shared) for o in ("overlays/dev", "overlays/prod")]
    assert not shared.sub_builds
    assert outs == [text(o, BuildOptions(use_cache=False)) for o in ("overlays/dev", "overlays/prod")]


def test_nested_bases_reused_inside_each_other(repo):
    """dev -> mid -> base, prod -> base, qa -> mid: mid is recorded while base is reused
    inside it, and mid's reuse still names base's files as inputs."""
    root, accumulated = repo
    (root / "mid").mkdir()
    (root / "mid/kustomization.yaml").write_text("resources: [../base]\nnameSuffix: -m\n")
    (root / "qa").mkdir()
    (root / "qa/kustomization.yaml").write_text("resources: [../mid]\nnamespace: qa\n")
    (root / "dev/kustomization.yaml").write_text("resources: [../mid]\nnamespace: dev\n")
    overlays = ["prod", "dev", "qa"]
    fresh = [text(o, BuildOptions()) for o in overlays]
    accumulated.clear()
    shared = BuildOptions().for_several_overlays()
    assert [text(o, shared) for o in overlays] == fresh
    assert accumulated == ["prod", "base", "dev", "mid", "qa"]
    (root / "base/app.yaml").write_text(APP.replace("nginx:1.21", "nginx:1.55"))
    assert "nginx:1.55" in text("qa", shared)
