"""Export and import of a whole state store (``kcompile state export|import|migrate``):
every revision as stored, bodies verbatim and Secret values still encrypted, so a move
between backends keeps every revision byte for byte. Mixed into
:class:`~kcompile.state.store.SQLStateStore`; nothing here opens a connection itself.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..errors import KcompileError

EXPORT_FORMAT = "kcompile-state-export"
EXPORT_VERSION = 1


class TransferMixin:
    # -- export / import ------------------------------------------------------------------------
    def export(self) -> dict:
        """Every revision as stored (bodies verbatim, values still encrypted): what
        ``kcompile state export`` writes and ``import``/``migrate`` read."""
        from .store import _COLUMNS  # the store imports this module: names it owns are read here
        revisions = self._read(f"SELECT env, {_COLUMNS} FROM revisions ORDER BY env, revision")
        objects: dict[tuple[str, int], list] = {}
        for env, rev, seq, body in self._read("SELECT env, revision, seq, body FROM objects ORDER BY env, revision, seq"):
            objects.setdefault((env, int(rev)), []).append(body)
        sealed: dict[tuple[str, int], list] = {}
        if self._has_sealed_values():
            for env, rev, seq, field, item, value in self._read(
                    "SELECT env, revision, seq, field, item, value FROM secret_values "
                    "ORDER BY env, revision, seq, field, item"):
                sealed.setdefault((env, int(rev)), []).append(
                    [int(seq), field, item, base64.b64encode(bytes(value)).decode("ascii")])
        return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                "key_fingerprint": self._meta("key_fingerprint"),
                "revisions": [{"env": env, "revision": int(rev), "time": t, "user": u, "commit": c, "message": m,
                               "objects": objects.get((env, int(rev)), []),
                               "secret_values": sealed.get((env, int(rev)), [])}
                              for env, rev, t, u, c, m in revisions]}

    def import_(self, doc: Any, origin: str, lock_timeout: float = 30.0) -> int:
        """Add every revision of an export, as it was; refuses (changing nothing) an export
        made under another key, or environments the store already has. Returns the number
        of revisions imported."""
        from .store import _COLUMNS, _locks, object_id
        revisions, fp = _check_export(doc, origin)
        stored = self._meta("key_fingerprint")
        if fp is not None and stored is not None and fp != stored:
            raise KcompileError(f"{origin} was exported from a store with another state key than {self.describe()}; "
                                "nothing was imported")
        envs = sorted({r["env"] for r in revisions})
        existing = [e for e, *_ in self.environments() if e in set(envs)]
        if existing:
            raise KcompileError(f"{self.describe()} already has environment(s) {', '.join(map(repr, existing))}; "
                                "nothing was imported (import into an empty store, or one without them)")
        with _locks(self, envs, lock_timeout):
            with self._transaction("nothing was imported") as tx:
                if fp is not None:
                    tx.execute("INSERT INTO meta (name, value) VALUES ('key_fingerprint', ?) "
                               "ON CONFLICT (name) DO NOTHING", (fp,))
                tx.executemany(f"INSERT INTO revisions (env, {_COLUMNS}) VALUES (?,?,?,?,?,?)",
                               [(r["env"], r["revision"], r["time"], r["user"], r["commit"], r["message"])
                                for r in revisions])
                object_rows, sealed_rows = [], []
                for r in revisions:
                    for seq, body in enumerate(r["objects"]):
                        o = json.loads(body)
                        object_rows.append((r["env"], r["revision"], seq, *object_id(o), body))
                    for seq, field, item, value in r["secret_values"]:
                        sealed_rows.append((r["env"], r["revision"], seq, field, item, base64.b64decode(value)))
                tx.executemany("INSERT INTO objects (env, revision, seq, api_version, kind, namespace, name, body) "
                               "VALUES (?,?,?,?,?,?,?,?)", object_rows)
                tx.executemany("INSERT INTO secret_values (env, revision, seq, field, item, value) "
                               "VALUES (?,?,?,?,?,?)", sealed_rows)
        return len(revisions)

def _check_export(doc: Any, origin: str) -> tuple[list[dict], str | None]:
    """The revisions of an export document, checked field by field."""
    def bad(what: str) -> KcompileError:
        return KcompileError(f"{origin} is not a kcompile state export: {what}; nothing was imported", origin)

    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise bad(f"no \"format\": \"{EXPORT_FORMAT}\"")
    if doc.get("version") != EXPORT_VERSION:
        raise bad(f"version {doc.get('version')!r} (this kcompile reads version {EXPORT_VERSION})")
    fp = doc.get("key_fingerprint")
    if fp is not None and not isinstance(fp, str):
        raise bad("key_fingerprint is not a string")
    revisions = doc.get("revisions")
    if not isinstance(revisions, list):
        raise bad("revisions is not a list")
    for i, r in enumerate(revisions):
        where = f"revisions[{i}]"
        if not isinstance(r, dict):
            raise bad(f"{where} is not an object")
        for k, t in (("env", str), ("time", str), ("user", str), ("message", str), ("objects", list),
                     ("secret_values", list)):
            if not isinstance(r.get(k), t):
                raise bad(f"{where}.{k} is not a {t.__name__}")
        if not isinstance(r.get("revision"), int) or isinstance(r.get("revision"), bool) or r["revision"] < 1:
            raise bad(f"{where}.revision is not a positive integer")
        if r.get("commit") is not None and not isinstance(r["commit"], str):
            raise bad(f"{where}.commit is not a string")
        for j, body in enumerate(r["objects"]):
            try:
                ok = isinstance(body, str) and isinstance(json.loads(body), dict)
            except ValueError:
                ok = False
            if not ok:
                raise bad(f"{where}.objects[{j}] is not an object's JSON text")
        for j, s in enumerate(r["secret_values"]):
            try:
                ok = (isinstance(s, list) and len(s) == 4 and isinstance(s[0], int) and isinstance(s[1], str)
                      and isinstance(s[2], str) and len(base64.b64decode(s[3], validate=True)) > 12)
            except (ValueError, TypeError):
                ok = False
            if not ok:
                raise bad(f"{where}.secret_values[{j}] is not [seq, field, item, base64 value]")
    seen = set()
    for r in revisions:
        if (r["env"], r["revision"]) in seen:
            raise bad(f"revision {r['revision']} of {r['env']!r} appears twice")
        seen.add((r["env"], r["revision"]))
    return revisions, fp
