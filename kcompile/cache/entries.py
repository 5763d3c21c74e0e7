"""Content-verified cache entries: bytes stored under a key, in the user's cache directory.

Each cache (parsed files, rendered charts, compiled templates, schema indexes) is a
:class:`Entries` with its own name. An entry file holds a magic number, its key, a BLAKE2
digest of key and payload, and the payload; reading it checks all three, so a truncated,
corrupted, flipped-byte or foreign entry (one copied from another key) is a miss, never
an error. Nothing is pickled: callers store plain data (``marshal`` of dicts, lists and
strings, or text) and are handed back only bytes that verified. Entries are written to a
temporary file (mode 0600) and renamed into place; directories are 0700.

Usage::

    templates = Entries("templates")           # None-safe: disabled without a cache root
    source = templates.get(key)                 # bytes, or None (a miss)
    templates.put(key, source)
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # no `typing` import (~2 ms) on a run the caches answer
if TYPE_CHECKING:
    from typing import Any

_MAGIC = b"KCE1"
_DIGEST = 20


def _digest(key: bytes, payload: bytes | memoryview) -> bytes:
    from _blake2 import blake2b

    h = blake2b(key, digest_size=_DIGEST)
    h.update(payload)
    return h.digest()


def read_whole(path: str) -> bytes | None:
    """The bytes of a regular file, or None (missing, unreadable, not a regular file)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        chunks, left = [], st.st_size
        while True:
            chunk = os.read(fd, max(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def write_private(directory: str, name: str, data: bytes) -> None:
    """Write ``directory/name`` atomically, mode 0600 (raises OSError)."""
    from pathlib import Path

    from ..output.emit import write_atomic

    write_atomic(Path(directory) / name, data, 0o600)


def seal(key: str, payload: bytes) -> bytes:
    """An entry's bytes: what :func:`unseal` verifies."""
    k = key.encode()
    return _MAGIC + len(k).to_bytes(2, "little") + k + _digest(k, payload) + payload


def unseal(key: str, data: bytes | None) -> bytes | None:
    """The payload of an entry written for ``key``, or None when it is not exactly that."""
    if data is None or data[:len(_MAGIC)] != _MAGIC:
        return None
    k = key.encode()
    at = len(_MAGIC) + 2
    if int.from_bytes(data[len(_MAGIC):at], "little") != len(k) or data[at:at + len(k)] != k:
        return None
    at += len(k)
    claimed, payload = data[at:at + _DIGEST], data[at + _DIGEST:]
    if len(claimed) != _DIGEST or _digest(k, payload) != claimed:
        return None
    return payload


class Entries:
    """One named cache in ``root``, by default the user's cache directory
    (:func:`.location.cache_root`). Disabled (every get a miss, every put ignored) when
    there is no usable cache directory."""

    def __init__(self, name: str, root: "str | os.PathLike[str] | None" = None) -> None:
        if root is None:
            from ..errors import KcompileError
            from .location import cache_root

            try:
                root = cache_root()
            except KcompileError:
                root = None  # refused (the build's own caches say why): run without this one
        self.name = name
        self.root = os.fspath(root) if root is not None else None
        self.directory = os.path.join(self.root, name) if self.root is not None else None

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def path(self, key: str) -> str | None:
        if self.directory is None:
            return None
        return os.path.join(self.directory, key[:2], key)

    def get(self, key: str) -> bytes | None:
        """The payload stored for ``key`` if its entry verifies; else None."""
        path = self.path(key)
        if path is None:
            return None
        return unseal(key, read_whole(path))

    def load(self, key: str) -> Any:
        """The plain data (``marshal``) stored for ``key`` with :meth:`store`, or None
        (a miss, or an entry that does not decode)."""
        payload = self.get(key)
        if payload is None:
            return None
        import marshal

        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def store(self, key: str, value: Any) -> None:
        """Store plain data (dicts, lists, strings, numbers) under ``key``."""
        import marshal

        try:
            payload = marshal.dumps(value)
        except ValueError:  # not plain data: nothing is cached
            return
        self.put(key, payload)

    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key``; failures (read-only, full disk) are ignored:
        a cache only ever saves time."""
        if self.root is None:
            return
        from .location import private_dir

        try:
            directory = private_dir(self.root, self.name, key[:2])
            write_private(directory, key, seal(key, payload))
        except OSError:
            pass
