"""The state store through the CLI on both backends (SQLite file, PostgreSQL server):
encrypted Secret values that rollback restores exactly, no value at rest in plain text
or base64, the key's absence, rotation, export/import/migrate, list/show."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from pathlib import Path

import pytest
import yaml

from kcompile.cli import main

PASSWORD_1 = "hunter2-Fjord-first"
PASSWORD_2 = "correct-Horse-second"
API_KEY = "plain-api-key-Quartz"  # given base64-encoded in data:
PLAIN_VALUES = [PASSWORD_1, PASSWORD_2, API_KEY]


def secret(password: str, api_key: str = API_KEY) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "type": "Opaque",
            "stringData": {"password": password},
            "data": {"api-key": base64.b64encode(api_key.encode()).decode()}}


def deployment(image: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": image,
                                                           "envFrom": [{"secretRef": {"name": "creds"}}]}]}}}}


class Project:
    """A repository with one overlay (env/dev) whose objects a test rewrites, run against
    one state store."""

    def __init__(self, root: Path, state: str) -> None:
        self.root = root
        self.state = state
        (root / ".git").mkdir(parents=True, exist_ok=True)
        self.ov = root / "env" / "dev"
        self.ov.mkdir(parents=True, exist_ok=True)

    @property
    def is_sqlite(self) -> bool:
        return not self.state.startswith("postgresql://")

    @property
    def key_path(self) -> Path:
        return Path(self.state + ".key") if self.is_sqlite else self.root / ".kcompile" / "state.key"

    def write(self, *objects: dict) -> None:
        (self.ov / "objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
        (self.ov / "kcompile.yaml").write_text("resources: [objects.yaml]\nnamespace: dev\n")

    def run(self, capsys, command: str, *args: str, overlay: bool = True) -> tuple[int, str, str]:
        state = ["--state", self.state] if command != "build" else []
        argv = [command, *([str(self.ov)] if overlay else []), *state, *args]
        old = os.getcwd()
        os.chdir(self.root)
        try:
            code = main(argv)
        finally:
            os.chdir(old)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def ok(self, capsys, command: str, *args: str, overlay: bool = True) -> str:
        code, out, err = self.run(capsys, command, *args, overlay=overlay)
        assert code == 0, err
        return out

    def state_cmd(self, capsys, *args: str) -> tuple[int, str, str]:
        old = os.getcwd()
        os.chdir(self.root)
        try:
            code = main(["state", args[0], "--state", self.state, *args[1:]])
        finally:
            os.chdir(old)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def secret_of(self, manifests: str) -> dict:
        return next(o for o in yaml.safe_load_all(manifests) if o and o["kind"] == "Secret")


@pytest.fixture()
def project(tmp_path, state_spec, monkeypatch) -> Project:
    monkeypatch.delenv("KCOMPILE_STATE", raising=False)
    monkeypatch.delenv("KCOMPILE_STATE_KEY", raising=False)
    monkeypatch.delenv("KCOMPILE_STATE_NEW_KEY", raising=False)
    return Project(tmp_path / "repo", state_spec)


def _two_revisions(p: Project, capsys) -> dict:
    """Revision 1 (password 1, app:1), revision 2 (password 2, app:2); the built Secret of
    revision 1."""
    p.write(deployment("app:1"), secret(PASSWORD_1))
    first = p.secret_of(p.ok(capsys, "build"))
    p.ok(capsys, "apply", "-m", "one")
    p.write(deployment("app:2"), secret(PASSWORD_2))
    p.ok(capsys, "apply", "-m", "two")
    return first


def test_rollback_restores_the_secret_exactly(project, capsys):
    first = _two_revisions(project, capsys)
    plan = json.loads(project.ok(capsys, "plan", "--format", "json"))
    assert plan["base_revision"] == 2 and plan["summary"]["update"] == 0  # nothing changed since
    out = project.ok(capsys, "rollback", "--to-revision", "1")
    assert project.secret_of(out) == first
    hist = json.loads(project.ok(capsys, "history", "--format", "json"))
    assert [h["revision"] for h in hist] == [1, 2, 3] and hist[-1]["message"] == "rollback to revision 1"
    # revision 3 holds revision 1's Secret: the working tree (password 2, app:2) differs from it
    plan = json.loads(project.ok(capsys, "plan", "--format", "json"))
    changes = {f"{c['kind']}/{c['name']}": c for c in plan["changes"]}
    assert {f["path"]: (f["before"], f["after"]) for f in changes["Deployment/web"]["fields"]} == {
        "spec.template.spec.containers[name=web].image": ("app:1", "app:2")}
    assert changes["Secret/creds"]["fields"] == [
        {"path": "stringData.password", "before": "(sensitive value changed)", "after": "(sensitive value changed)"}] \
        or all(PASSWORD_1 not in json.dumps(f) for f in changes["Secret/creds"]["fields"])
    # and rolling back to revision 2 gives the second password back, without building
    (project.ov / "kcompile.yaml").write_text("resources: [missing.yaml]\n")
    out = project.ok(capsys, "rollback", "--to-revision", "2")
    assert project.secret_of(out)["stringData"] == {"password": PASSWORD_2}


def _at_rest(project: Project) -> bytes:
    """Every byte the store keeps: the SQLite file with its WAL and index, or every text
    column of every kcompile table in PostgreSQL."""
    if project.is_sqlite:
        files = sorted(Path(project.state).parent.glob(Path(project.state).name + "*"))
        assert any(f.name.endswith("-wal") for f in files)  # the WAL is checked too
        return b"".join(f.read_bytes() for f in files if f.is_file() and not f.name.endswith(".key"))
    import psycopg

    chunks = []
    with psycopg.connect(project.state) as c:
        cols = c.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                         "'kcompile' AND data_type IN ('text', 'character varying', 'bytea', 'jsonb', 'json')"
                         ).fetchall()
        assert {t for t, _ in cols} >= {"revisions", "objects", "secret_values", "meta"}
        for table, column in cols:
            for (v,) in c.execute(f'SELECT "{column}" FROM kcompile."{table}"').fetchall():
                chunks.append(v if isinstance(v, bytes) else str(v).encode())
    return b"\n".join(chunks)


def test_no_plain_or_base64_secret_value_at_rest(project, capsys):
    holder = None
    if project.is_sqlite:  # a reader holding the database open keeps the WAL from being folded in
        Path(project.state).parent.mkdir(parents=True, exist_ok=True)
        project.write(deployment("app:0"))
        project.ok(capsys, "apply")
        holder = sqlite3.connect(project.state)
        holder.execute("SELECT count(*) FROM revisions").fetchone()
    try:
        _two_revisions(project, capsys)
        project.ok(capsys, "rollback", "--to-revision", "2" if holder is None else "3")
        raw = _at_rest(project)
    finally:
        if holder is not None:
            holder.close()
    assert b"kcompile-digest:" in raw  # the store was read
    for value in PLAIN_VALUES:
        for form in (value.encode(), base64.b64encode(value.encode()), base64.b64encode(value.encode()).rstrip(b"=")):
            assert form not in raw, form


def test_without_the_key_plan_and_history_work_and_rollback_says_it_needs_it(project, capsys, monkeypatch):
    _two_revisions(project, capsys)
    key = project.key_path.read_bytes()
    project.key_path.unlink()
    code, out, err = project.run(capsys, "plan", "--format", "json")
    assert code == 0 and "state key is not here" in err
    assert json.loads(out)["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0}
    assert len(json.loads(project.ok(capsys, "history", "--format", "json"))) == 2
    for extra in ([], ["--dry-run", "--format", "yaml"]):
        code, out, err = project.run(capsys, "rollback", "--to-revision", "1", *extra)
        assert code == 1 and "needs the state key" in err and "KCOMPILE_STATE_KEY" in err, err
        assert PASSWORD_1 not in out + err
    code, _, err = project.run(capsys, "apply")
    assert code == 1 and "needs the state key" in err
    assert not project.key_path.exists()  # a missing key is never replaced by a new one
    assert len(json.loads(project.ok(capsys, "history", "--format", "json"))) == 2
    # the key given the CI way
    monkeypatch.setenv("KCOMPILE_STATE_KEY", base64.b64encode(key).decode())
    out = project.ok(capsys, "rollback", "--to-revision", "1")
    assert project.secret_of(out)["stringData"] == {"password": PASSWORD_1}
    monkeypatch.setenv("KCOMPILE_STATE_KEY", base64.b64encode(os.urandom(32)).decode())
    code, _, err = project.run(capsys, "plan")
    assert code == 1 and "does not belong to" in err


def test_key_rotation_keeps_every_revision_restorable(project, capsys):
    builds = {}
    for i, password in enumerate(["pw-one-Alpha", "pw-two-Bravo", "pw-three-Charlie"], start=1):
        project.write(deployment(f"app:{i}"), secret(password, api_key=f"key-{i}-Delta"))
        builds[i] = project.secret_of(project.ok(capsys, "build"))
        project.ok(capsys, "apply")
    old_key = project.key_path.read_bytes()
    code, _, err = project.state_cmd(capsys, "rotate-key")
    assert code == 0 and "re-encrypted 6 Secret value(s)" in err, err
    assert project.key_path.read_bytes() != old_key and (project.key_path.stat().st_mode & 0o777) == 0o600
    assert not project.key_path.with_name(project.key_path.name + ".new").exists()
    for i in builds:
        out = project.ok(capsys, "rollback", "--to-revision", str(i))
        assert project.secret_of(out) == builds[i]
    plan = json.loads(project.ok(capsys, "plan", "--format", "json"))
    assert plan["summary"]["update"] == 0  # digests were re-made under the new key
    project.key_path.write_bytes(old_key)
    code, _, err = project.run(capsys, "plan")
    assert code == 1 and "does not belong to" in err


def test_key_rotation_with_the_key_in_the_environment(project, capsys, monkeypatch):
    key = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("KCOMPILE_STATE_KEY", key)
    first = _two_revisions(project, capsys)
    assert not project.key_path.exists()  # the key given is used, none is written
    code, _, err = project.state_cmd(capsys, "rotate-key")
    assert code == 1 and "KCOMPILE_STATE_NEW_KEY" in err
    new = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("KCOMPILE_STATE_NEW_KEY", new)
    code, _, err = project.state_cmd(capsys, "rotate-key")
    assert code == 0, err
    code, _, err = project.run(capsys, "plan")
    assert code == 1 and "does not belong to" in err  # the old key no longer opens it
    monkeypatch.setenv("KCOMPILE_STATE_KEY", new)
    assert project.secret_of(project.ok(capsys, "rollback", "--to-revision", "1")) == first


def test_list_show_export_import(project, capsys, tmp_path):
    _two_revisions(project, capsys)
    code, out, _ = project.state_cmd(capsys, "list", "--format", "json")
    assert code == 0 and [(e["environment"], e["revisions"], e["latest_revision"]) for e in json.loads(out)] == [
        ("env/dev", 2, 2)]
    code, out, _ = project.state_cmd(capsys, "list")
    assert code == 0 and "env/dev" in out
    code, out, _ = project.state_cmd(capsys, "show", "env/dev", "1")
    assert code == 0 and "image: app:1" in out and "kcompile-digest:" in out and PASSWORD_1 not in out
    code, out, _ = project.state_cmd(capsys, "show", "env/dev", "--format", "json")
    assert code == 0 and json.loads(out)["revision"] == 2
    code, _, err = project.state_cmd(capsys, "show", "env/dev", "7")
    assert code == 1 and "no revision 7" in err and "1..2" in err
    export = tmp_path / "export.json"
    code, _, err = project.state_cmd(capsys, "export", "-o", str(export))
    assert code == 0, err
    text = export.read_text()
    assert all(v not in text and base64.b64encode(v.encode()).decode() not in text for v in PLAIN_VALUES)
    # into a new SQLite store with the same key: everything as it was
    other = tmp_path / "other" / "state.db"
    other.parent.mkdir()
    (other.parent / "state.db.key").write_bytes(project.key_path.read_bytes())
    code, _, err = project.state_cmd(capsys, "import", str(export), "--state", str(other))
    assert code == 0 and "imported 2 revision(s)" in err, err
    code, out, _ = project.state_cmd(capsys, "export", "--state", str(other))
    assert json.loads(out) == json.loads(text)
    # importing again: refused, nothing changed
    code, _, err = project.state_cmd(capsys, "import", str(export), "--state", str(other))
    assert code == 1 and "already has environment(s) 'env/dev'" in err
    # an export that is not one
    bad = tmp_path / "bad.json"
    for content, message in [("{}", "not a kcompile state export"), ("[1", "not JSON"),
                             (json.dumps({**json.loads(text), "revisions": [{"env": 1}]}), "revisions[0].env")]:
        bad.write_text(content)
        code, _, err = project.state_cmd(capsys, "import", str(bad), "--state", str(tmp_path / "x.db"))
        assert code == 1 and message in err, err
    assert not (tmp_path / "x.db").exists()


def test_import_refuses_an_export_made_under_another_key(project, capsys, tmp_path):
    _two_revisions(project, capsys)
    code, out, _ = project.state_cmd(capsys, "export")
    (tmp_path / "e.json").write_text(out)
    other = tmp_path / "o.db"
    main(["apply", str(project.ov), "--state", str(other), "--env", "elsewhere"])
    capsys.readouterr()
    code, _, err = project.state_cmd(capsys, "import", str(tmp_path / "e.json"), "--state", str(other))
    assert code == 1 and "another state key" in err


def _rows(path: Path) -> dict:
    db = sqlite3.connect(path)
    try:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall())
                for t in ("revisions", "objects", "secret_values", "meta")}
    finally:
        db.close()


def test_migrate_sqlite_to_postgresql_and_back_keeps_every_byte(tmp_path, pg_url, capsys, monkeypatch):
    monkeypatch.delenv("KCOMPILE_STATE_KEY", raising=False)
    first = Project(tmp_path / "repo", str(tmp_path / "a" / "state.db"))
    builds = _two_revisions(first, capsys)
    main(["apply", str(first.ov), "--state", first.state, "--env", "prod"])
    capsys.readouterr()
    code, _, err = first.state_cmd(capsys, "migrate", "--to", pg_url)
    assert code == 0 and "migrated 3 revision(s) of 2 environment(s)" in err, err
    assert first.key_path.read_bytes() == (first.root / ".kcompile" / "state.key").read_bytes()
    on_pg = Project(first.root, pg_url)
    back = tmp_path / "b" / "state.db"
    code, _, err = on_pg.state_cmd(capsys, "migrate", "--to", str(back))
    assert code == 0, err
    assert _rows(back) == _rows(Path(first.state))  # every revision, object and ciphertext, byte for byte
    # migrating onto a store that has the environments is refused, nothing changed
    code, _, err = first.state_cmd(capsys, "migrate", "--to", pg_url)
    assert code == 1 and "already has environment(s)" in err
    for p in (on_pg, Project(first.root, str(back))):  # and the Secrets come back from either
        assert p.secret_of(p.ok(capsys, "rollback", "--to-revision", "1")) == builds


def test_state_url_from_the_environment(tmp_path, pg_url, capsys, monkeypatch):
    monkeypatch.setenv("KCOMPILE_STATE", pg_url)
    p = Project(tmp_path / "repo", pg_url)
    p.write(deployment("app:1"))
    old = os.getcwd()
    os.chdir(p.root)
    try:
        assert main(["apply", "env/dev"]) == 0
        assert main(["history", "env/dev", "--format", "json"]) == 0
    finally:
        os.chdir(old)
    out = capsys.readouterr().out
    assert json.loads(out[out.index("["):])[0]["revision"] == 1
    assert not (p.root / ".kcompile" / "state.db").exists()


def test_unreachable_server_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = Project(tmp_path / "repo", f"postgresql://kc:s3cr3t-pw@127.0.0.1:{port}/db")
    p.write(deployment("app:1"))
    for cmd in ("plan", "apply", "history"):
        code, _, err = p.run(capsys, cmd)
        assert code == 1 and "cannot connect" in err and "127.0.0.1" in err, err
        assert "s3cr3t-pw" not in err  # a password in the URL is never shown


def test_postgresql_schema_reads_create_nothing_newer_and_foreign_are_refused(tmp_path, pg_server, capsys,
                                                                              monkeypatch):
    import psycopg

    monkeypatch.delenv("KCOMPILE_STATE_KEY", raising=False)
    url = pg_server.new_database()
    p = Project(tmp_path / "repo", url)
    p.write(deployment("app:1"))
    assert "nothing applied yet" in p.ok(capsys, "history")
    p.ok(capsys, "plan")
    with psycopg.connect(url) as c:
        assert c.execute("SELECT to_regnamespace('kcompile')").fetchone()[0] is None  # reading created nothing
    assert not p.key_path.exists()
    p.ok(capsys, "apply")
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("UPDATE kcompile.meta SET value = '99' WHERE name = 'schema_version'")
    code, _, err = p.run(capsys, "plan")
    assert code == 1 and "schema version 99, newer than this kcompile supports" in err
    other = pg_server.new_database()
    with psycopg.connect(other, autocommit=True) as c:
        c.execute("CREATE SCHEMA kcompile")
        c.execute("CREATE TABLE kcompile.revisions (id int)")
    code, _, err = Project(tmp_path / "repo", other).run(capsys, "apply")
    assert code == 1 and "holds tables of another program" in err
