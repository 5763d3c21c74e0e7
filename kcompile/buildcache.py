"""A cache of whole overlay builds, for rebuilding a repository where little changed.

An entry records everything a build read — each file (size, mtime, BLAKE2 digest) and the
listing of each directory it probed or rendered a chart from — plus the options, and the
rendered output. A later build of the same overlay with the same options reuses the output
when every input is unchanged: a stat per file, a digest only when the stat differs. A
build that read secrets from the environment (``envVars``) is never cached. Entries are
written atomically; a damaged one is a miss.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

FORMAT = 1


def _digest(data: bytes) -> str:
    from _blake2 import blake2b

    return blake2b(data, digest_size=20).hexdigest()


def _listing(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _tree(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


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
    got = _STATS.get(path, False)
    if got is False:
        try:
            st = os.stat(path)
            got = (st.st_size, st.st_mtime_ns)
        except OSError:
            got = None
        _STATS[path] = got
    return got  # type: ignore[return-value]


class BuildCache:
    def __init__(self, cache_dir: Path) -> None:
        self.dir = cache_dir / f"builds-v{FORMAT}"

    @staticmethod
    def key(overlay: Path, fingerprint: tuple) -> str:
        from .cachedir import code_fingerprint, schemas_identity

        return _digest(repr((str(overlay.resolve()), fingerprint, code_fingerprint(), schemas_identity())).encode())

    def get(self, key: str) -> Any:
        try:
            with open(self.dir / key[:2] / key, "rb") as f:
                entry = marshal.loads(f.read())  # loads(read()): load(f) reads in small pieces, 4x slower
            files, dirs, payload = entry
        except (OSError, EOFError, ValueError, TypeError):
            return None
        for path, size, mtime, digest in files:
            st = _stat(path)
            if st is None or st[0] != size:
                return None
            if st[1] != mtime:
                try:
                    with open(path, "rb") as f:
                        if _digest(f.read()) != digest:
                            return None
                except OSError:
                    return None
        for path, listing in dirs:
            current = _LISTINGS.get(path)
            if current is None:
                current = _LISTINGS[path] = _listing(Path(path))
            if current != listing:
                return None
        return payload

    def put(self, key: str, inputs: tuple, payload: Any) -> None:
        read, listed, env_used = inputs
        if env_used:
            return  # never keep output built from secrets in the environment
        files: dict[str, tuple] = {}
        dirs = []
        paths = set(read)
        for d in listed:
            dirs.append((str(d), _listing(d)))
            if (d / "Chart.yaml").is_file() or (d / "chart.yaml").is_file():
                paths.update(_tree(d))  # a chart renders from all its files
                for sub in {p.parent for p in _tree(d)}:
                    dirs.append((str(sub), _listing(sub)))
        for p in paths:
            try:
                st = os.stat(p)
                with open(p, "rb") as f:
                    files[str(p)] = (str(p), st.st_size, st.st_mtime_ns, _digest(f.read()))
            except OSError:
                return
        try:
            data = marshal.dumps((list(files.values()), dirs, payload))
            target = self.dir / key[:2] / key
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{key}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except (OSError, ValueError):
            pass
