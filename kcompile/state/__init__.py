"""The state store: per environment, the numbered revisions that were applied.

:class:`StateStore` is the interface plan/apply/history/rollback use; SQLite is the one
implementation today (:mod:`.sqlite`). Secret values never enter the store: ``data`` and
``stringData`` values are replaced by keyed digests (HMAC-SHA256 with a key kept beside
the database, mode 0600), enough to tell that a value changed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol


class Revision:
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
        return {"revision": self.revision, "time": self.time, "user": self.user,
                "commit": self.commit, "message": self.message}


class StateStore(Protocol):
    def latest(self, env: str) -> Revision | None: ...
    def get(self, env: str, revision: int) -> Revision | None: ...
    def history(self, env: str) -> list[Revision]: ...
    def record(self, env: str, objects: list[dict], *, user: str, commit: str | None, message: str,
               lock_timeout: float = 30.0) -> Revision: ...
    def mask(self, objects: list[dict]) -> list[dict]: ...


def default_state_path(repo_root: Path) -> Path:
    env = os.environ.get("KCOMPILE_STATE")
    if env:
        return Path(env)
    return repo_root / ".kcompile" / "state.db"


def open_store(path: Path) -> "StateStore":
    from .sqlite import SQLiteStore

    return SQLiteStore(path)
