"""A cache of whole overlay builds, for rebuilding a repository where little changed.

An entry records everything a build read — each file (size, mtime, ctime, inode, BLAKE2
digest) and the listing of each directory it probed or rendered a chart from — plus the
options, and the rendered output. A later build of the same overlay with the same
options reuses the output when every input is unchanged: a stat per file, a digest when
any of the four differs (an edit that restores size and mtime still changes the ctime).
A build that read secrets from the environment (``envVars``) is never cached. Entries
are written atomically (mode 0600, directories 0700).

An entry file is ``KCB4``, a digest (20 bytes) of the entry's key and everything after
the digest, the length of the metadata (8 bytes, little-endian), the metadata (marshal:
inputs, messages, output layout) and the output bytes. The digest is checked before
anything is decoded: a damaged, truncated or foreign entry (another key's) is a miss.
"""

from __future__ import annotations

import marshal
import os

FORMAT = 4
_MAGIC = b"KCB4"
_SUM = 20
_HEAD = len(_MAGIC) + _SUM + 8


def _digest(data: bytes) -> str:
    from _blake2 import blake2b

    return blake2b(data, digest_size=20).hexdigest()


def listing(directory: str | os.PathLike[str]) -> list[str]:
    """A directory's entries, sorted ([] if it cannot be listed): how a listing input is
    recorded and compared."""
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _tree(directory: str) -> list[str]:
    found = []
    for dirpath, dirnames, names in os.walk(directory):
        dirnames.sort()
        found.extend(os.path.join(dirpath, n) for n in names)
    return sorted(found)


# Within one process, a file's stat is checked once however many overlays read it
# (overlays usually share their bases).
_STATS: dict[str, tuple[int, int, int, int] | None] = {}
_LISTINGS: dict[str, list[str]] = {}


def new_run() -> None:
    """Forget remembered stats: call at the start of each command (files may change
    between runs in one process, as in tests)."""
    _STATS.clear()
    _LISTINGS.clear()


def file_identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """What a stat says about a file's content: size, mtime, ctime, inode. An edit that
    keeps size and mtime (``touch -d`` after writing) still changes the ctime, which no
    user can set, and a file replaced by another has a new inode."""
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _stat(path: str) -> tuple[int, int, int, int] | None:
    try:
        return file_identity(os.stat(path))
    except OSError:
        return None


class CachedOutput:
    """A cache hit's output (verified with its entry): ``data()`` is the bytes,
    ``write_to()`` writes them to a file descriptor, ``parts`` splits them into
    per-object files (``-o DIR/``)."""

    __slots__ = ("payload", "parts", "digest", "inputs")

    def __init__(self, payload: memoryview, parts: list[tuple[str, int]] | None, digest: str | None = None,
                 inputs: tuple = ()) -> None:
        self.payload = payload
        self.inputs = inputs  # the real paths the build read and listed
        self.digest = digest  # output.directory.files_digest of the per-object files
        self.parts = parts

    def data(self) -> bytes:
        return bytes(self.payload)

    def files(self) -> list[tuple[str, str]]:
        data, files, at = self.payload, [], 0
        for rel, n in self.parts or []:
            files.append((rel, str(data[at:at + n], "utf-8")))
            at += n
        return files

    def write_to(self, out_fd: int) -> None:
        view = self.payload
        while view:
            view = view[os.write(out_fd, view):]

    def close(self) -> None:
        """Nothing to release (kept for callers that close what they were given)."""


class BuildCache:
    def __init__(self, cache_dir: str | os.PathLike[str]) -> None:
        self.root = os.fspath(cache_dir)
        self.dir = os.path.join(self.root, f"builds-v{FORMAT}")

    @staticmethod
    def key(overlay: str | os.PathLike[str], fingerprint: tuple) -> str:
        from .location import code_fingerprint, schemas_identity

        real = os.path.realpath(overlay)
        return _digest(repr((real, fingerprint, code_fingerprint(), schemas_identity())).encode())

    def _entry(self, key: str) -> str:
        return os.path.join(self.dir, key[:2], key)

    def get(self, key: str) -> tuple[str, CachedOutput] | None:
        """(messages, output) when the entry for ``key`` verifies and every input it
        recorded is unchanged; else None."""
        from .entries import read_whole

        data = read_whole(self._entry(key))
        if data is None or data[:len(_MAGIC)] != _MAGIC or len(data) < _HEAD:
            return None
        view = memoryview(data)
        if _entry_sum(key, view[len(_MAGIC) + _SUM:]) != data[len(_MAGIC):len(_MAGIC) + _SUM]:
            return None
        end = _HEAD + int.from_bytes(view[_HEAD - 8:_HEAD], "little")
        try:
            files, dirs, messages, parts, digest, length = marshal.loads(view[_HEAD:end])
        except (EOFError, ValueError, TypeError):
            return None
        if len(data) != end + length or not _unchanged(files, dirs):
            return None
        inputs = tuple(f[0] for f in files) + tuple(d[0] for d in dirs)
        return messages, CachedOutput(view[end:], parts, digest, inputs)

    def put(self, key: str, inputs: tuple, text: str | None, files: list[tuple[str, str]] | None,
            messages: str) -> None:
        """Record a build's output (``text``, or per-object ``files``) and its inputs."""
        read, listed, env_used, seen = inputs
        if env_used:
            return  # never keep output built from secrets in the environment
        recorded: dict[str, tuple] = {}
        dirs = []
        paths = {os.fspath(p) for p in read}
        for d in map(os.fspath, listed):
            dirs.append((d, listing(d)))
            if os.path.isfile(os.path.join(d, "Chart.yaml")) or os.path.isfile(os.path.join(d, "chart.yaml")):
                tree = _tree(d)
                paths.update(tree)  # a chart renders from all its files
                for sub in sorted({os.path.dirname(p) for p in tree} - {d}):
                    dirs.append((sub, listing(sub)))
        for p in paths:
            if p in seen:  # as the build read it
                identity, data = seen[p]
                recorded[p] = (p, *identity, _digest(data))
                continue
            from .entries import read_whole

            st = _stat(p)
            data = read_whole(p) if st is not None else None
            if data is None:
                return
            recorded[p] = (p, *st, _digest(data))
        if files is not None:
            from ..output.directory import files_digest

            encoded = [(rel, body.encode("utf-8")) for rel, body in files]
            payload = b"".join(body for _rel, body in encoded)
            parts: list[tuple[str, int]] | None = [(rel, len(body)) for rel, body in encoded]
            digest = files_digest(encoded)
        else:
            payload, parts, digest = (text or "").encode("utf-8"), None, None
        try:
            from .entries import write_private
            from .location import private_dir

            meta = marshal.dumps((list(recorded.values()), dirs, messages, parts, digest, len(payload)))
            body = len(meta).to_bytes(8, "little") + meta + payload
            directory = private_dir(self.root, os.path.basename(self.dir), key[:2])
            write_private(directory, key, _MAGIC + _entry_sum(key, body) + body)
        except (OSError, ValueError):
            pass


def _entry_sum(key: str, body: bytes | memoryview) -> bytes:
    """Binds an entry's bytes to its key: a flipped byte or another key's entry differs."""
    from _blake2 import blake2b

    h = blake2b(key.encode(), digest_size=_SUM)
    h.update(body)
    return h.digest()


def _unchanged(files: list, dirs: list) -> bool:
    stats = _STATS
    for path, *identity, digest in files:
        st = stats.get(path, False)
        if st is False:
            st = stats[path] = _stat(path)
        if st is None or st[0] != identity[0]:
            return False
        if tuple(st) != tuple(identity):
            from .entries import read_whole

            data = read_whole(path)
            if data is None or _digest(data) != digest:
                return False
    for path, recorded in dirs:
        current = _LISTINGS.get(path)
        if current is None:
            current = _LISTINGS[path] = listing(path)
        if current != recorded:
            return False
    return True
