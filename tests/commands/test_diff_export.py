"""`kcompile diff --base-ref`: the exported revision is removed on every way out, and
messages name the repository's paths, never the export's.

Each test builds a small git repository of its own, points TMPDIR at a directory the test
owns (where the export goes) and checks it is as empty after the run as before."""

from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from kcompile.cli import main
from tests.errors.clirun import tree_digest, write_tree

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    """A repository whose HEAD has overlay ``ov`` (and ``ov2``); TMPDIR is ``tmp_path/tmp``."""
    root = tmp_path / "repo"
    write_tree(root, {"ov/kcompile.yaml": "resources: [d.yaml]\n", "ov/d.yaml": CM,
                      "ov2/kcompile.yaml": "resources: [d.yaml]\nnamePrefix: p-\n", "ov2/d.yaml": CM})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    exports = tmp_path / "tmp"
    exports.mkdir()
    monkeypatch.setenv("TMPDIR", str(exports))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    monkeypatch.chdir(root)
    return root


def commit(root: Path, files: dict[str, str]) -> None:
    write_tree(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "change")


def diff(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def exports_left(repo: Path) -> list[str]:
    return os.listdir(repo.parent / "tmp")


def test_removed_after_a_successful_run(repo, capsys):
    seen = []
    real = tarfile.TarFile.extractall

    def spy(self, path, *args, **kwargs):
        seen.append(path)
        return real(self, path, *args, **kwargs)

    (repo / "ov/d.yaml").write_text(CM.replace("k: v", "k: w"))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(tarfile.TarFile, "extractall", spy)
        code, out, err = diff(capsys, "ov", "--base-ref", "HEAD", "--detailed-exitcode")
    assert code == 2 and "update" in out, err
    assert seen and str(seen[0]).startswith(str(repo.parent / "tmp"))  # the export went where TMPDIR says
    assert exports_left(repo) == []


def test_removed_after_an_error_at_the_revision_which_names_the_repository_file(repo, capsys):
    commit(repo, {"ov/kcompile.yaml": "resources: [d.yaml]\nnamePrefixx: a-\n"})
    (repo / "ov/kcompile.yaml").write_text("resources: [d.yaml]\n")
    before = tree_digest(repo)
    code, out, err = diff(capsys, "ov", "--base-ref", "HEAD")
    assert code == 1 and out == ""
    assert err.startswith("kcompile: error: ov/kcompile.yaml:2: unknown field 'namePrefixx'"), err
    assert err.rstrip().endswith("(at HEAD)") and "kcompile-ref-" not in err
    assert exports_left(repo) == [] and tree_digest(repo) == before


def test_paths_in_a_message_are_the_repository_paths_as_shown_from_the_working_directory(repo, capsys,
                                                                                         monkeypatch):
    commit(repo, {"ov/kcompile.yaml": "resources: [gone.yaml]\n"})
    (repo / "ov/kcompile.yaml").write_text("resources: [d.yaml]\n")
    monkeypatch.chdir(repo / "ov")
    code, _, err = diff(capsys, ".", "--base-ref", "HEAD")
    assert code == 1
    assert err.startswith("kcompile: error: kcompile.yaml:1: resource 'gone.yaml' not found (gone.yaml)"), err
    assert str(repo.parent / "tmp") not in err and "kcompile-ref-" not in err
    assert exports_left(repo) == []


def test_warnings_at_the_revision_name_the_repository_file(repo, capsys):
    commit(repo, {"ov/kcompile.yaml": "resources: [d.yaml]\npatches:\n- target: {kind: Nope}\n  patch: '[]'\n"})
    code, _, err = diff(capsys, "ov", "--base-ref", "HEAD")
    assert code == 0, err
    base, work = [ln for ln in err.splitlines() if "warning" in ln]
    assert base == work + " (at HEAD)"
    assert base.startswith("kcompile: warning: ov/kcompile.yaml:4: patch target matches no object"), base
    assert "kcompile-ref-" not in err


def test_removed_when_a_forked_worker_fails(repo, capsys):
    commit(repo, {"ov2/kcompile.yaml": "resources: [d.yaml]\nnamePrefix: [a]\n"})
    (repo / "ov2/kcompile.yaml").write_text("resources: [d.yaml]\n")
    code, _, err = diff(capsys, "ov", "ov2", "--base-ref", "HEAD", "-j", "2")
    assert code == 1
    assert "kcompile: error: ov2/kcompile.yaml:2: 'namePrefix' must be a string" in err, err
    assert "kcompile-ref-" not in err and exports_left(repo) == []


def test_removed_after_an_unexpected_exception(repo, capsys, monkeypatch):
    import kcompile.plan

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(kcompile.plan, "compute_plan", broken)
    code, _, err = diff(capsys, "ov", "--base-ref", "HEAD", "-j", "1")
    assert code == 1 and "internal error (RuntimeError)" in err and "Traceback" not in err
    assert exports_left(repo) == []


@pytest.mark.parametrize("where", ["while building", "while exporting"])
def test_removed_after_an_interrupt(repo, capsys, monkeypatch, where):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if where == "while building":
        import kcompile.plan

        monkeypatch.setattr(kcompile.plan, "compute_plan", interrupt)
    else:
        monkeypatch.setattr(tarfile.TarFile, "extractall", interrupt)
    code, _, err = diff(capsys, "ov", "--base-ref", "HEAD", "-j", "1")
    assert code == 130 and "kcompile: interrupted" in err
    assert exports_left(repo) == []


@pytest.mark.parametrize("target, shown", [
    ("/etc/hostname", "a symlink to an absolute path (/etc/hostname)"),
    ("../../outside", "a symlink leading out of the repository (../../outside)"),
])
def test_a_symlink_the_export_cannot_write_is_named_by_its_repository_path(repo, capsys, target, shown):
    os.symlink(target, repo / "ov/link")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    before = tree_digest(repo)
    code, out, err = diff(capsys, "ov", "--base-ref", "HEAD")
    assert code == 1 and out == ""
    assert err.startswith(f"kcompile: error: ov/link: {shown} at HEAD"), err
    assert "Traceback" not in err and "internal error" not in err
    assert exports_left(repo) == [] and tree_digest(repo) == before


def test_output_dir_naming_a_file_is_refused_before_anything_is_built(repo, capsys, monkeypatch):
    (repo / "report").write_text("mine\n")
    import kcompile.load.gitref

    def never(*args, **kwargs):
        raise AssertionError("exported before the output directory was checked")

    monkeypatch.setattr(kcompile.load.gitref.Snapshot, "__enter__", never)
    code, out, err = diff(capsys, "ov", "--base-ref", "HEAD", "--output-dir", "report")
    assert code == 1 and out == ""
    assert err == "kcompile: error: --output-dir report exists and is not a directory\n"
    assert (repo / "report").read_text() == "mine\n"


def test_output_dir_below_a_file_says_what_cannot_be_written(repo, capsys):
    (repo / "report").write_text("mine\n")
    code, _, err = diff(capsys, "ov", "--base-ref", "HEAD", "--output-dir", "report/sub")
    assert code == 1
    assert err.startswith("kcompile: error: --output-dir: cannot write report/sub: Not a directory"), err
    assert (repo / "report").read_text() == "mine\n" and exports_left(repo) == []


def test_an_overlay_field_of_another_shape_at_the_revision_is_the_builds_error(repo, capsys):
    """Found by the fuzz property: following the overlay files at REF met a number where
    a list of paths goes, and crashed before anything was built."""
    commit(repo, {"ov/kcompile.yaml": "resources: 5\n"})
    (repo / "ov/kcompile.yaml").write_text("resources: [d.yaml]\n")
    code, _, err = diff(capsys, "ov", "--base-ref", "HEAD")
    assert code == 1
    assert err.startswith("kcompile: error: ov/kcompile.yaml:1: 'resources' must be a list, found a scalar"), err
    assert err.rstrip().endswith("(at HEAD)") and exports_left(repo) == []
