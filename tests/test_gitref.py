"""Building at a git revision reads git's objects, never the work tree or index."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kcompile.errors import KcompileError
from kcompile.gitref import Snapshot


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
