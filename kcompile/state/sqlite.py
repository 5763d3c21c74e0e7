"""SQLite implementation of the state store (the shared logic is :mod:`.store`).

- Schema: ``PRAGMA user_version`` is the schema version and ``PRAGMA application_id``
  marks the file as kcompile's. Migrations run forward, each in one transaction; a file
  with a newer version than this kcompile knows, or another program's database, is
  refused with a clear error and left untouched.
- Writes: one transaction per revision (``BEGIN IMMEDIATE`` … ``COMMIT``, WAL journal),
  so a process killed mid-apply leaves the previous revision intact and the file readable.
  SQLite has one writer at a time: a transaction holds the file for the milliseconds of
  its inserts (everything is prepared before ``BEGIN``); environments wait for each other
  only that long, never for another environment's apply lock.
- Read-only: on a read-only file system (or a file the user cannot write) the database is
  opened read-only (``immutable`` when its WAL index cannot be created), so plan, history
  and ``rollback --dry-run`` work; a write says "cannot write …: read-only file system".
- Locking: applies to one environment are serialized by an exclusive ``flock`` on
  ``<db>.locks/<digest of env>.lock``, taken with a timeout (``--lock-timeout``); the
  kernel drops it when a process dies, so a crash never leaves a stale lock.
- Key: ``<db>.key`` (created with the store, mode 0600, never inside the database) unless
  ``$KCOMPILE_STATE_KEY`` is set.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import KcompileError
from .store import SQLStateStore
from .storeio import os_error, sqlite_write_failure, why_not_writable

APPLICATION_ID = 0x4B435354  # "KCST"
SCHEMA_VERSION = 3
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
    3: [
        # each Secret value, encrypted (nonce + AES-GCM ciphertext); see store.py
        """CREATE TABLE secret_values (
            env TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL, field TEXT NOT NULL,
            item TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (env, revision, seq, field, item))""",
    ],
}


class SQLiteStore(SQLStateStore):
    """The state store in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        super().__init__(self.path.with_name(self.path.name + ".key"))
        self.lock_dir = self.path.with_name(self.path.name + ".locks")
        self._db: sqlite3.Connection | None = None
        self._readonly: str | None = None  # why the file is open read-only
        self._version = SCHEMA_VERSION

    def describe(self) -> str:
        return f"state file {self.path}"

    def _error(self, what: str) -> KcompileError:
        return KcompileError(f"state file {self.path}: {what}", self.path)

    def _secret_key(self) -> bytes | None:
        """The key (creating it for a new store): kept for tests and older callers."""
        return self.secret_key(create=True)

    # -- connection and schema -----------------------------------------------------------
    def _connect(self, create: bool) -> sqlite3.Connection | None:
        """The open database, migrated to SCHEMA_VERSION when it can be written; None if
        it does not exist and ``create`` is false (reading an absent store means "nothing
        applied yet")."""
        if self._db is not None:
            if create and self._readonly:
                raise self._cannot_write(self._readonly)
            return self._db
        try:
            exists = self.path.exists()
            if exists and self.path.is_dir():
                raise self._error("is a directory, not a state database; pass --state with a file path")
            if exists and self.path.stat().st_size == 0 and (self.key_path.exists() or self.lock_dir.exists()):
                raise self._error(
                    f"is empty, but its key file {self.key_path.name} is beside it: the history it held is gone "
                    "(truncated?); restore the file from a backup, or remove it and its key to start a new history")
        except OSError as e:
            raise os_error(e, self.path, "read") from None
        readonly = why_not_writable(self.path) if exists else None
        if not exists:
            if not create:
                return None
            why = why_not_writable(self.path)
            if why:
                raise self._cannot_write(why)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                # created 0600 before SQLite opens it: its WAL and index take the same mode,
                # and nobody else can read even the digests and ciphertexts
                os.close(os.open(str(self.path), os.O_WRONLY | os.O_CREAT, 0o600))
            except OSError as e:
                raise os_error(e, self.path.parent) from None
        elif readonly and create:
            raise self._cannot_write(readonly)
        db = self._open(readonly)
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
            if not readonly:
                db.execute("PRAGMA journal_mode=WAL")
                if version < SCHEMA_VERSION:
                    self._migrate(db)
                    version = SCHEMA_VERSION
        except sqlite3.DatabaseError as e:
            db.close()
            reason = sqlite_write_failure(str(e), self.path)
            if reason:
                raise self._cannot_write(reason) from None
            raise self._error(f"is not a readable kcompile state database ({e}); "
                              "restore it from a backup or move it away to start a new history") from None
        except BaseException:
            db.close()
            raise
        self._db, self._readonly, self._version = db, readonly, version
        return db

    def _open(self, readonly: str | None) -> sqlite3.Connection:
        try:
            if not readonly:
                return sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            from urllib.parse import quote

            uri = "file:" + quote(str(self.path.resolve()))
            db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=30, isolation_level=None)
            try:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # a WAL database whose index (-shm) cannot be created here: nobody can be
                # writing to a file we cannot write either, so read it as it is
                db.close()
                db = sqlite3.connect(uri + "?immutable=1", uri=True, timeout=30, isolation_level=None)
            return db
        except sqlite3.Error as e:
            raise self._error(f"cannot open ({e})") from None

    def _cannot_write(self, why: str) -> KcompileError:
        return KcompileError(f"cannot write state file {self.path}: {why}; nothing was recorded "
                             "(plan, history and rollback --dry-run still read it)", self.path)

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

    def _has_sealed_values(self) -> bool:
        return self._version >= 3

    def check_writable(self) -> None:
        self._connect(True)

    # -- reading and writing ---------------------------------------------------------------
    def _meta(self, name: str) -> str | None:
        db = self._connect(False)
        if db is None or self._version < 2:
            return None
        return super()._meta(name)

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        db = self._connect(False)
        if db is None:
            return []
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise self._error(f"is damaged ({e}); restore it from a backup") from None

    @contextmanager
    def _transaction(self, outcome: str) -> Iterator[sqlite3.Connection]:
        db = self._connect(True)
        assert db is not None
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException as e:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                raise self._error("another process kept the file locked (a write of another environment held "
                                  f"open for more than 30 s?); {outcome}; retry") from None
            if isinstance(e, sqlite3.DatabaseError):
                reason = sqlite_write_failure(str(e), self.path)
                if reason:
                    raise KcompileError(f"cannot write state file {self.path}: {reason}; {outcome} "
                                        "(the previous revision is intact)", self.path) from None
                raise self._error(f"could not commit ({e}); {outcome}") from None
            if isinstance(e, OSError):
                raise os_error(e, self.path) from None
            raise

    @contextmanager
    def lock(self, env: str, timeout: float = 30.0) -> Iterator[None]:
        """Exclusive per-environment apply lock; waits up to ``timeout`` seconds, then
        fails naming the environment. Re-entering from the same store is a no-op."""
        if env in self._held:
            yield
            return
        import fcntl

        name = hashlib.sha256(env.encode()).hexdigest()[:16]
        path = self.lock_dir / f"{name}.lock"
        try:
            if self.lock_dir.exists() and not self.lock_dir.is_dir():
                raise KcompileError(f"state lock directory {self.lock_dir} is a file, not a directory; "
                                    "move it away (kcompile recreates it)", self.lock_dir)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # .kcompile itself 0700 too
            self.lock_dir.mkdir(mode=0o700, exist_ok=True)
            f = open(path, "a+")
        except IsADirectoryError:
            raise KcompileError(f"state lock file {path} is a directory; move it away", path) from None
        except OSError as e:
            raise os_error(e, path) from None
        with f:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise KcompileError(
                            f"another apply to environment {env!r} is in progress (lock {path}); gave up after "
                            f"{timeout:g}s; retry later or raise --lock-timeout") from None
                    time.sleep(0.05)
            self._held.add(env)
            try:
                yield
            finally:
                self._held.discard(env)
                fcntl.flock(f, fcntl.LOCK_UN)
