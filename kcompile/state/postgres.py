"""PostgreSQL implementation of the state store (``--state postgresql://user@host:port/db``),
for teams and CI runners that share one history. The shared logic is :mod:`.store`; this
module is the only one importing ``psycopg``.

- Schema: the tables live in the schema ``kcompile`` of the database (so the database can
  hold other things); ``meta.schema_version`` is the version. Migrations run forward in one
  transaction under a transaction-level advisory lock, so two clients never migrate at once;
  a newer version than this kcompile knows is refused, the database left untouched.
- Writes: one transaction per revision. A client killed mid-apply, or a server that stops,
  leaves the transaction uncommitted: the server rolls it back and the previous revision
  stays as it was; the message says which of the two happened (or, when the connection was
  lost during the commit itself, that the revision is there whole or not at all).
- Locking: a session-level advisory lock per environment (``pg_try_advisory_lock`` on a
  64-bit digest of the name), polled until ``--lock-timeout``. It holds across machines and
  is released by the server when the client's connection ends, however the client died.
  Different environments take different locks and write different rows: they never wait
  for each other.
- Key: ``$KCOMPILE_STATE_KEY``, else ``.kcompile/state.key`` in the repository (created
  with the store, mode 0600): the database never holds it.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from ..errors import KcompileError
from .store import SQLStateStore, note

SCHEMA_VERSION = 1
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE kcompile.revisions (
            env TEXT NOT NULL, revision INTEGER NOT NULL, time TEXT NOT NULL, "user" TEXT NOT NULL,
            git_commit TEXT, message TEXT NOT NULL DEFAULT '', PRIMARY KEY (env, revision))""",
        """CREATE TABLE kcompile.objects (
            env TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL,
            api_version TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
            body TEXT NOT NULL, PRIMARY KEY (env, revision, seq),
            FOREIGN KEY (env, revision) REFERENCES kcompile.revisions (env, revision))""",
        """CREATE TABLE kcompile.secret_values (
            env TEXT NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL, field TEXT NOT NULL,
            item TEXT NOT NULL, value BYTEA NOT NULL, PRIMARY KEY (env, revision, seq, field, item),
            FOREIGN KEY (env, revision, seq) REFERENCES kcompile.objects (env, revision, seq))""",
    ],
}
_MIGRATION_LOCK = 0x4B43_5354_0000_0001  # "KCST" + 1: one migration at a time per database


def _lock_id(env: str) -> int:
    return int.from_bytes(hashlib.sha256(b"kcompile-env:" + env.encode()).digest()[:8], "big", signed=True)


def shown_url(url: str) -> str:
    """The URL without a password (messages, history, docs never show it)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class _Tx:
    """The transaction object of :meth:`PostgresStore._transaction`: ``?`` placeholders."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, args: tuple = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), args)

    def executemany(self, sql: str, rows: list) -> None:
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), rows)


class PostgresStore(SQLStateStore):
    """The state store in a PostgreSQL database (see the module docstring)."""

    def __init__(self, url: str, key_path) -> None:
        super().__init__(key_path)
        self.url = url
        self._conn: Any = None
        self._exists = False

    def describe(self) -> str:
        return f"PostgreSQL state {shown_url(self.url)}"

    # -- connection and schema -------------------------------------------------------------
    def _psycopg(self):
        try:
            import psycopg
        except ImportError:
            raise KcompileError("--state postgresql://… needs the psycopg package (pip install 'psycopg[binary]')") \
                from None
        return psycopg

    def _lost(self, e: Exception, during: str) -> KcompileError:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return KcompileError(f"{self.describe()}: {during}: {first}")

    def _connect(self, create: bool) -> Any:
        """The connection, with the schema migrated; None when the database has no
        kcompile schema yet and ``create`` is false."""
        if self._conn is not None and self._exists:
            return self._conn
        psycopg = self._psycopg()
        if self._conn is None:
            try:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                             application_name="kcompile")
            except psycopg.Error as e:
                raise self._lost(e, "cannot connect") from None
        conn = self._conn
        try:
            def exists(table: str) -> bool:
                return conn.execute(f"SELECT to_regclass('kcompile.{table}') IS NOT NULL").fetchone()[0]

            has_meta = exists("meta")
            # revisions without meta: another program's tables, or a migration that committed
            # between the two looks (it creates both at once), which a second look tells
            if not has_meta and exists("revisions") and not exists("meta"):
                raise KcompileError(f"{self.describe()}: the schema \"kcompile\" holds tables of another program; "
                                    "use another database")
            version = 0
            if has_meta or exists("meta"):
                got = conn.execute("SELECT value FROM kcompile.meta WHERE name = 'schema_version'").fetchone()
                version = int(got[0]) if got else 0
            if version > SCHEMA_VERSION:
                raise KcompileError(f"{self.describe()} has schema version {version}, newer than this kcompile "
                                    f"supports ({SCHEMA_VERSION}); upgrade kcompile (the database was left unchanged)")
            if version < SCHEMA_VERSION:
                if not create and version == 0:
                    return None
                self._migrate(conn)
        except psycopg.Error as e:
            raise self._lost(e, "cannot read the schema") from None
        self._exists = True
        return conn

    def _migrate(self, conn: Any) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute("CREATE SCHEMA IF NOT EXISTS kcompile")
            conn.execute("CREATE TABLE IF NOT EXISTS kcompile.meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            got = conn.execute("SELECT value FROM kcompile.meta WHERE name = 'schema_version'").fetchone()
            current = int(got[0]) if got else 0  # another client may have migrated meanwhile
            for v in range(current + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[v]:
                    conn.execute(stmt)
                conn.execute("INSERT INTO kcompile.meta (name, value) VALUES ('schema_version', %s) "
                             "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", (str(v),))

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
                self._exists = False

    def _key_created(self) -> None:
        note(f"created a new state key in {self.key_path} for {self.describe()}: everyone who applies to this "
             "state needs it (in CI, as $KCOMPILE_STATE_KEY, base64)")

    # -- reading and writing ---------------------------------------------------------------
    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        conn = self._connect(False)
        if conn is None:
            return []
        psycopg = self._psycopg()
        sql = _qualified(sql)
        try:
            return conn.execute(sql.replace("?", "%s"), args).fetchall()
        except psycopg.Error as e:
            raise self._lost(e, "cannot read") from None

    def check_writable(self) -> None:
        self._connect(True)

    @contextmanager
    def _transaction(self, outcome: str) -> Iterator[_Tx]:
        conn = self._connect(True)
        psycopg = self._psycopg()
        phase = "open"
        try:
            with conn.transaction():
                yield _QualifiedTx(conn)
                phase = "commit"
        except psycopg.OperationalError as e:
            if phase == "commit":
                raise self._lost(e, "the connection was lost while committing: the change is there whole or not "
                                    "at all (the server decides; check with `kcompile history`)") from None
            if conn.closed or conn.broken:
                raise self._lost(e, f"the connection to the server was lost mid-write; {outcome} (the server "
                                    "rolls the open transaction back: the previous revision is intact)") from None
            raise self._lost(e, f"the write failed; {outcome}") from None
        except psycopg.Error as e:
            raise self._lost(e, f"the write failed; {outcome}") from None

    @contextmanager
    def lock(self, env: str, timeout: float = 30.0) -> Iterator[None]:
        """The environment's advisory lock (see the module docstring); re-entrant."""
        if env in self._held:
            yield
            return
        conn = self._connect(True)
        psycopg = self._psycopg()
        key = _lock_id(env)
        deadline = time.monotonic() + timeout
        try:
            while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    raise KcompileError(
                        f"another apply to environment {env!r} is in progress ({self.describe()} holds its lock); "
                        f"gave up after {timeout:g}s; retry later or raise --lock-timeout")
                time.sleep(0.05)
        except psycopg.Error as e:
            raise self._lost(e, f"cannot take the lock of environment {env!r}; nothing was recorded") from None
        self._held.add(env)
        try:
            yield
        finally:
            self._held.discard(env)
            try:
                if not conn.closed:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg.Error:
                pass  # the connection is gone, and the server dropped the lock with it


_TABLES = ("revisions", "objects", "secret_values", "meta")


def _qualified(sql: str) -> str:
    """The shared SQL with table names in the ``kcompile`` schema (the connection's
    search_path is left alone: the database may be someone else's)."""
    import re

    return re.sub(r"\b(FROM|INTO|UPDATE)\s+(" + "|".join(_TABLES) + r")\b", r"\1 kcompile.\2", sql)


class _QualifiedTx(_Tx):
    def execute(self, sql: str, args: tuple = ()) -> Any:
        return super().execute(_qualified(sql), args)

    def executemany(self, sql: str, rows: list) -> None:
        super().executemany(_qualified(sql), rows)
