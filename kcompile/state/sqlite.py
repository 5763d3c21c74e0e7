"""SQLite implementation of the state store.

Layout: ``PRAGMA user_version`` is the schema version (migrations run forward; a newer
version than this kcompile knows is refused). Writes are single transactions, so a
process killed mid-apply leaves the previous revision intact. Applies to one environment
are serialized by an exclusive lock file (``<db>.locks/<env>.lock``, fcntl) taken with a
timeout, so concurrent applies never interleave; SQLite's own locking covers the rest.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..errors import KcompileError
from . import Revision

SCHEMA_VERSION = 1
MIGRATIONS = {
    1: [
        """CREATE TABLE revisions (
            env TEXT NOT NULL, revision INTEGER NOT NULL, time TEXT NOT NULL, user TEXT NOT NULL,
            git_commit TEXT, message TEXT NOT NULL DEFAULT '', PRIMARY KEY (env, revision))""",
        """CREATE TABLE objects (
            env TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL,
            api_version TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
            body TEXT NOT NULL, PRIMARY KEY (env, revision, seq))""",
    ],
}
DIGEST_PREFIX = "kcompile-digest:"
SENSITIVE_KINDS = {"Secret"}
SENSITIVE_FIELDS = ("data", "stringData")


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.key_path = self.path.with_name(self.path.name + ".key")
        self.lock_dir = self.path.with_name(self.path.name + ".locks")
        self._key: bytes | None = None
        self._db: sqlite3.Connection | None = None

    # -- connection and schema -----------------------------------------------------------
    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if self._db is not None:
            return self._db
        if not self.path.exists() and not create:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise KcompileError(f"state file {self.path} is not a readable kcompile state database ({e}); "
                                "restore it from a backup or move it away to start over", self.path) from None
        if version > SCHEMA_VERSION:
            db.close()
            raise KcompileError(
                f"state file {self.path} has schema version {version}, newer than this kcompile supports "
                f"({SCHEMA_VERSION}); upgrade kcompile", self.path)
        if version < SCHEMA_VERSION:
            try:
                db.execute("BEGIN IMMEDIATE")
                current = db.execute("PRAGMA user_version").fetchone()[0]
                for v in range(current + 1, SCHEMA_VERSION + 1):
                    for stmt in MIGRATIONS[v]:
                        db.execute(stmt)
                    db.execute(f"PRAGMA user_version = {v}")
                db.execute("COMMIT")
            except sqlite3.DatabaseError as e:
                db.close()
                raise KcompileError(f"cannot initialise state file {self.path}: {e}", self.path) from None
        self._db = db
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- secrets ------------------------------------------------------------------------------
    def _secret_key(self) -> bytes:
        if self._key is not None:
            return self._key
        try:
            self._key = self.key_path.read_bytes()
        except FileNotFoundError:
            self.key_path.parent.mkdir(parents=True, exist_ok=True)
            key = os.urandom(32)
            fd = os.open(str(self.key_path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, key)
            finally:
                os.close(fd)
            self._key = key
        except FileExistsError:  # pragma: no cover - raced with another process
            self._key = self.key_path.read_bytes()
        return self._key

    def digest(self, value: object) -> str:
        return keyed_digest(self._secret_key(), value)

    def mask(self, objects: list[dict]) -> list[dict]:
        """Copies of ``objects`` with every Secret value replaced by its keyed digest."""
        return mask_secrets(objects, self.digest)

    # -- reading -------------------------------------------------------------------------------
    def _row_to_revision(self, env: str, row: tuple, with_objects: bool) -> Revision:
        rev = Revision(row[0], row[1], row[2], row[3], row[4])
        if with_objects:
            db = self._connect(False)
            assert db is not None
            rev.objects = [json.loads(b) for (b,) in db.execute(
                "SELECT body FROM objects WHERE env = ? AND revision = ? ORDER BY seq", (env, rev.revision))]
        return rev

    def _query(self, sql: str, args: tuple) -> list[tuple]:
        db = self._connect(False)
        if db is None:
            return []
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise KcompileError(f"state file {self.path} is damaged: {e}", self.path) from None

    def latest(self, env: str) -> Revision | None:
        rows = self._query("SELECT revision, time, user, git_commit, message FROM revisions WHERE env = ? "
                           "ORDER BY revision DESC LIMIT 1", (env,))
        return self._row_to_revision(env, rows[0], True) if rows else None

    def get(self, env: str, revision: int) -> Revision | None:
        rows = self._query("SELECT revision, time, user, git_commit, message FROM revisions "
                           "WHERE env = ? AND revision = ?", (env, revision))
        return self._row_to_revision(env, rows[0], True) if rows else None

    def history(self, env: str) -> list[Revision]:
        rows = self._query("SELECT revision, time, user, git_commit, message FROM revisions WHERE env = ? "
                           "ORDER BY revision", (env,))
        return [self._row_to_revision(env, r, False) for r in rows]

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def env_lock(self, env: str, timeout: float) -> Iterator[None]:
        """Exclusive per-environment lock; waits up to ``timeout`` seconds, then fails."""
        import fcntl

        self.lock_dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(env.encode()).hexdigest()[:16]
        with open(self.lock_dir / f"{name}.lock", "w") as f:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise KcompileError(
                            f"another apply to environment {env!r} is in progress; gave up after {timeout:g}s "
                            "(--lock-timeout)") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def record(self, env: str, objects: list[dict], *, user: str | None = None, commit: str | None = None,
               message: str = "", lock_timeout: float = 30.0) -> Revision:
        """Store ``objects`` (Secret values masked here) as the environment's next revision."""
        masked = self.mask(objects)
        db = self._connect(True)
        assert db is not None
        user = user or _current_user()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.env_lock(env, lock_timeout):
            try:
                db.execute("BEGIN IMMEDIATE")
                row = db.execute("SELECT COALESCE(MAX(revision), 0) FROM revisions WHERE env = ?", (env,)).fetchone()
                revision = row[0] + 1
                db.execute("INSERT INTO revisions (env, revision, time, user, git_commit, message) VALUES (?,?,?,?,?,?)",
                           (env, revision, now, user, commit, message))
                _test_pause("KCOMPILE_TEST_PAUSE_MID_APPLY")
                db.executemany(
                    "INSERT INTO objects (env, revision, seq, api_version, kind, namespace, name, body) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    [(env, revision, i, o.get("apiVersion", ""), o.get("kind", ""),
                      (o.get("metadata") or {}).get("namespace", "") or "", (o.get("metadata") or {}).get("name", ""),
                      json.dumps(o, sort_keys=True, separators=(",", ":")))
                     for i, o in enumerate(masked)])
                db.execute("COMMIT")
            except BaseException:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.DatabaseError:
                    pass
                raise
        return Revision(revision, now, user, commit, message, masked)


def keyed_digest(key: bytes, value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return DIGEST_PREFIX + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def mask_secrets(objects: list[dict], digest) -> list[dict]:
    """Copies of ``objects`` whose Secret ``data``/``stringData`` values are replaced by
    ``digest(value)`` (values already masked are kept)."""
    out = []
    for o in objects:
        if o.get("kind") in SENSITIVE_KINDS and any(isinstance(o.get(f), dict) for f in SENSITIVE_FIELDS):
            o = dict(o)
            for f in SENSITIVE_FIELDS:
                if isinstance(o.get(f), dict):
                    o[f] = {k: (v if isinstance(v, str) and v.startswith(DIGEST_PREFIX) else digest(v))
                            for k, v in o[f].items()}
        out.append(o)
    return out


def _current_user() -> str:
    try:
        return os.environ.get("KCOMPILE_USER") or getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"


def _test_pause(var: str) -> None:
    """Tests kill a real process at this point (the variable holds seconds to sleep)."""
    delay = os.environ.get(var)
    if delay:
        marker = os.environ.get(var + "_MARKER")
        if marker:
            Path(marker).write_text("paused\n")
        time.sleep(float(delay))
