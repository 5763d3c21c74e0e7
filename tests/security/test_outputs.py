"""Where ``-o`` writes, through the CLI: a directory kcompile did not create is written
into, never wiped; stale-file removal touches only files kcompile wrote; the overlay's
own directory, the repository root, an ancestor of an input and an input itself are
refused; ``-o FILE`` writes through a symlink, device or FIFO, and only a regular file
gets the atomic rename (keeping its mode; new files follow the umask)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.security.conftest import Guard, commit_all
from tests.security.guard import run, write_tree

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {k: v}\n"
TREE = {
    "base/kustomization.yaml": "resources: [cm.yaml]\n",
    "base/cm.yaml": CM % "base",
    "ov/kustomization.yaml": "resources: [../base, own.yaml]\n",
    "ov/own.yaml": CM % "own",
    "docs/README.md": "hand-written\n",
}
RENDERED = {"configmap-base.yaml", "configmap-own.yaml"}


@pytest.fixture()
def tree(space):
    write_tree(space, TREE)
    commit_all(space)
    return space


def built(capsys, *args: str) -> tuple[int, str, str]:
    return run(capsys, "build", *args, "--no-validate")


# -o targets that hold inputs, or the repository: refused, nothing changes.
REFUSED = {
    "./": ("ov", "./"), ".": ("ov", "."), "ov/": ("ov", "ov/"), "ov": ("ov", "ov"),
    "base/": ("ov", "base/"), "parent": ("ov", ".."), "from-overlay-dot": ("ov", "SPACE/ov/."),
    "repository-root-absolute": ("ov", "SPACE/"), "git-dir": ("ov", ".git/"),
    "an-input-file": ("ov", "ov/own.yaml"), "the-overlay-file": ("ov", "ov/kustomization.yaml"),
    "a-base-file": ("ov", "base/cm.yaml"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_outputs_over_inputs_or_the_repository_are_refused(name, tree, capsys):
    overlay, target = REFUSED[name]
    target = target.replace("SPACE", str(tree))
    if name == "git-dir" and not (tree / ".git").exists():
        (tree / ".git").mkdir()
    guard = Guard(tree.parent)
    code, out, err = built(capsys, overlay, "-o", target)
    assert code == 1, err
    assert err.startswith("kcompile: error: ") and "refusing to write" in err, err
    assert {p: c for p, c in guard.changed().items() if not p.startswith("user-cache")} == {}


@pytest.mark.parametrize("many", [False, True])
def test_several_overlays_into_the_repository_root_are_refused(many, tree, capsys):
    write_tree(tree, {"ov2/kustomization.yaml": "resources: [../base]\nnamePrefix: b-\n"})
    guard = Guard(tree)
    code, out, err = built(capsys, "ov", "ov2", "-o", "./" if many else "ov2/")
    assert code == 1 and "refusing to write" in err, err
    assert guard.changed() == {}


def test_a_directory_kcompile_did_not_create_is_written_into(tree, capsys):
    guard = Guard(tree)
    code, out, err = built(capsys, "ov", "-o", "docs/")
    assert code == 0, err
    made = guard.changed()
    assert made == {"docs/configmap-base.yaml": "created", "docs/configmap-own.yaml": "created",
                    "docs/.kcompile-stamp": "created"}
    assert (tree / "docs/README.md").read_text() == "hand-written\n"


def test_stale_removal_touches_only_files_kcompile_wrote(tree, capsys):
    (tree / "docs/configmap-old.yaml").write_text("mine, not kcompile's\n")
    assert built(capsys, "ov", "-o", "docs/")[0] == 0
    # the overlay no longer produces 'own'; a hand-written file appears beside
    (tree / "ov/kustomization.yaml").write_text("resources: [../base]\n")
    (tree / "docs/notes.yaml").write_text("hand: written\n")
    guard = Guard(tree)
    code, out, err = built(capsys, "ov", "-o", "docs/")
    assert code == 0, err
    assert guard.changed() == {"docs/configmap-own.yaml": "removed", "docs/.kcompile-stamp": "changed"}
    assert (tree / "docs/configmap-old.yaml").exists() and (tree / "docs/README.md").exists()


@pytest.mark.parametrize("listed", ["../ov/own.yaml", "../../victim.txt", "/etc/hostname", "README.md",
                                    ".git/config", "sub/../../ov/own.yaml", "x\n../ov/own.yaml"])
def test_a_planted_stamp_cannot_make_kcompile_delete_files(listed, tree, capsys):
    (tree.parent / "victim.txt").write_text("keep\n")
    (tree / "docs/.kcompile-stamp").write_text(
        f"kcompile-stamp 2 {'0' * 40}\n{listed}\t1\t1\nconfigmap-x.yaml\t1\t1\n")
    guard, beside = Guard(tree), Guard(tree.parent / "victim.txt")
    code, out, err = built(capsys, "ov", "-o", "docs/")
    assert code == 0, err
    assert set(guard.changed()) <= {"docs/configmap-base.yaml", "docs/configmap-own.yaml", "docs/.kcompile-stamp"}
    assert (tree.parent / "victim.txt").read_text() == "keep\n"


def test_symlinks_inside_an_output_directory_are_not_written_through(tree, capsys):
    victim = tree.parent / "victim.yaml"
    victim.write_text("keep\n")
    (tree / "out/ns").mkdir(parents=True)
    (tree / "out/configmap-own.yaml").symlink_to(victim)
    write_tree(tree, {"ov/kustomization.yaml": "resources: [../base, own.yaml]\nnamespace: ns\n"})
    os.rmdir(tree / "out/ns")
    (tree / "out/ns").symlink_to(tree.parent)  # a namespace directory leading out of DIR
    code, out, err = built(capsys, "ov", "-o", "out/")
    assert code == 1 and "out/ns" in err and "symlink" in err, err
    assert victim.read_text() == "keep\n"
    assert not (tree.parent / "configmap-own.yaml").exists()
    (tree / "out/ns").unlink()
    code, out, err = built(capsys, "ov", "-o", "out/")
    assert code == 0, err
    assert victim.read_text() == "keep\n"  # the per-object file replaced the link
    assert (tree / "out/ns/configmap-own.yaml").read_text().startswith("apiVersion: v1")


def test_output_file_through_a_symlink_keeps_the_link(tree, capsys):
    real = tree / "elsewhere/real.yaml"
    write_tree(tree, {"elsewhere/real.yaml": "old\n"})
    (tree / "link.yaml").symlink_to("elsewhere/real.yaml")
    code, out, err = built(capsys, "ov", "-o", "link.yaml")
    assert code == 0, err
    assert (tree / "link.yaml").is_symlink() and "name: own" in real.read_text()


@pytest.mark.parametrize("umask,expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_new_output_files_follow_the_umask(umask, expected, tree, capsys):
    old = os.umask(umask)
    try:
        assert built(capsys, "ov", "-o", "new.yaml")[0] == 0
        assert built(capsys, "ov", "-o", "newdir/")[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tree / "new.yaml").st_mode) == expected
    assert stat.S_IMODE(os.stat(tree / "newdir/configmap-own.yaml").st_mode) == expected


def test_an_existing_output_file_keeps_its_mode(tree, capsys):
    target = tree / "out.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    code, out, err = built(capsys, "ov", "-o", "out.yaml")
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and "name: own" in target.read_text()


def test_output_to_dev_null_writes_through(tree, capsys):
    guard = Guard(tree)
    code, out, err = built(capsys, "ov", "-o", "/dev/null")
    assert code == 0, err
    assert guard.changed() == {}
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_to_dev_stdout_writes_through(tree):
    proc = subprocess.run([sys.executable, "-m", "kcompile", "build", "ov", "-o", "/dev/stdout", "--no-validate"],
                          cwd=tree, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "name: own" in proc.stdout and "Traceback" not in proc.stderr


def test_output_to_a_fifo_writes_through(tree, capsys):
    fifo = tree / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    code, out, err = built(capsys, "ov", "-o", "pipe")
    reader.join(30)
    assert code == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced by a file
    assert b"name: own" in got[0]


def test_a_failed_build_writes_nothing_to_any_target(tree, capsys):
    (tree / "ov/kustomization.yaml").write_text("resources: [missing.yaml]\n")
    (tree / "out.yaml").write_text("old\n")
    guard = Guard(tree)
    for target in ("out.yaml", "new.yaml", "docs/", "fresh/"):
        code, out, err = built(capsys, "ov", "-o", target)
        assert code == 1
    assert guard.changed() == {}
