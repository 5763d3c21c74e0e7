"""Building at a git revision reads git's objects, never the work tree or index."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kcompile.errors import KcompileError
from kcompile.load.gitref import Snapshot


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "ov").mkdir()
    (tmp_path / "ov/a.yaml").write_text("v: 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def test_snapshot_holds_the_committed_files_and_leaves_work_tree_alone(repo):
    (repo / "ov/a.yaml").write_text("v: 2\n")  # uncommitted edit
    (repo / "ov/new.yaml").write_text("n: 1\n")
    git(repo, "add", "ov/new.yaml")  # staged, not committed
    status_before = git(repo, "status", "--porcelain")
    with Snapshot(repo, "HEAD") as snap:
        assert (snap.map(repo / "ov") / "a.yaml").read_text() == "v: 1\n"
        assert not (snap.map(repo / "ov") / "new.yaml").exists()
        path = snap.path
    assert not path.exists()
    assert git(repo, "status", "--porcelain") == status_before
    assert (repo / "ov/a.yaml").read_text() == "v: 2\n"


def test_unknown_ref_is_a_clear_error(repo):
    with pytest.raises(KcompileError) as e:
        Snapshot(repo, "no-such-branch")
    assert "revision 'no-such-branch' not found" in e.value.message


@pytest.fixture()
def monorepo(tmp_path):
    """Overlays beside application source and committed rendered manifests."""
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    files = {
        "deploy/base/kustomization.yaml": "resources: [app.yaml]\n",
        "deploy/base/app.yaml": "v: 1\n",
        "deploy/components/tls/kustomization.yaml": "kind: Component\n",
        "deploy/mid/kcompile.yaml": "resources: [../base]\n",
        "deploy/env/prod/kcompile.yaml": ("resources: [../../mid, ../../raw]\ncomponents: [../../components/tls]\n"
                                          "charts: [{chart: ../../../charts/web}]\n"),
        "deploy/env/prod/patch.yaml": "p: 1\n",
        "deploy/env/dev/kcompile.yaml": "resources: [../../base]\n",
        "deploy/env/qa[1]/kcompile.yaml": "resources: [../../base]\n",
        "deploy/env/qa1/kcompile.yaml": "resources: [../../raw]\n",
        "deploy/raw/cm.yaml": "c: 1\n",
        "charts/web/Chart.yaml": "name: web\n",
        "charts/web/templates/a.yaml.j2": "t: 1\n",
        "charts/other/Chart.yaml": "name: other\n",
        "src/main.go": "package main\n",
        "rendered/prod/x.yaml": "r: 1\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def exported_files(snap) -> set[str]:
    return {p.relative_to(snap.path).as_posix() for p in snap.path.rglob("*") if p.is_file()}


def test_only_what_the_overlays_can_read_is_exported(monorepo):
    with Snapshot(monorepo, "HEAD", overlays=[monorepo / "deploy/env/prod"]) as snap:
        assert snap.exported == ["charts/web", "deploy/base", "deploy/components/tls", "deploy/env/prod",
                                 "deploy/mid", "deploy/raw"]
        files = exported_files(snap)
    assert "deploy/env/prod/patch.yaml" in files and "charts/web/templates/a.yaml.j2" in files
    assert not any(f.startswith(("src/", "rendered/", "charts/other/", "deploy/env/dev/")) for f in files)


def test_the_whole_tree_is_exported_when_the_reads_cannot_be_told(monorepo):
    (monorepo / "deploy/link").symlink_to("base")
    git(monorepo, "add", "-A")
    git(monorepo, "commit", "-qm", "symlink")
    with Snapshot(monorepo, "HEAD", overlays=[monorepo / "deploy/env/dev"]) as snap:
        assert snap.exported is None and "src/main.go" in exported_files(snap)
    with Snapshot(monorepo, "HEAD~1", overlays=[monorepo / "deploy/env/dev"], everything=True) as snap:
        assert snap.exported is None and "rendered/prod/x.yaml" in exported_files(snap)
    (monorepo / "deploy/env/dev/kcompile.yaml").write_text("resources: [: bad\n")
    git(monorepo, "commit", "-qam", "broken overlay file")
    with Snapshot(monorepo, "HEAD", overlays=[monorepo / "deploy/env/dev"]) as snap:
        assert snap.exported is None


def test_directory_names_are_not_patterns(monorepo):
    with Snapshot(monorepo, "HEAD", overlays=[monorepo / "deploy/env/qa[1]"]) as snap:
        files = exported_files(snap)
    assert "deploy/env/qa[1]/kcompile.yaml" in files and "deploy/base/app.yaml" in files
    assert not any(f.startswith(("deploy/env/qa1/", "deploy/raw/")) for f in files)


def test_an_overlay_missing_at_the_revision_exports_nothing(monorepo):
    with Snapshot(monorepo, "HEAD", overlays=[monorepo / "deploy/env/new"]) as snap:
        assert snap.exported == [] and exported_files(snap) == set()
        assert not snap.map(monorepo / "deploy/env/new").exists()
