"""The state store: per environment, the numbered revisions that were applied.

:class:`StateStore` is the interface plan/apply/history/rollback use; Two backends share one
implementation of everything but connections, transactions and locks (:mod:`.store`):
SQLite (:mod:`.sqlite`, the default, the only module importing ``sqlite3``) and PostgreSQL
(:mod:`.postgres`, the only one importing ``psycopg``). Secret values never enter the store
in plain text: in object bodies ``data``/``stringData`` values are keyed digests
(:mod:`.masking`), enough for a plan; beside them each value is kept encrypted
(:mod:`.crypto`) under a key that is not in the store, so rollback can restore it.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol


class Revision:
    """One applied revision of an environment. ``objects`` (Secret values masked) is
    None when only the summary was read (history)."""

    __slots__ = ("revision", "time", "user", "commit", "message", "objects")

    def __init__(self, revision: int, time: str, user: str, commit: str | None, message: str,
                 objects: list[dict] | None = None) -> None:
        self.revision = revision
        self.time = time
        self.user = user
        self.commit = commit
        self.message = message
        self.objects = objects

    def summary(self) -> dict[str, Any]:
        """The JSON shape of ``kcompile history --format json`` entries."""
        return {"revision": self.revision, "time": self.time, "user": self.user,
                "commit": self.commit, "message": self.message}


class StateStore(Protocol):
    """What plan/apply/history/rollback need from a store of applied revisions."""

    def latest(self, env: str) -> Revision | None:
        """The newest revision of ``env`` with its objects, or None if nothing was applied."""

    def get(self, env: str, revision: int) -> Revision | None:
        """Revision ``revision`` of ``env`` with its objects, or None."""

    def history(self, env: str) -> list[Revision]:
        """Every revision of ``env``, oldest first, without objects."""

    def lock(self, env: str, timeout: float) -> AbstractContextManager[None]:
        """Hold the environment's apply lock (waits up to ``timeout`` seconds, then raises
        KcompileError). ``record`` inside the block does not lock again."""

    def record(self, env: str, objects: list[dict], *, user: str | None = None, commit: str | None = None,
               message: str = "", lock_timeout: float = 30.0) -> Revision:
        """Store ``objects`` as the next revision of ``env``, atomically; Secret values are
        masked here. Takes the environment lock unless the caller holds it."""

    def mask(self, objects: list[dict], like: list[dict] | None = None) -> list[dict]:
        """Copies of ``objects`` with Secret values replaced by this store's keyed digests
        (without the key, by the digests of ``like``: values are then not compared)."""

    def key_available(self) -> bool:
        """Whether the state key is here (without it Secret values cannot be compared or
        restored)."""

    def restore(self, env: str, revision: Revision) -> tuple[list[dict], list[int]]:
        """``revision``'s objects with Secret values decrypted, and the positions of objects
        written before values were kept (digests only)."""

    def check_writable(self) -> None:
        """Raise KcompileError now (before any lock) if the store cannot be written."""

    def close(self) -> None: ...


def is_url(spec: str | os.PathLike[str]) -> bool:
    """Whether a ``--state`` value names a PostgreSQL server rather than an SQLite file."""
    return isinstance(spec, str) and spec.startswith(("postgresql://", "postgres://"))


def default_state_path(repo_root: Path) -> Path | str:
    """``$KCOMPILE_STATE`` if set (a path, or a ``postgresql://`` URL), else
    ``<repo_root>/.kcompile/state.db``."""
    env = os.environ.get("KCOMPILE_STATE")
    if env:
        return env if is_url(env) else Path(env)
    from ..cache.location import state_dir

    return Path(state_dir(repo_root)) / "state.db"  # refused if .kcompile is a symlink or tracked


def open_store(spec: Path | str, repo_root: Path | None = None) -> StateStore:
    """The store ``spec`` names: a ``postgresql://`` URL (its key file, when
    ``$KCOMPILE_STATE_KEY`` is not set, is ``<repo_root>/.kcompile/state.key``) or an SQLite
    file. Nothing is created until the first ``record``."""
    if is_url(spec):
        from .postgres import PostgresStore

        root = repo_root if repo_root is not None else Path.cwd()
        return PostgresStore(str(spec), root / ".kcompile" / "state.key")
    from .sqlite import SQLiteStore

    return SQLiteStore(Path(spec))
