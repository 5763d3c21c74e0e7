"""The whole-build cache: reused when no input changed, rebuilt when any did."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import kcompile.build
from kcompile.build import BuildOptions
from kcompile.multi.jobs import build_many

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    for d in ("charts", "overlays"):
        shutil.copytree(ROOT / d, tmp_path / d)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    calls: list[str] = []
    real = kcompile.build.build

    def counting(overlay, options=None):
        calls.append(str(overlay))
        return real(overlay, options)

    monkeypatch.setattr(kcompile.build, "build", counting)
    return tmp_path, calls


def build_all(env=None) -> list:
    outcomes = build_many(["overlays/dev", "overlays/prod"], BuildOptions(env=env), jobs=1)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return outcomes


def test_unchanged_inputs_reuse_the_output(repo):
    root, calls = repo
    first = build_all()
    assert calls == ["overlays/dev", "overlays/prod"]
    second = build_all()
    assert calls == ["overlays/dev", "overlays/prod"]  # no new builds
    assert [o.text for o in second] == [o.text for o in first]


def test_touch_without_change_still_hits(repo):
    root, calls = repo
    build_all()
    p = root / "overlays/base/quota.yaml"
    os.utime(p, None)
    build_all()
    assert len(calls) == 2


def test_changed_file_rebuilds_only_the_overlays_that_read_it(repo):
    root, calls = repo
    build_all()
    p = root / "overlays/prod/pdb.yaml"
    p.write_text(p.read_text().replace("minAvailable: 3", "minAvailable: 2"))
    out = build_all()
    assert calls[2:] == ["overlays/prod"]
    assert "minAvailable: 2" in out[1].text


def test_chart_template_change_rebuilds(repo):
    root, calls = repo
    build_all()
    t = root / "charts/webapp/templates/service.yaml.j2"
    t.write_text(t.read_text().replace("name: http", "name: web"))
    out = build_all()
    assert len(calls) == 4 and "name: web" in out[0].text


def test_new_overlay_file_in_a_directory_rebuilds(repo):
    root, calls = repo
    build_all()
    (root / "overlays/dev/kustomization.yaml").write_text("resources: []\n")
    outcomes = build_many(["overlays/dev"], BuildOptions(), jobs=1)
    assert not outcomes[0].ok and "several overlay files" in outcomes[0].error


def test_builds_reading_environment_secrets_are_not_cached(repo):
    root, calls = repo
    (root / "overlays/dev/kcompile.yaml").write_text(
        (root / "overlays/dev/kcompile.yaml").read_text().replace(
            "  literals: [username=shop_dev, password=dev-only-password]", "  envVars: [KC_TEST_DB_PASSWORD]"))
    env = {"KC_TEST_DB_PASSWORD": "from-env-secret"}
    build_all(env)
    build_all(env)
    assert calls.count("overlays/dev") == 2 and calls.count("overlays/prod") == 1
    blobs = b"".join(p.read_bytes() for p in Path(os.environ["KCOMPILE_CACHE_DIR"]).rglob("*") if p.is_file())
    import base64

    assert base64.b64encode(b"from-env-secret") not in blobs and b"from-env-secret" not in blobs


def _entries(root) -> list:
    cache = Path(os.environ["KCOMPILE_CACHE_DIR"])
    return [p for p in cache.rglob("*") if p.is_file() and p.parent.parent.name.startswith("builds-v")]


def test_a_damaged_entry_is_a_miss_and_is_rebuilt(repo):
    root, calls = repo
    first = build_all()
    for entry in _entries(root):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])  # as if cut off mid-write by a full disk
    second = build_all()
    assert len(calls) == 4
    assert [o.text for o in second] == [o.text for o in first]
    third = build_all()  # the rebuilt entries are whole again
    assert len(calls) == 4 and all(o.cached is not None for o in third)


def test_an_entry_records_the_inputs_as_the_build_read_them(repo):
    """A file changed after the build read it (before the entry was written) is a miss."""
    import kcompile.cache.builds as buildcache

    root, calls = repo
    p = root / "overlays/prod/pdb.yaml"
    real_put = buildcache.BuildCache.put

    def put_after_an_edit(self, key, inputs, *rest):
        if p.resolve() in inputs[0] and "minAvailable: 3" in p.read_text():
            p.write_text(p.read_text().replace("minAvailable: 3", "minAvailable: 1"))
        return real_put(self, key, inputs, *rest)

    buildcache.BuildCache.put = put_after_an_edit
    try:
        first = build_all()
    finally:
        buildcache.BuildCache.put = real_put
    assert "minAvailable: 3" in first[1].text
    second = build_all()
    assert calls.count("overlays/prod") == 2 and "minAvailable: 1" in second[1].text
