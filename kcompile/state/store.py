"""What every state backend shares: revisions, masking, sealing Secret values, keys,
rotation, export and import. A backend (:mod:`.sqlite`, :mod:`.postgres`) supplies the
connection, one write transaction at a time, reads, and the per-environment lock; the
SQL here is the common subset both speak (``?`` placeholders, translated by the backend).

Tables (schema version 3): ``revisions`` (env, revision, time, user, git_commit, message),
``objects`` (env, revision, seq, api_version, kind, namespace, name, body: the object as
JSON with Secret values replaced by keyed digests), ``secret_values`` (env, revision, seq,
field, item, value: nonce + AES-GCM ciphertext of one Secret value; ``item`` is the data
key as JSON, ``null`` for a ``data`` that is not a map), ``meta`` (name, value: the key
fingerprint). Revisions written by schema 1-2 have digests and no ``secret_values``.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
import time
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..errors import KcompileError
from . import Revision
from .crypto import KEY_ENV, NEW_KEY_ENV, Cipher, associated_data, fingerprint, new_key, parse_key, read_key_file, \
    write_key_file
from .masking import DIGEST_PREFIX, is_digest, keyed_digest, mask_secrets, sensitive_items
from .transfer import TransferMixin

UNKNOWN_DIGEST = DIGEST_PREFIX + "unknown"
_COLUMNS = 'revision, time, "user", git_commit, message'


def object_id(o: dict) -> tuple[str, str, str, str]:
    md = o.get("metadata") if isinstance(o.get("metadata"), dict) else {}
    return (str(o.get("apiVersion") or ""), str(o.get("kind") or ""), str(md.get("namespace") or ""),
            str(md.get("name") or ""))


def body_text(o: dict) -> str:
    return json.dumps(o, sort_keys=True, separators=(",", ":"))


class SQLStateStore(TransferMixin):
    """The backend-independent part of a state store (see the module docstring)."""

    key_path: Path

    def __init__(self, key_path: Path) -> None:
        self.key_path = key_path
        self._key: bytes | None = None
        self._key_known = False  # _key is final (None: the store has a key that is not here)
        self._ephemeral = False
        self._held: set[str] = set()

    # -- what a backend provides ----------------------------------------------------------------
    def describe(self) -> str:
        """How messages name the store: ``state file PATH`` or ``PostgreSQL state URL``."""
        raise NotImplementedError

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Rows of a query; [] if the store does not exist yet."""
        raise NotImplementedError

    def _transaction(self, outcome: str) -> AbstractContextManager[Any]:
        """One write transaction (the store created and migrated first); yields an object
        with ``execute(sql, args)`` (returning a cursor) and ``executemany``. A failure
        rolls back and raises KcompileError ending with ``outcome`` ("nothing was recorded")."""
        raise NotImplementedError

    def lock(self, env: str, timeout: float = 30.0) -> AbstractContextManager[None]:
        raise NotImplementedError

    def check_writable(self) -> None:
        """Fail early (before any lock) when the store cannot be written."""

    def _has_sealed_values(self) -> bool:
        """Whether the store's schema has ``secret_values`` (a store that could not be
        migrated, being read-only, may be older)."""
        return True

    def close(self) -> None:
        raise NotImplementedError

    # -- keys ----------------------------------------------------------------------------------
    def _meta(self, name: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def key_origin(self) -> str:
        return f"${KEY_ENV}" if os.environ.get(KEY_ENV) else f"key file {self.key_path}"

    def _given_key(self) -> bytes | None:
        text = os.environ.get(KEY_ENV)
        if text:
            return parse_key(text, f"${KEY_ENV}")
        return read_key_file(self.key_path)

    def secret_key(self, create: bool = False) -> bytes | None:
        """The state key, checked against the store's fingerprint; None when the store has
        a key that is not here. A store without one gets a new key file with ``create``,
        else a key for this run only (nothing stored can need it)."""
        if self._key_known and not (create and self._ephemeral):
            return self._key
        stored = self._meta("key_fingerprint")
        key = self._given_key()
        if key is None:
            if stored is not None:
                self._key, self._key_known = None, True
                return None
            if create:
                key = write_key_file(self.key_path, new_key())
                self._ephemeral = False
                self._key_created()
            else:
                key, self._ephemeral = new_key(), True
        elif stored is not None and stored != fingerprint(key):
            key = self._finish_rotation(stored)
            if key is None:
                raise KcompileError(
                    f"the state key ({self.key_origin()}) does not belong to {self.describe()} (its fingerprint "
                    "differs); use the key the store was written with", self.key_path if not os.environ.get(KEY_ENV)
                    else None)
        else:
            self._ephemeral = False
        self._key, self._key_known = key, True
        return key

    def _key_created(self) -> None:
        """Hook: a backend may tell the user about a new key file."""

    def _finish_rotation(self, stored: str) -> bytes | None:
        """A rotation that committed but was stopped before its new key file replaced the
        old one: finish it."""
        pending = self.key_path.with_name(self.key_path.name + ".new")
        if os.environ.get(KEY_ENV):
            return None
        key = read_key_file(pending)
        if key is None or fingerprint(key) != stored:
            return None
        os.replace(pending, self.key_path)
        return key

    def key_available(self) -> bool:
        return self.secret_key() is not None

    def needs_key(self, what: str) -> KcompileError:
        return KcompileError(
            f"{what} needs the state key of {self.describe()}, and it is not here: set ${KEY_ENV} (base64) or "
            f"restore the key file {self.key_path} (the key is kept out of the store by design)")

    # -- masking --------------------------------------------------------------------------------
    def digest(self, value: object) -> str:
        key = self.secret_key()
        if key is None:
            raise self.needs_key("comparing Secret values")
        return keyed_digest(key, value)

    def mask(self, objects: list[dict], like: list[dict] | None = None) -> list[dict]:
        """Copies of ``objects`` with every Secret value replaced by its keyed digest.
        Without the key (and with ``like``, the stored objects being compared with), each
        value takes the stored digest of the same Secret and key, so values are not
        compared (the caller says so) while everything else is."""
        key = self.secret_key()
        if key is not None:
            return mask_secrets(objects, lambda v: keyed_digest(key, v))
        if like is None:
            raise self.needs_key("comparing Secret values")
        stored = {object_id(o): o for o in like if o.get("kind") == "Secret"}
        out = []
        for o in objects:
            old = stored.get(object_id(o))
            if old is None:
                out.append(mask_secrets([o], lambda v: UNKNOWN_DIGEST)[0])
                continue
            o = dict(o)
            for f in ("data", "stringData"):
                v, was = o.get(f), old.get(f)
                if isinstance(v, dict):
                    o[f] = {k: (was.get(k, UNKNOWN_DIGEST) if isinstance(was, dict) else UNKNOWN_DIGEST)
                            for k in v}
                elif v is not None:
                    o[f] = was if is_digest(was) else UNKNOWN_DIGEST
            out.append(o)
        return out

    def _seal(self, env: str, objects: list[dict], key: bytes) -> tuple[list[dict], list[tuple]]:
        """(masked objects, secret_values rows without env/revision)."""
        cipher = None
        rows = []
        for seq, o in enumerate(objects):
            for field, name, value in sensitive_items(o):
                if is_digest(value):
                    continue  # already a digest (a rollback to a digest-only revision): nothing to keep
                cipher = cipher or Cipher(key)
                rows.append((seq, field, json.dumps(name),
                             cipher.encrypt(value, associated_data(env, object_id(o), field, json.dumps(name)))))
        return mask_secrets(objects, lambda v: keyed_digest(key, v)), rows

    # -- reading --------------------------------------------------------------------------------
    def _objects(self, env: str, revision: int) -> list[dict]:
        rows = self._read("SELECT body FROM objects WHERE env = ? AND revision = ? ORDER BY seq", (env, revision))
        out = []
        for (b,) in rows:
            try:
                o = json.loads(b)
            except ValueError as e:
                raise self._damaged(env, revision, f"an object is not valid JSON ({e})") from None
            if not isinstance(o, dict):
                raise self._damaged(env, revision, f"an object is a JSON {type(o).__name__}, not an object")
            out.append(o)
        return out

    def _damaged(self, env: str, revision: int, what: str) -> KcompileError:
        return KcompileError(f"{self.describe()}: revision {revision} of {env!r} is damaged: {what}; "
                             "restore the store from a backup")

    def _revision(self, row: tuple) -> Revision:
        return Revision(int(row[0]), row[1], row[2], row[3], row[4])

    def latest(self, env: str) -> Revision | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM revisions WHERE env = ? ORDER BY revision DESC LIMIT 1", (env,))
        return self._with_objects(env, self._revision(rows[0])) if rows else None

    def get(self, env: str, revision: int) -> Revision | None:
        if not -(2**63) <= revision < 2**63:
            return None  # no database integer holds it, so no revision has it
        rows = self._read(f"SELECT {_COLUMNS} FROM revisions WHERE env = ? AND revision = ?", (env, revision))
        return self._with_objects(env, self._revision(rows[0])) if rows else None

    def _with_objects(self, env: str, rev: Revision) -> Revision:
        rev.objects = self._objects(env, rev.revision)
        return rev

    def history(self, env: str) -> list[Revision]:
        rows = self._read(f"SELECT {_COLUMNS} FROM revisions WHERE env = ? ORDER BY revision", (env,))
        return [self._revision(r) for r in rows]

    def environments(self) -> list[tuple[str, int, int, str]]:
        """(env, revisions, latest revision, latest time) of every environment."""
        return [(r[0], int(r[1]), int(r[2]), r[3]) for r in self._read(
            "SELECT env, count(*), max(revision), max(time) FROM revisions GROUP BY env ORDER BY env")]

    def _sealed(self, env: str, revision: int) -> dict[tuple[int, str, str], bytes]:
        if not self._has_sealed_values():
            return {}
        rows = self._read("SELECT seq, field, item, value FROM secret_values WHERE env = ? AND revision = ?",
                          (env, revision))
        return {(int(s), f, i): bytes(v) for s, f, i, v in rows}

    def restore(self, env: str, revision: Revision) -> tuple[list[dict], list[int]]:
        """The revision's objects with every encrypted Secret value decrypted, and the
        positions of objects still holding digests (written before values were kept).
        Raises KcompileError when values are kept but the key is not here, or when a value
        does not decrypt (another key, or moved)."""
        objects = revision.objects or []
        sealed = self._sealed(env, revision.revision)
        legacy: list[int] = []
        cipher = None
        out = []
        for seq, o in enumerate(objects):
            items = [(f, n, v) for f, n, v in sensitive_items(o) if is_digest(v)]
            if not items:
                out.append(o)
                continue
            if any((seq, f, json.dumps(n)) not in sealed for f, n, _ in items):
                legacy.append(seq)
                out.append(o)
                continue
            if cipher is None:
                key = self.secret_key()
                if key is None:
                    raise self.needs_key(f"restoring Secret {_shown(o)} of revision {revision.revision}")
                cipher = Cipher(key)
            o = dict(o)
            for f in ("data", "stringData"):
                v = o.get(f)
                try:
                    if isinstance(v, dict):
                        o[f] = {k: (cipher.decrypt(sealed[(seq, f, json.dumps(k))],
                                                   associated_data(env, object_id(o), f, json.dumps(k)))
                                    if is_digest(x) else x) for k, x in v.items()}
                    elif v is not None:
                        o[f] = cipher.decrypt(sealed[(seq, f, "null")], associated_data(env, object_id(o), f, "null"))
                except ValueError:
                    raise KcompileError(
                        f"{self.describe()}: a value of Secret {_shown(o)} in revision {revision.revision} of {env!r} "
                        "does not decrypt under the state key (altered, or copied from elsewhere); "
                        "nothing was changed") from None
            out.append(o)
        return out, legacy

    # -- writing --------------------------------------------------------------------------------
    def record(self, env: str, objects: list[dict], *, user: str | None = None, commit: str | None = None,
               message: str = "", lock_timeout: float = 30.0) -> Revision:
        """Store ``objects`` as the environment's next revision in one transaction, under
        the environment lock: Secret values as digests in the bodies and encrypted beside."""
        key = self.secret_key(create=True)
        if key is None:
            raise self.needs_key("recording a revision")
        self.check_writable()
        masked, sealed = self._seal(env, objects, key)
        user = user or current_user()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = [(*object_id(o), body_text(o)) for o in masked]
        with self.lock(env, lock_timeout):
            self._claim_key(key)
            with self._transaction("nothing was recorded") as tx:
                revision = int(tx.execute("SELECT COALESCE(MAX(revision), 0) + 1 FROM revisions WHERE env = ?",
                                          (env,)).fetchone()[0])
                tx.execute(f"INSERT INTO revisions (env, {_COLUMNS}) VALUES (?,?,?,?,?,?)",
                           (env, revision, now, user, commit, message))
                pause_for_tests("KCOMPILE_TEST_PAUSE_MID_APPLY")
                tx.executemany("INSERT INTO objects (env, revision, seq, api_version, kind, namespace, name, body) "
                               "VALUES (?,?,?,?,?,?,?,?)", [(env, revision, i, *row) for i, row in enumerate(rows)])
                if sealed:
                    tx.executemany("INSERT INTO secret_values (env, revision, seq, field, item, value) "
                                   "VALUES (?,?,?,?,?,?)", [(env, revision, *row) for row in sealed])
        return Revision(revision, now, user, commit, message, masked)

    def _claim_key(self, key: bytes) -> None:
        """Record the key's fingerprint in a transaction of its own, committed at once: a
        revision's transaction then writes only its environment's rows, so applies to
        different environments never wait for each other."""
        if self._meta("key_fingerprint") == fingerprint(key):
            return
        with self._transaction("nothing was recorded") as tx:
            tx.execute("INSERT INTO meta (name, value) VALUES ('key_fingerprint', ?) ON CONFLICT (name) DO NOTHING",
                       (fingerprint(key),))
            if tx.execute("SELECT value FROM meta WHERE name = 'key_fingerprint'").fetchone()[0] != fingerprint(key):
                raise KcompileError(f"{self.describe()} was just created by another process with another key; retry")

    def rotate_key(self, lock_timeout: float = 30.0) -> int:
        """Re-encrypt every kept value and re-digest every Secret under a new key, in one
        transaction; then the new key replaces the old (key file, or ``$KCOMPILE_STATE_NEW_KEY``
        that the caller puts in place of ``$KCOMPILE_STATE_KEY``). Returns the number of
        values re-encrypted. Digest-only revisions (written before values were kept)
        keep their old digests: nothing can re-digest what was never kept."""
        old = self.secret_key()
        if old is None:
            raise self.needs_key("kcompile state rotate-key")
        from_env = bool(os.environ.get(KEY_ENV))
        if os.environ.get(NEW_KEY_ENV):
            new = parse_key(os.environ[NEW_KEY_ENV], f"${NEW_KEY_ENV}")
        elif from_env:
            raise KcompileError(f"the state key comes from ${KEY_ENV}: put the new key in ${NEW_KEY_ENV} "
                                f"(e.g. `openssl rand -base64 32`), rotate, then replace ${KEY_ENV} with it")
        else:
            new = new_key()
        if new == old:
            raise KcompileError("the new state key is the old one")
        old_c, new_c = Cipher(old), Cipher(new)
        pending = self.key_path.with_name(self.key_path.name + ".new")
        if not from_env:
            write_key_file(pending, new, replace=True)  # in place before the commit that needs it
        try:
            count = self._rotate(old_c, new_c, new, lock_timeout)
        except BaseException:
            if not from_env:
                pending.unlink(missing_ok=True)
            raise
        if not from_env:
            os.replace(pending, self.key_path)
        self._key, self._key_known = new, True
        return count

    def _rotate(self, old_c: Cipher, new_c: Cipher, new: bytes, lock_timeout: float) -> int:
        envs = [e for e, *_ in self.environments()]
        with _locks(self, envs, lock_timeout):
            with self._transaction("nothing was rotated (the old key still opens everything)") as tx:
                sealed_rows = tx.execute("SELECT env, revision, seq, field, item, value FROM secret_values").fetchall()
                bodies = {(e, int(r), int(s)): b for e, r, s, b in tx.execute(
                    "SELECT env, revision, seq, body FROM objects WHERE kind = 'Secret'").fetchall()}
                plain: dict[tuple, dict[tuple[str, str], object]] = {}
                updates = []
                for env, rev, seq, field, item, blob in sealed_rows:
                    o = json.loads(bodies[(env, int(rev), int(seq))])
                    ad = associated_data(env, object_id(o), field, item)
                    try:
                        value = old_c.decrypt(bytes(blob), ad)
                    except ValueError:
                        raise KcompileError(f"{self.describe()}: a Secret value of revision {rev} of {env!r} does not "
                                            "decrypt under the current key; nothing was rotated") from None
                    plain.setdefault((env, int(rev), int(seq)), {})[(field, item)] = value
                    updates.append((new_c.encrypt(value, ad), env, rev, seq, field, item))
                tx.executemany("UPDATE secret_values SET value = ? WHERE env = ? AND revision = ? AND seq = ? "
                               "AND field = ? AND item = ?", updates)
                body_updates = []
                for (env, rev, seq), values in plain.items():
                    o = json.loads(bodies[(env, rev, seq)])
                    for (field, item), value in values.items():
                        name = json.loads(item)
                        if name is None:
                            o[field] = keyed_digest(new, value)
                        else:
                            o[field][name] = keyed_digest(new, value)
                    body_updates.append((body_text(o), env, rev, seq))
                tx.executemany("UPDATE objects SET body = ? WHERE env = ? AND revision = ? AND seq = ?", body_updates)
                tx.execute("UPDATE meta SET value = ? WHERE name = 'key_fingerprint'", (fingerprint(new),))
                pause_for_tests("KCOMPILE_TEST_PAUSE_MID_ROTATE")
        return len(updates)


@contextmanager
def _locks(store: SQLStateStore, envs: list[str], timeout: float) -> Iterator[None]:
    """Every environment's lock, in a fixed order (no deadlock between two such callers)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        for env in sorted(envs):
            stack.enter_context(store.lock(env, timeout))
        yield


def _shown(o: dict) -> str:
    _, _, ns, name = object_id(o)
    return f"{ns}/{name}" if ns else name


def current_user() -> str:
    """``$KCOMPILE_USER``, else the login name, else ``unknown``."""
    try:
        return os.environ.get("KCOMPILE_USER") or getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return "unknown"


def pause_for_tests(var: str) -> None:
    """A test hook: when ``var`` holds seconds, write ``$var_MARKER`` (if set) and sleep,
    inside the open transaction, so tests can kill a real process there."""
    delay = os.environ.get(var)
    if delay:
        marker = os.environ.get(var + "_MARKER")
        if marker:
            Path(marker).write_text("paused\n")
        time.sleep(float(delay))


def note(message: str) -> None:
    print(f"kcompile: {message}", file=sys.stderr)
