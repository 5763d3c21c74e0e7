"""A cache of whole overlay builds, for rebuilding a repository where little changed.

An entry records everything a build read — each file (size, mtime, BLAKE2 digest) and the
listing of each directory it probed or rendered a chart from — plus the options, and the
rendered output. A later build of the same overlay with the same options reuses the output
when every input is unchanged: a stat per file, a digest only when the stat differs. A
build that read secrets from the environment (``envVars``) is never cached. Entries are
written atomically; a damaged one is a miss.

An entry file is ``KCB3``, the length of its metadata (8 bytes, little-endian), the
metadata (marshal: inputs, messages, output layout) and the output bytes. Checking an
entry reads only the metadata; the output stays in the file until it is written out,
where the kernel copies it (``sendfile``) without it passing through Python.
"""

from __future__ import annotations

import marshal
import os

FORMAT = 3
_MAGIC = b"KCB3"
_HEAD = len(_MAGIC) + 8
# Cache hits keep their entry open until written out (so what was checked is what is
# written); past this many, an entry is reopened by name when written.
_MAX_OPEN = 128
_open_count = 0


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
_STATS: dict[str, tuple[int, int] | None] = {}
_LISTINGS: dict[str, list[str]] = {}


def new_run() -> None:
    """Forget remembered stats: call at the start of each command (files may change
    between runs in one process, as in tests)."""
    _STATS.clear()
    _LISTINGS.clear()


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns
    except OSError:
        return None


def _read_at(fd: int, offset: int, length: int) -> bytes:
    chunks = []
    while length > 0:
        chunk = os.pread(fd, length, offset)
        if not chunk:
            raise OSError("cache entry is truncated")
        chunks.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(chunks)


class CachedOutput:
    """A cache hit's output, still in its entry file: ``data()`` reads it, ``write_to()``
    copies it to a file descriptor. ``parts`` splits it into per-object files (``-o DIR/``)."""

    __slots__ = ("path", "offset", "length", "parts", "digest", "_fd")

    def __init__(self, path: str, fd: int | None, offset: int, length: int,
                 parts: list[tuple[str, int]] | None, digest: str | None = None) -> None:
        self.path = path
        self.digest = digest  # output.directory.files_digest of the per-object files
        self._fd = fd
        self.offset = offset
        self.length = length
        self.parts = parts

    def _open(self) -> int:
        global _open_count
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
            _open_count += 1
        return self._fd

    def data(self) -> bytes:
        return _read_at(self._open(), self.offset, self.length)

    def files(self) -> list[tuple[str, str]]:
        data, files, at = self.data(), [], 0
        for rel, n in self.parts or []:
            files.append((rel, data[at:at + n].decode("utf-8")))
            at += n
        return files

    def write_to(self, out_fd: int) -> None:
        fd = self._open()
        offset, left = self.offset, self.length
        try:
            while left > 0 and hasattr(os, "sendfile"):
                sent = os.sendfile(out_fd, fd, offset, left)
                if sent == 0:
                    break
                offset += sent
                left -= sent
        except BrokenPipeError:
            raise
        except OSError:  # a descriptor sendfile cannot write to (O_APPEND, some terminals)
            pass
        if left > 0:
            view = memoryview(_read_at(fd, offset, left))
            while view:
                view = view[os.write(out_fd, view):]

    def close(self) -> None:
        global _open_count
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            _open_count -= 1

    def __del__(self) -> None:
        if self._fd is not None:
            try:
                self.close()
            except (OSError, TypeError):  # at interpreter exit `os` may be gone already
                pass


class BuildCache:
    def __init__(self, cache_dir: str | os.PathLike[str]) -> None:
        self.dir = os.path.join(os.fspath(cache_dir), f"builds-v{FORMAT}")

    @staticmethod
    def key(overlay: str | os.PathLike[str], fingerprint: tuple) -> str:
        from .location import code_fingerprint, schemas_identity

        real = os.path.realpath(overlay)
        return _digest(repr((real, fingerprint, code_fingerprint(), schemas_identity())).encode())

    def _entry(self, key: str) -> str:
        return os.path.join(self.dir, key[:2], key)

    def get(self, key: str) -> tuple[str, CachedOutput] | None:
        """(messages, output) when the entry for ``key`` exists and every input it
        recorded is unchanged; else None."""
        global _open_count
        path = self._entry(key)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        keep = False
        try:
            head = os.read(fd, 65536)
            if head[:len(_MAGIC)] != _MAGIC:
                return None
            end = _HEAD + int.from_bytes(head[len(_MAGIC):_HEAD], "little")
            while len(head) < end:
                more = os.pread(fd, end - len(head), len(head))
                if not more:
                    return None
                head += more
            files, dirs, messages, parts, digest, length = marshal.loads(memoryview(head)[_HEAD:end])
            if os.fstat(fd).st_size != end + length or not _unchanged(files, dirs):
                return None
            keep = _open_count < _MAX_OPEN
            if keep:
                _open_count += 1
            return messages, CachedOutput(path, fd if keep else None, end, length, parts, digest)
        except (OSError, EOFError, ValueError, TypeError):
            return None
        finally:
            if not keep:
                os.close(fd)

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
                size, mtime, data = seen[p]
                recorded[p] = (p, size, mtime, _digest(data))
                continue
            try:
                with open(p, "rb") as f:
                    st = os.fstat(f.fileno())
                    recorded[p] = (p, st.st_size, st.st_mtime_ns, _digest(f.read()))
            except OSError:
                return
        if files is not None:
            from ..output.directory import files_digest

            encoded = [(rel, body.encode("utf-8")) for rel, body in files]
            payload = b"".join(body for _rel, body in encoded)
            parts: list[tuple[str, int]] | None = [(rel, len(body)) for rel, body in encoded]
            digest = files_digest(encoded)
        else:
            payload, parts, digest = (text or "").encode("utf-8"), None, None
        try:
            meta = marshal.dumps((list(recorded.values()), dirs, messages, parts, digest, len(payload)))
            target = self._entry(key)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = os.path.join(os.path.dirname(target), f".{key}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                f.write(_MAGIC + len(meta).to_bytes(8, "little"))
                f.write(meta)
                f.write(payload)
            os.replace(tmp, target)
        except (OSError, ValueError):
            pass


def _unchanged(files: list, dirs: list) -> bool:
    stats = _STATS
    for path, size, mtime, digest in files:
        st = stats.get(path, False)
        if st is False:
            st = stats[path] = _stat(path)
        if st is None or st[0] != size:
            return False
        if st[1] != mtime:
            try:
                with open(path, "rb") as f:
                    if _digest(f.read()) != digest:
                        return False
            except OSError:
                return False
    for path, recorded in dirs:
        current = _LISTINGS.get(path)
        if current is None:
            current = _LISTINGS[path] = listing(path)
        if current != recorded:
            return False
    return True
