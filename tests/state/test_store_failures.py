"""An SQLite state store whose file system or files are not what they should be: a
read-only or full file system, an empty file beside its key, damaged bodies, a key file
that is a directory, a lock path that is a file. Each is a clear message through the CLI
(exit 1, no traceback); read-only commands work on a read-only store."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from kcompile.cli import main


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    for var in ("KCOMPILE_STATE", "KCOMPILE_STATE_KEY"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    ov = root / "env" / "dev"
    ov.mkdir(parents=True)
    write(ov, "v1")
    return root


def write(ov: Path, version: str) -> None:
    (ov / "objects.yaml").write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"v": version}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"pw": f"pw-{version}"}}]))
    (ov / "kcompile.yaml").write_text("resources: [objects.yaml]\n")


def run(capsys, root: Path, state: Path, *args: str) -> tuple[int, str, str]:
    code = main([args[0], str(root / "env" / "dev"), "--state", str(state), *args[1:]])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _tree(d: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def read_only(directory: Path):
    """``directory`` read-only: a read-only bind mount as root (a chmod does not stop root),
    else a chmod."""
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(directory), str(directory)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(directory)], check=True)
            yield "read-only file system"
        finally:
            subprocess.run(["umount", str(directory)], check=True)
    else:
        mode = directory.stat().st_mode
        os.chmod(directory, 0o555)
        for p in directory.iterdir():
            os.chmod(p, 0o444)
        try:
            yield "permission denied"
        finally:
            os.chmod(directory, mode)
            for p in directory.iterdir():
                os.chmod(p, 0o644)


def test_a_read_only_store_is_read_and_not_written(repo, tmp_path, capsys):
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    state = store_dir / "state.db"
    assert run(capsys, repo, state, "apply")[0] == 0
    write(repo / "env" / "dev", "v2")
    assert run(capsys, repo, state, "apply")[0] == 0
    before = _tree(store_dir)
    with read_only(store_dir) as reason:
        code, out, err = run(capsys, repo, state, "plan", "--format", "json")
        assert code == 0, err
        code, out, err = run(capsys, repo, state, "history", "--format", "json")
        assert code == 0 and len(__import__("json").loads(out)) == 2, err
        code, out, err = run(capsys, repo, state, "rollback", "--to-revision", "1", "--dry-run", "--format", "yaml")
        assert code == 0 and "pw-v1" in out, err
        code, out, err = run(capsys, repo, state, "rollback", "--to-revision", "1", "--dry-run")  # the plan
        assert code == 0 and "pw-v1" not in out, err
        for cmd in (["apply"], ["rollback", "--to-revision", "1"]):
            code, out, err = run(capsys, repo, state, *cmd)
            assert code == 1 and f"cannot write state file {state}: {reason}" in err, err
            assert "not a readable" not in err
    assert _tree(store_dir) == before


def test_a_full_file_system_says_so_and_keeps_the_previous_revision(repo, tmp_path, capsys):
    if os.geteuid() != 0:  # pragma: no cover - CI runs as root; a small tmpfs needs mount rights
        pytest.fail("this test mounts a small tmpfs: run it as root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    try:
        state = mnt / "state.db"
        assert run(capsys, repo, state, "apply")[0] == 0
        filler = mnt / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
        os.close(fd)
        # a revision much bigger than what is left
        (repo / "env" / "dev" / "objects.yaml").write_text(yaml.safe_dump_all([
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}, "data": {"v": "x" * 4000}}
            for i in range(200)]))
        code, out, err = run(capsys, repo, state, "apply")
        assert code == 1 and f"cannot write state file {state}: no space left on device" in err, err
        filler.unlink()
        code, out, err = run(capsys, repo, state, "history", "--format", "json")
        assert code == 0 and [h["revision"] for h in __import__("json").loads(out)] == [1]
        code, out, err = run(capsys, repo, state, "apply")
        assert code == 0, err  # and it works again once there is room
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_an_empty_state_file_beside_its_key_is_an_error_not_a_new_history(repo, tmp_path, capsys):
    state = tmp_path / "state.db"
    assert run(capsys, repo, state, "apply")[0] == 0
    state.write_bytes(b"")
    for cmd in (["apply"], ["plan"], ["history"]):
        code, _, err = run(capsys, repo, state, *cmd)
        assert code == 1 and "is empty, but its key file state.db.key is beside it" in err, err
    assert state.read_bytes() == b""


def test_a_state_body_that_is_not_an_object(repo, tmp_path, capsys):
    state = tmp_path / "state.db"
    assert run(capsys, repo, state, "apply")[0] == 0
    for body in ("[1, 2]", '"text"', "{not json"):
        db = sqlite3.connect(state)
        db.execute("UPDATE objects SET body = ? WHERE seq = 0", (body,))
        db.commit()
        db.close()
        for cmd in (["plan"], ["rollback", "--to-revision", "1", "--dry-run"]):
            code, _, err = run(capsys, repo, state, *cmd)
            assert code == 1 and "revision 1 of 'env/dev' is damaged" in err, err


def test_a_key_file_that_is_a_directory(repo, tmp_path, capsys):
    state = tmp_path / "state.db"
    assert run(capsys, repo, state, "apply")[0] == 0
    key = tmp_path / "state.db.key"
    key.unlink()
    key.mkdir()
    for cmd in (["apply"], ["plan"], ["rollback", "--to-revision", "1"]):
        code, _, err = run(capsys, repo, state, *cmd)
        assert code == 1 and f"state key file {key} is a directory" in err, err


def test_a_lock_path_that_is_a_file_or_a_lock_file_that_is_a_directory(repo, tmp_path, capsys):
    state = tmp_path / "state.db"
    locks = tmp_path / "state.db.locks"
    locks.write_text("")
    code, _, err = run(capsys, repo, state, "apply")
    assert code == 1 and f"state lock directory {locks} is a file" in err, err
    locks.unlink()
    assert run(capsys, repo, state, "apply")[0] == 0
    for lock in locks.iterdir():
        lock.unlink()
        lock.mkdir()
    code, _, err = run(capsys, repo, state, "apply")
    assert code == 1 and "is a directory" in err, err


def test_a_state_path_that_is_a_directory_or_under_a_file(repo, tmp_path, capsys):
    (tmp_path / "d.db").mkdir()
    code, _, err = run(capsys, repo, tmp_path / "d.db", "apply")
    assert code == 1 and "is a directory, not a state database" in err
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, repo, tmp_path / "file" / "state.db", "apply")
    assert code == 1 and "cannot write" in err and "file is a file, not a directory" in err, err
