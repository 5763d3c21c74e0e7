"""`kcompile history` through the CLI in a real git repository: the whole commit id of
each revision (``-dirty`` when the work tree had changes) and rollback revisions marked."""

from __future__ import annotations

import json
import re
import subprocess

from kcompile.cli import main

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG: %s}\n"


def git(cwd, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_history_shows_whole_commits_dirty_trees_and_rollbacks(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KCOMPILE_STATE", raising=False)
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / ".gitignore").write_text(".kcompile/\n")
    ov = tmp_path / "env"
    ov.mkdir()
    (ov / "kcompile.yaml").write_text("resources: [cm.yaml]\n")
    (ov / "cm.yaml").write_text(CM % "info")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    head = git(tmp_path, "rev-parse", "HEAD")

    assert main(["apply", "env", "-m", "first"]) == 0
    (ov / "cm.yaml").write_text(CM % "debug")  # uncommitted: the work tree is dirty
    assert main(["apply", "env"]) == 0
    assert main(["rollback", "env", "--to-revision", "1", "-m", "bad debug"]) == 0
    capsys.readouterr()

    assert main(["history", "env", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["commit"], r["rollback_to"]) for r in rows] == [
        (head, None), (f"{head}-dirty", None), (f"{head}-dirty", 1)]
    assert rows[2]["message"] == "rollback to revision 1: bad debug"

    assert main(["history", "env"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.split(r"\s{2,}|\s(?=\S)", lines[0])[:5] == ["REVISION", "TIME", "USER", "ACTION", "COMMIT"]
    assert f" {head} " in lines[1] and " apply " in lines[1] and lines[1].endswith("first")
    assert lines[2].endswith(f" {head}-dirty")  # no message
    assert " rollback to 1 " in lines[3] and f" {head}-dirty " in lines[3]
