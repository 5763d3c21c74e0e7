"""The state store: per environment, the numbered revisions that were applied.

:class:`StateStore` is the interface plan/apply/history/rollback use; SQLite is the one
implementation today (:mod:`.sqlite`, which is the only module that imports ``sqlite3``).
Secret values never enter the store: ``data`` and ``stringData`` values are replaced by
keyed digests (:mod:`.masking`; HMAC-SHA256 with a key kept beside the database in a
file of mode 0600), enough to tell that a value changed.
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

    def mask(self, objects: list[dict]) -> list[dict]:
        """Copies of ``objects`` with Secret values replaced by this store's keyed digests."""

    def close(self) -> None: ...


def default_state_path(repo_root: Path) -> Path:
    """``$KCOMPILE_STATE`` if set, else ``<repo_root>/.kcompile/state.db``."""
    env = os.environ.get("KCOMPILE_STATE")
    if env:
        return Path(env)
    from ..cache.location import state_dir

    return Path(state_dir(repo_root)) / "state.db"  # refused if .kcompile is a symlink or tracked


def open_store(path: Path) -> StateStore:
    """The store at ``path`` (SQLite). Nothing is created until the first ``record``."""
    from .sqlite import SQLiteStore

    return SQLiteStore(path)
