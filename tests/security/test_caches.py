"""Caches, through the CLI: they live in the user's cache directory (never in the
repository), in directories only the user can enter, hold nothing pickled, and every
entry is verified against what it claims to hold (a damaged, truncated, foreign or
flipped-byte entry is a miss). A cache or state path git tracks, or a '.kcompile' that
is a symlink, is refused. The build cache notices an edit that keeps size and mtime."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from tests.security.conftest import Guard, commit_all, git
from tests.security.guard import run, write_tree

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {k: %s}\n"
CHART = {
    "charts/c/Chart.yaml": "name: c\nversion: 1.0.0\n",
    "charts/c/values.yaml": "v: from-chart\n",
    "charts/c/templates/cm.yaml.j2": "{% import '_h.j2' as h %}" + CM % ("chart", "{{ h.v() }}"),
    "charts/c/templates/_h.j2": "{% macro v() %}{{ values.v }}{% endmacro %}",
}
TREE = {
    "ov/kcompile.yaml": "resources: [cm.yaml]\ncharts:\n- chart: ../charts/c\n",
    "ov/cm.yaml": CM % ("own", "one"),
    **CHART,
}


@pytest.fixture()
def tree(space):
    write_tree(space, TREE)
    commit_all(space)
    return space


def cache_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_caches_live_outside_the_repository(tree, capsys, monkeypatch, tmp_path):
    guard = Guard(tree)
    for env in ({"KCOMPILE_CACHE_DIR": str(tmp_path / "k")}, {"XDG_CACHE_HOME": str(tmp_path / "xdg")},
                {"HOME": str(tmp_path / "home")}):
        for name in ("KCOMPILE_CACHE_DIR", "XDG_CACHE_HOME"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code, out, err = run(capsys, "build", "ov")
        assert code == 0, err
    assert guard.changed() == {}  # nothing written in the repository
    for root in (tmp_path / "k", tmp_path / "xdg/kcompile", tmp_path / "home/.cache/kcompile"):
        assert cache_files(root), root


def test_cache_directories_and_entries_are_private(tree, capsys, tmp_path):
    old = os.umask(0o002)
    try:
        assert run(capsys, "build", "ov")[0] == 0
        assert run(capsys, "build", "ov", "-o", "out.yaml")[0] == 0
    finally:
        os.umask(old)
    root = tmp_path / "user-cache"
    for p in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(p.lstat().st_mode)
        assert not p.is_symlink()
        assert mode == (0o700 if p.is_dir() else 0o600), (p, oct(mode))


def test_an_existing_cache_directory_open_to_others_is_made_private(tree, capsys, tmp_path):
    root = tmp_path / "user-cache"
    root.mkdir(mode=0o777)
    root.chmod(0o777)
    assert run(capsys, "build", "ov")[0] == 0
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


class Planted:
    """A pickle that, if ever unpickled, creates a file (the test asserts it never exists)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def plant_everywhere(directory: Path, marker: Path) -> None:
    """Pickles where Jinja's FileSystemBytecodeCache and kcompile's caches looked or look."""
    payload = b"j2" + pickle.dumps(Planted(marker), 2)
    for sub in ("jinja", "", "rendered", "templates"):
        d = directory / sub
        d.mkdir(parents=True, exist_ok=True)
        for name in ("__jinja2_" + "0" * 40 + ".cache", "planted.cache"):
            (d / name).write_bytes(payload)


def test_nothing_committed_under_dot_kcompile_is_read_or_run(space, capsys, tmp_path):
    marker = tmp_path / "pwned"
    write_tree(space, TREE)
    good = run(capsys, "build", "ov")
    assert good[0] == 0
    # A pull request commits a cache under .kcompile/cache (the old location) and
    # entries that claim to be the parse of its files.
    plant_everywhere(space / ".kcompile/cache", marker)
    for entry in [p for p in (tmp_path / "user-cache").rglob("*") if p.is_file()]:
        planted = space / ".kcompile/cache" / entry.relative_to(tmp_path / "user-cache")
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_bytes(entry.read_bytes().replace(b"one", b"two"))
    commit_all(space)
    for args in (["--no-cache"], []):
        again = run(capsys, "build", "ov", *args)
        assert again[:2] == good[:2]
    assert not marker.exists()


def test_jinja_bytecode_is_never_unpickled_from_the_cache(tree, capsys, tmp_path):
    marker = tmp_path / "pwned"
    plant_everywhere(tmp_path / "user-cache", marker)
    (tree / "charts/c/values.yaml").write_text("v: changed\n")  # a render-cache miss
    code, out, err = run(capsys, "build", "ov")
    assert code == 0, err
    assert "k: changed" in out and not marker.exists()
    for p in cache_files(tmp_path / "user-cache"):
        if not p.name.endswith(".cache"):  # what kcompile wrote: never a pickle
            assert b"\x80\x02" not in p.read_bytes()[:8] and b"\x80\x04" not in p.read_bytes()[:8], p


def damage(kind: str, data: bytes, other: bytes) -> bytes:
    if kind == "truncated":
        return data[: len(data) // 2]
    if kind == "flipped-byte":
        i = len(data) - 3
        return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
    if kind == "flipped-early":
        i = min(30, len(data) - 1)
        return data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:]
    if kind == "foreign":
        return other
    if kind == "empty":
        return b""
    return b"\x00garbage"


@pytest.mark.parametrize("kind", ["truncated", "flipped-byte", "flipped-early", "foreign", "empty", "garbage"])
def test_a_damaged_entry_is_a_miss(kind, tree, capsys, tmp_path):
    first = run(capsys, "build", "ov")
    assert first[0] == 0
    # a second, different build adds entries a damaged one can be swapped with
    (tree / "ov/cm.yaml").write_text(CM % ("own", "two"))
    (tree / "charts/c/values.yaml").write_text("v: other\n")
    other = run(capsys, "build", "ov")
    assert other[0] == 0
    (tree / "ov/cm.yaml").write_text(CM % ("own", "one"))
    (tree / "charts/c/values.yaml").write_text("v: from-chart\n")
    entries = sorted(cache_files(tmp_path / "user-cache"), key=lambda p: p.stat().st_mtime_ns)
    assert len(entries) >= 4
    for i, entry in enumerate(entries):
        data = entry.read_bytes()
        entry.write_bytes(damage(kind, data, entries[(i + 1) % len(entries)].read_bytes()))
    again = run(capsys, "build", "ov")
    assert again[:2] == first[:2]
    assert run(capsys, "build", "ov")[:2] == first[:2]  # and the entries were written whole again


def test_an_edit_that_keeps_size_and_mtime_is_noticed(tree, capsys):
    assert run(capsys, "build", "ov")[0] == 0
    f = tree / "ov/cm.yaml"
    st = f.stat()
    f.write_text(CM % ("own", "uno"))  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    code, out, err = run(capsys, "build", "ov")
    assert code == 0 and "k: uno" in out, out


def test_a_dot_kcompile_symlink_is_refused(tree, capsys, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tree / ".kcompile").symlink_to(elsewhere)
    guard = Guard(tmp_path / "elsewhere")
    code, out, err = run(capsys, "apply", "ov")
    assert code == 1 and ".kcompile" in err and "symlink" in err, err
    assert guard.changed() == {}
    # a build needs no state directory: it works as before
    assert run(capsys, "build", "ov")[0] == 0


def test_a_state_path_git_tracks_is_refused(tree, capsys):
    if not (tree / ".git").is_dir():
        git(tree, "init", "-q")  # tracking needs a git work tree
    write_tree(tree, {".kcompile/state.db": "committed by someone\n"})
    commit_all(tree)
    guard = Guard(tree)
    code, out, err = run(capsys, "apply", "ov")
    assert code == 1 and "tracked by git" in err, err
    assert {p: c for p, c in guard.changed().items() if not p.startswith(".git/")} == {}


def test_a_cache_directory_git_tracks_is_refused(tree, capsys, monkeypatch):
    if not (tree / ".git").is_dir():
        git(tree, "init", "-q")
    write_tree(tree, {"cache/entry": "committed\n"})
    commit_all(tree)
    monkeypatch.setenv("KCOMPILE_CACHE_DIR", str(tree / "cache"))
    guard = Guard(tree)
    code, out, err = run(capsys, "build", "ov")
    assert code == 1 and "tracked by git" in err and "cache" in err, err
    assert guard.changed() == {}
    assert run(capsys, "build", "ov", "--no-cache")[0] == 0


def test_state_directory_is_private(tree, capsys):
    assert run(capsys, "apply", "ov")[0] == 0
    state = tree / ".kcompile"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700  # no other user can enter it at all
    for p in state.rglob("*"):
        if p.is_dir():
            assert stat.S_IMODE(p.lstat().st_mode) == 0o700, p
