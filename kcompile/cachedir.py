"""Where kcompile's caches live, and fingerprints of what wrote them.

Every cache entry is only as good as the code (and the Kubernetes schemas) that made it;
their fingerprints are part of every cache key. Both are computed once per process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_CODE: str | None = None
_SCHEMAS: str | None = None


def code_fingerprint() -> str:
    """Identifies the installed kcompile code (every module's size and mtime) and the
    Python version, so caches written by other code are never read: a cache entry is
    only as good as the code that made it."""
    global _CODE
    if _CODE is None:
        from _blake2 import blake2b

        h = blake2b(digest_size=12)
        h.update(repr(sys.version_info[:3]).encode())
        package = Path(__file__).resolve().parent
        for dirpath, _dirs, names in sorted(os.walk(package)):
            for name in sorted(names):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(dirpath, name))
                    h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        _CODE = h.hexdigest()
    return _CODE


def schemas_identity() -> str:
    """Identifies the installed Kubernetes schemas (validation results depend on them)."""
    global _SCHEMAS
    if _SCHEMAS is None:
        _SCHEMAS = _find_schemas()
    return _SCHEMAS


def _find_schemas() -> str:
    from importlib.util import find_spec

    spec = find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return "none"
    root = Path(list(spec.submodule_search_locations)[0])
    try:
        st = os.stat(root / "version.py")
        return f"{root}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return str(root)


def default_cache_dir(repo_root: Path) -> Path:
    return repo_root / ".kcompile" / "cache"
