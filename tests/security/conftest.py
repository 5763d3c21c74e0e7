"""Fixtures for the file-system boundary tests: a work space in a real git repository or
outside any git work tree (every test runs in both), its snapshot before the test, a
private cache directory, and a loopback listener that must never be contacted."""

from __future__ import annotations

import subprocess

import pytest

from tests.security.guard import Listener, changes, snapshot


def git(cwd, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(params=["git", "no-git"])
def space(request, tmp_path, monkeypatch):
    """The directory a test builds in (its current directory): the top of a git work
    tree, or a plain directory outside any."""
    root = tmp_path / "space"
    root.mkdir()
    if request.param == "git":
        git(root, "init", "-q")
    monkeypatch.chdir(root)
    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(tmp_path / "user-cache"))
    return root


def commit_all(root) -> None:
    """Commit the space's files when it is a git work tree (so they are tracked)."""
    if (root / ".git").is_dir():
        git(root, "add", "-A")
        git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "files")


@pytest.fixture()
def listener():
    lst = Listener()
    yield lst
    contacted = lst.contacted()
    lst.close()
    assert not contacted, "a build made a network connection"


class Guard:
    """Snapshot of a tree; ``changed()`` is what differs since."""

    def __init__(self, root) -> None:
        self.root = root
        self.before = snapshot(root)

    def changed(self) -> dict[str, str]:
        return changes(self.before, snapshot(self.root))
