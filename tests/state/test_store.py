"""The SQLite state store on its own: revisions, masking, keys, schema versions, locks."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest

from kcompile.errors import KcompileError
from kcompile.state import default_state_path, open_store
from kcompile.state.masking import DIGEST_PREFIX, has_masked_values, is_digest, keyed_digest, mask_secrets
from kcompile.state.sqlite import APPLICATION_ID, SCHEMA_VERSION, SQLiteStore

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
          "data": {"k": "c2VjcmV0LXZhbHVl"}, "stringData": {"p": "pl41n-text"}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "visible"}}


@pytest.fixture()
def store(tmp_path):
    s = SQLiteStore(tmp_path / "state" / "state.db")
    yield s
    s.close()


def test_nothing_is_created_by_reading(store):
    assert store.latest("env") is None and store.history("env") == [] and store.get("env", 1) is None
    assert not store.path.exists()


def test_revisions_are_numbered_per_environment(store):
    r1 = store.record("a", [CM], user="ann", commit="abc", message="one")
    r2 = store.record("a", [CM, SECRET], user="bob", commit=None, message="two")
    r3 = store.record("b", [CM])
    assert (r1.revision, r2.revision, r3.revision) == (1, 2, 1)
    assert [r.summary() for r in store.history("a")] == [
        {"revision": 1, "time": r1.time, "user": "ann", "commit": "abc", "message": "one"},
        {"revision": 2, "time": r2.time, "user": "bob", "commit": None, "message": "two"}]
    latest = store.latest("a")
    assert latest.revision == 2 and [o["kind"] for o in latest.objects] == ["ConfigMap", "Secret"]
    assert store.get("a", 1).objects == [CM]
    assert [e for e, *_ in store.environments()] == ["a", "b"]
    assert r3.user  # the login name or $KCOMPILE_USER


def test_secret_values_are_stored_as_keyed_digests(store):
    store.record("a", [SECRET])
    obj = store.latest("a").objects[0]
    assert all(is_digest(v) for f in ("data", "stringData") for v in obj[f].values())
    assert has_masked_values(obj) and not has_masked_values(SECRET)
    assert obj["metadata"] == SECRET["metadata"]
    raw = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.is_file())
    assert b"pl41n-text" not in raw and b"c2VjcmV0LXZhbHVl" not in raw and b"secret-value" not in raw
    assert (store.key_path.stat().st_mode & 0o777) == 0o600
    assert len(store.key_path.read_bytes()) == 32
    # the same value under the same key: the same digest, so an unchanged Secret is no change
    assert store.mask([SECRET])[0] == obj
    # a digest is keyed: without the key the value cannot be confirmed by hashing guesses
    import hashlib
    assert hashlib.sha256(b"pl41n-text").hexdigest() not in obj["stringData"]["p"]


def test_masking_is_idempotent_and_leaves_other_objects_alone():
    digest = lambda v: keyed_digest(b"k" * 32, v)  # noqa: E731
    once = mask_secrets([SECRET, CM], digest)
    assert mask_secrets(once, digest) == once
    assert once[1] is CM and SECRET["stringData"]["p"] == "pl41n-text"  # input not modified
    assert once[0]["data"]["k"].startswith(DIGEST_PREFIX)


def test_a_lost_or_foreign_key_is_reported_not_silently_replaced(tmp_path):
    path = tmp_path / "state.db"
    s = SQLiteStore(path)
    s.record("a", [SECRET])
    s.close()
    key = s.key_path.read_bytes()
    s.key_path.unlink()
    with pytest.raises(KcompileError, match="needs the state key of state file .* restore the key file"):
        SQLiteStore(path).mask([SECRET])
    with pytest.raises(KcompileError, match="recording a revision needs the state key"):
        SQLiteStore(path).record("a", [SECRET])
    assert not s.key_path.exists()  # never silently replaced by a new key
    s.key_path.write_bytes(os.urandom(32))
    with pytest.raises(KcompileError, match="does not belong to state"):
        SQLiteStore(path).record("a", [SECRET])
    s.key_path.write_bytes(b"short")
    with pytest.raises(KcompileError, match="damaged"):
        SQLiteStore(path).mask([SECRET])
    s.key_path.write_bytes(key)
    assert SQLiteStore(path).record("a", [SECRET]).revision == 2


def test_schema_version_and_application_id(store):
    store.record("a", [CM])
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


def test_version_1_files_are_migrated_in_place(tmp_path):
    from kcompile.state.sqlite import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for stmt in MIGRATIONS[1]:
        db.execute(stmt)
    db.execute("INSERT INTO revisions VALUES ('a', 1, '2024-01-01T00:00:00Z', 'ann', NULL, 'old')")
    db.execute("INSERT INTO objects VALUES ('a', 1, 0, 'v1', 'ConfigMap', '', 'c', ?)", ('{"kind":"ConfigMap"}',))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    s = SQLiteStore(path)
    assert [r.message for r in s.history("a")] == ["old"]
    assert s.record("a", [CM]).revision == 2
    s.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_newer_foreign_and_damaged_files_are_refused_untouched(tmp_path):
    newer = tmp_path / "newer.db"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = newer.read_bytes()
    with pytest.raises(KcompileError, match="newer than this kcompile supports"):
        SQLiteStore(newer).history("a")
    assert newer.read_bytes() == before

    foreign = tmp_path / "foreign.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE customers (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(KcompileError, match="another program"):
        SQLiteStore(foreign).record("a", [CM])

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(8192))
    with pytest.raises(KcompileError, match="not a readable kcompile state database"):
        SQLiteStore(garbage).latest("a")

    directory = tmp_path / "dir.db"
    directory.mkdir()
    with pytest.raises(KcompileError, match="is a directory"):
        SQLiteStore(directory).latest("a")


def test_damaged_pages_are_a_clear_error(tmp_path):
    path = tmp_path / "state.db"
    s = SQLiteStore(path)
    for i in range(20):
        s.record("a", [{**CM, "data": {"k": "v" * 2000, "i": str(i)}}])
    s.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    raw = bytearray(path.read_bytes())
    raw[4096 * 2: 4096 * 6] = b"\xff" * (4096 * 4)  # overwrite some pages after the header
    path.write_bytes(bytes(raw))
    with pytest.raises(KcompileError, match=r"state file .*(damaged|not a readable)"):
        s = SQLiteStore(path)
        for r in range(1, 21):
            s.get("a", r)


def test_lock_times_out_with_a_clear_message_and_is_reentrant(tmp_path):
    path = tmp_path / "state.db"
    holder, other = SQLiteStore(path), SQLiteStore(path)
    with holder.lock("prod", 1):
        with holder.lock("prod", 0):  # the same store may take it again (record inside apply)
            pass
        start = time.monotonic()
        with pytest.raises(KcompileError, match="another apply to environment 'prod' is in progress"):
            other.record("prod", [CM], lock_timeout=0.2)
        assert time.monotonic() - start >= 0.2
        with other.lock("staging", 0):  # other environments are not blocked
            pass
        assert holder.record("prod", [CM]).revision == 1


def test_a_waiting_writer_gets_the_lock_when_it_is_released(tmp_path):
    path = tmp_path / "state.db"
    holder = SQLiteStore(path)
    results = []
    with holder.lock("prod", 1):
        t = threading.Thread(target=lambda: results.append(SQLiteStore(path).record("prod", [CM], lock_timeout=30)))
        t.start()
        time.sleep(0.3)
        assert results == []  # still waiting
        holder.record("prod", [CM], message="holder")
    t.join(30)
    assert [r.revision for r in results] == [2]


def test_default_state_path(tmp_path, monkeypatch):
    monkeypatch.delenv("KCOMPILE_STATE", raising=False)
    assert default_state_path(tmp_path) == tmp_path / ".kcompile" / "state.db"
    monkeypatch.setenv("KCOMPILE_STATE", str(tmp_path / "x.db"))
    assert default_state_path(tmp_path) == tmp_path / "x.db"
    assert isinstance(open_store(tmp_path / "y.db"), SQLiteStore)


def test_concurrent_first_key_creation_gives_one_key(tmp_path):
    path = tmp_path / "state.db"
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(SQLiteStore(path)._secret_key())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and keys[0] == SQLiteStore(path).key_path.read_bytes()
    assert not list(tmp_path.glob("*.tmp"))


def test_a_rotation_stopped_before_its_key_file_was_renamed_is_finished(tmp_path, monkeypatch):
    monkeypatch.delenv("KCOMPILE_STATE_KEY", raising=False)
    path = tmp_path / "state.db"
    s = SQLiteStore(path)
    s.record("a", [SECRET])
    old = s.key_path.read_bytes()
    assert s.rotate_key() == 2
    s.close()
    new = s.key_path.read_bytes()
    # as if stopped after the commit, before the rename: the old key file, the new one beside it
    s.key_path.write_bytes(old)
    pending = s.key_path.with_name(s.key_path.name + ".new")
    pending.write_bytes(new)
    again = SQLiteStore(path)
    objects, legacy = again.restore("a", again.latest("a"))
    assert objects == [SECRET] and legacy == []
    assert s.key_path.read_bytes() == new and not pending.exists()


def test_values_moved_to_another_secret_do_not_decrypt(tmp_path, monkeypatch):
    """The associated data binds each ciphertext to its environment, object and key."""
    monkeypatch.delenv("KCOMPILE_STATE_KEY", raising=False)
    path = tmp_path / "state.db"
    s = SQLiteStore(path)
    other = {**SECRET, "metadata": {"name": "other"}}
    s.record("a", [SECRET, other])
    s.close()
    db = sqlite3.connect(path)
    rows = db.execute("SELECT seq, field, item, value FROM secret_values ORDER BY seq").fetchall()
    first = {(f, i): v for q, f, i, v in rows if q == 0}
    for q, f, i, _ in rows:
        if q == 1:
            db.execute("UPDATE secret_values SET value = ? WHERE seq = 1 AND field = ? AND item = ?",
                       (first[(f, i)], f, i))
    db.commit()
    db.close()
    s = SQLiteStore(path)
    with pytest.raises(KcompileError, match="does not decrypt under the state key"):
        s.restore("a", s.latest("a"))


def test_a_schema_2_store_with_digest_only_revisions_is_migrated_and_kept(tmp_path, monkeypatch):
    """A store written before values were kept: its revisions read as before, and say that
    their Secrets hold digests only; new revisions keep their values."""
    monkeypatch.delenv("KCOMPILE_STATE_KEY", raising=False)
    from kcompile.state.crypto import fingerprint
    from kcompile.state.sqlite import MIGRATIONS

    path = tmp_path / "old.db"
    key = os.urandom(32)
    (tmp_path / "old.db.key").write_bytes(key)
    db = sqlite3.connect(path)
    for v in (1, 2):
        for stmt in MIGRATIONS[v]:
            db.execute(stmt)
    masked = mask_secrets([SECRET], lambda v: keyed_digest(key, v))[0]
    import json

    db.execute("INSERT INTO revisions VALUES ('a', 1, '2025-01-01T00:00:00Z', 'ann', NULL, 'old')")
    db.execute("INSERT INTO objects VALUES ('a', 1, 0, 'v1', 'Secret', '', 's', ?)", (json.dumps(masked),))
    db.execute("INSERT INTO meta VALUES ('key_fingerprint', ?)", (fingerprint(key),))
    db.execute("PRAGMA user_version = 2")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.commit()
    db.close()
    s = SQLiteStore(path)
    objects, legacy = s.restore("a", s.get("a", 1))
    assert objects == [masked] and legacy == [0]
    assert s.mask([SECRET]) == [masked]  # the old digests still compare
    assert s.record("a", [SECRET]).revision == 2
    objects, legacy = s.restore("a", s.get("a", 2))
    assert objects == [SECRET] and legacy == []
    s.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_key_in_the_environment_that_is_not_a_key(tmp_path, monkeypatch):
    for bad in ("short", "x" * 64, "!" * 44):
        monkeypatch.setenv("KCOMPILE_STATE_KEY", bad)
        with pytest.raises(KcompileError, match=r"\$KCOMPILE_STATE_KEY is not a state key") as e:
            SQLiteStore(tmp_path / "s.db").record("a", [SECRET])
        assert bad not in e.value.message  # never echoed: the message names the variable only
    import base64

    monkeypatch.setenv("KCOMPILE_STATE_KEY", os.urandom(32).hex())
    assert SQLiteStore(tmp_path / "s.db").record("a", [SECRET]).revision == 1
    monkeypatch.setenv("KCOMPILE_STATE_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))
    with pytest.raises(KcompileError, match="does not belong"):
        SQLiteStore(tmp_path / "s.db").record("a", [SECRET])


def test_nothing_the_store_writes_is_readable_by_others(tmp_path, monkeypatch):
    monkeypatch.delenv("KCOMPILE_STATE_KEY", raising=False)
    old = os.umask(0o022)
    try:
        s = SQLiteStore(tmp_path / "new" / "state.db")
        s.record("a", [SECRET])
        modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "new").iterdir()}
        s.close()
    finally:
        os.umask(old)
    assert modes["state.db"] == 0o600 and modes["state.db.key"] == 0o600
    assert all(m & 0o077 == 0 for m in modes.values()), modes  # the WAL, its index, the lock directory too
    assert (tmp_path / "new").stat().st_mode & 0o077 == 0
