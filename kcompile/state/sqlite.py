"""SQLite implementation of the state store.

- Schema: ``PRAGMA user_version`` is the schema version and ``PRAGMA application_id``
  marks the file as kcompile's. Migrations run forward, each in one transaction; a file
  with a newer version than this kcompile knows, or another program's database, is
  refused with a clear error and left untouched.
- Writes: one transaction per revision (``BEGIN IMMEDIATE`` … ``COMMIT``, WAL journal),
  so a process killed mid-apply leaves the previous revision intact and the file readable.
- Locking: applies to one environment are serialized by an exclusive ``flock`` on
  ``<db>.locks/<digest of env>.lock``, taken with a timeout (``--lock-timeout``); the
  kernel drops it when a process dies, so a crash never leaves a stale lock.
- Secrets: values are masked with HMAC-SHA256 under a 32-byte key in ``<db>.key``
  (created with the store, mode 0600, never inside the database). The database keeps a
  fingerprint of the key, so a lost or swapped key file is reported instead of making
  every Secret look changed.
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
from .masking import DIGEST_PREFIX, keyed_digest, mask_secrets  # noqa: F401  (re-exported for callers)

APPLICATION_ID = 0x4B435354  # "KCST"
SCHEMA_VERSION = 2
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE revisions (
            env TEXT NOT NULL, revision INTEGER NOT NULL, time TEXT NOT NULL, user TEXT NOT NULL,
            git_commit TEXT, message TEXT NOT NULL DEFAULT '', PRIMARY KEY (env, revision))""",
        """CREATE TABLE objects (
            env TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL,
            api_version TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
            body TEXT NOT NULL, PRIMARY KEY (env, revision, seq))""",
    ],
    2: [
        # name/value facts about the store itself; today the secret key's fingerprint
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
}
KEY_SIZE = 32
_KEY_CHECK = b"kcompile state key check"


class SQLiteStore:
    """The state store in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.key_path = self.path.with_name(self.path.name + ".key")
        self.lock_dir = self.path.with_name(self.path.name + ".locks")
        self._key: bytes | None = None
        self._db: sqlite3.Connection | None = None
        self._held: set[str] = set()

    # -- connection and schema -----------------------------------------------------------
    def _error(self, what: str) -> KcompileError:
        return KcompileError(f"state file {self.path}: {what}", self.path)

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        """The open database, migrated to SCHEMA_VERSION; None if it does not exist and
        ``create`` is false (reading an absent store means "nothing applied yet")."""
        if self._db is not None:
            return self._db
        if not self.path.exists():
            if not create:
                return None
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        elif self.path.is_dir():
            raise self._error("is a directory, not a state database")
        try:
            db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        except sqlite3.Error as e:
            raise self._error(f"cannot open ({e})") from None
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            if app_id not in (0, APPLICATION_ID) or (
                    version == 0 and app_id == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]):
                raise self._error("is an SQLite database of another program, not kcompile state; "
                                  "pass --state with another path")
            if version > SCHEMA_VERSION:
                raise self._error(f"has schema version {version}, newer than this kcompile supports "
                                  f"({SCHEMA_VERSION}); upgrade kcompile (the file was left unchanged)")
            db.execute("PRAGMA journal_mode=WAL")
            if version < SCHEMA_VERSION:
                self._migrate(db)
        except sqlite3.DatabaseError as e:
            db.close()
            raise self._error(f"is not a readable kcompile state database ({e}); "
                              "restore it from a backup or move it away to start a new history") from None
        except BaseException:
            db.close()
            raise
        self._db = db
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            current = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            for v in range(current + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[v]:
                    db.execute(stmt)
                db.execute(f"PRAGMA user_version = {v}")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- secrets ------------------------------------------------------------------------------
    def _secret_key(self) -> bytes:
        if self._key is not None:
            return self._key
        stored = self._meta("key_fingerprint")
        try:
            key = self.key_path.read_bytes()
        except FileNotFoundError:
            if stored is not None:
                raise KcompileError(
                    f"the secret key file {self.key_path} of state {self.path} is missing, so Secret values "
                    "cannot be compared with what was applied; restore the key file (it lives beside the "
                    "database and is not in it by design), or move the state away to start a new history",
                    self.key_path) from None
            key = self._create_key()
        if len(key) != KEY_SIZE:
            raise KcompileError(f"secret key file {self.key_path} is damaged (expected {KEY_SIZE} bytes)",
                                self.key_path)
        if stored is not None and stored != _fingerprint(key):
            raise KcompileError(
                f"secret key file {self.key_path} does not belong to state {self.path} (fingerprint differs); "
                "restore the right key file", self.key_path)
        self._key = key
        return key

    def _create_key(self) -> bytes:
        """A new random key, written whole before it becomes visible (link is atomic and
        fails if another process created the key first; then that key is used)."""
        self.key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = os.urandom(KEY_SIZE)
        import tempfile

        fd, name = tempfile.mkstemp(prefix=self.key_path.name + ".", suffix=".tmp", dir=self.key_path.parent)
        tmp = Path(name)  # mkstemp creates the file with mode 0600
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, self.key_path)
        except FileExistsError:
            key = self.key_path.read_bytes()
        except OSError:  # no hard links on this file system: exclusive create instead
            try:
                fd = os.open(str(self.key_path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                key = self.key_path.read_bytes()
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
        finally:
            tmp.unlink()
        return key

    def _meta(self, name: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def digest(self, value: object) -> str:
        return keyed_digest(self._secret_key(), value)

    def mask(self, objects: list[dict]) -> list[dict]:
        """Copies of ``objects`` with every Secret value replaced by its keyed digest."""
        return mask_secrets(objects, self.digest)

    # -- reading -------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple) -> list[tuple]:
        db = self._connect(False)
        if db is None:
            return []
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise self._error(f"is damaged ({e}); restore it from a backup") from None

    def _with_objects(self, env: str, rev: Revision) -> Revision:
        rows = self._query("SELECT body FROM objects WHERE env = ? AND revision = ? ORDER BY seq", (env, rev.revision))
        try:
            rev.objects = [json.loads(b) for (b,) in rows]
        except ValueError as e:
            raise self._error(f"revision {rev.revision} of {env!r} is damaged ({e})") from None
        return rev

    _COLUMNS = "revision, time, user, git_commit, message"

    def latest(self, env: str) -> Revision | None:
        rows = self._query(f"SELECT {self._COLUMNS} FROM revisions WHERE env = ? ORDER BY revision DESC LIMIT 1",
                           (env,))
        return self._with_objects(env, Revision(*rows[0])) if rows else None

    def get(self, env: str, revision: int) -> Revision | None:
        rows = self._query(f"SELECT {self._COLUMNS} FROM revisions WHERE env = ? AND revision = ?", (env, revision))
        return self._with_objects(env, Revision(*rows[0])) if rows else None

    def history(self, env: str) -> list[Revision]:
        rows = self._query(f"SELECT {self._COLUMNS} FROM revisions WHERE env = ? ORDER BY revision", (env,))
        return [Revision(*r) for r in rows]

    def environments(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT env FROM revisions ORDER BY env", ())]

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def lock(self, env: str, timeout: float = 30.0) -> Iterator[None]:
        """Exclusive per-environment apply lock; waits up to ``timeout`` seconds, then
        fails naming the environment. Re-entering from the same store is a no-op."""
        if env in self._held:
            yield
            return
        import fcntl

        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # .kcompile itself 0700 too
        self.lock_dir.mkdir(mode=0o700, exist_ok=True)
        name = hashlib.sha256(env.encode()).hexdigest()[:16]
        with open(self.lock_dir / f"{name}.lock", "a+") as f:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise KcompileError(
                            f"another apply to environment {env!r} is in progress (lock "
                            f"{self.lock_dir / (name + '.lock')}); gave up after {timeout:g}s; "
                            "retry later or raise --lock-timeout") from None
                    time.sleep(0.05)
            self._held.add(env)
            try:
                yield
            finally:
                self._held.discard(env)
                fcntl.flock(f, fcntl.LOCK_UN)

    def record(self, env: str, objects: list[dict], *, user: str | None = None, commit: str | None = None,
               message: str = "", lock_timeout: float = 30.0) -> Revision:
        """Store ``objects`` (Secret values masked here) as the environment's next revision,
        in one transaction, under the environment lock."""
        masked = self.mask(objects)
        db = self._connect(True)
        assert db is not None
        user = user or current_user()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = [(o.get("apiVersion", ""), o.get("kind", ""), (o.get("metadata") or {}).get("namespace") or "",
                 (o.get("metadata") or {}).get("name") or "", json.dumps(o, sort_keys=True, separators=(",", ":")))
                for o in masked]
        with self.lock(env, lock_timeout):
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('key_fingerprint', ?)",
                           (_fingerprint(self._secret_key()),))
                revision = db.execute("SELECT COALESCE(MAX(revision), 0) + 1 FROM revisions WHERE env = ?",
                                      (env,)).fetchone()[0]
                db.execute("INSERT INTO revisions (env, revision, time, user, git_commit, message) "
                           "VALUES (?,?,?,?,?,?)", (env, revision, now, user, commit, message))
                _test_pause("KCOMPILE_TEST_PAUSE_MID_APPLY")
                db.executemany(
                    "INSERT INTO objects (env, revision, seq, api_version, kind, namespace, name, body) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    [(env, revision, i, *row) for i, row in enumerate(rows)])
                db.execute("COMMIT")
            except BaseException as e:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(e, sqlite3.DatabaseError):
                    raise self._error(f"could not record the revision ({e}); nothing was recorded") from None
                raise
        return Revision(revision, now, user, commit, message, masked)


def _fingerprint(key: bytes) -> str:
    return hmac.new(key, _KEY_CHECK, hashlib.sha256).hexdigest()[:32]


def current_user() -> str:
    """``$KCOMPILE_USER``, else the login name, else ``unknown``."""
    try:
        return os.environ.get("KCOMPILE_USER") or getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return "unknown"


def _test_pause(var: str) -> None:
    """A test hook: when ``var`` holds seconds, write ``$var_MARKER`` (if set) and sleep,
    inside the open transaction, so tests can kill a real process there."""
    delay = os.environ.get(var)
    if delay:
        marker = os.environ.get(var + "_MARKER")
        if marker:
            Path(marker).write_text("paused\n")
        time.sleep(float(delay))
