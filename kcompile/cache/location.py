"""Where kcompile's caches live, and fingerprints of what wrote them.

Every cache entry is only as good as the code (and the Kubernetes schemas) that made it;
their fingerprints are part of every cache key. Both are computed once per process.
Plain ``os.path`` here, no ``pathlib``: a run answered from the caches imports little.
"""

from __future__ import annotations

import os
import sys

_CODE: str | None = None
_SCHEMAS: str | None = None


def code_fingerprint() -> str:
    """Identifies the installed kcompile code and the Python version, so caches written
    by other code are never read: a cache entry is only as good as the code that made it.

    An installed wheel is identified by its RECORD (which holds a hash of every file);
    a source checkout (editable install) by every module's size and mtime."""
    global _CODE
    if _CODE is None:
        from _blake2 import blake2b

        h = blake2b(digest_size=12)
        h.update(repr(sys.version_info[:3]).encode())
        package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # kcompile/
        record = _installed_record(package)
        if record is not None:
            h.update(record)
        else:
            for dirpath, _dirs, names in sorted(os.walk(package)):
                for name in sorted(names):
                    if name.endswith(".py"):
                        st = os.stat(os.path.join(dirpath, name))
                        h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        _CODE = h.hexdigest()
    return _CODE


def _installed_record(package: str) -> bytes | None:
    """The RECORD of the wheel that installed ``package``, if it lists this module."""
    site = os.path.dirname(package)
    try:
        infos = [n for n in os.listdir(site) if n.startswith("kcompile-") and n.endswith(".dist-info")]
        if len(infos) != 1:
            return None
        with open(os.path.join(site, infos[0], "RECORD"), "rb") as f:
            record = f.read()
    except OSError:
        return None
    return record if b"kcompile/cache/location.py," in record else None


def schemas_identity() -> str:
    """Identifies the installed Kubernetes schemas (validation results depend on them)."""
    global _SCHEMAS
    if _SCHEMAS is None:
        _SCHEMAS = _find_schemas()
    return _SCHEMAS


def _find_schemas() -> str:
    root = _package_dir("kubernetes_validate")
    if root is None:
        return "none"
    try:
        st = os.stat(os.path.join(root, "version.py"))
        return f"{root}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return str(root)


def _package_dir(name: str) -> str | None:
    """Where ``import name`` would find a regular package, without importing it (and
    without importlib's finders, which list every directory on sys.path: ~4 ms)."""
    for entry in sys.path:
        directory = os.path.join(entry or os.getcwd(), name)
        if os.path.isfile(os.path.join(directory, "__init__.py")):
            return directory
    from importlib.util import find_spec

    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def repo_root_of(start: str) -> str:
    """The nearest ancestor of ``start`` holding ``.git`` or ``.kcompile``; else the
    current directory if ``start`` is below it; else ``start`` itself (real paths)."""
    start = os.path.realpath(start)
    d = start
    while True:
        if os.path.exists(os.path.join(d, ".git")) or os.path.isdir(os.path.join(d, ".kcompile")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    cwd = os.path.realpath(os.getcwd())
    if start == cwd or start.startswith(cwd.rstrip("/") + "/"):
        return cwd
    return start


def default_cache_dir(repo_root: "str | os.PathLike[str]") -> str:
    return os.path.join(repo_root, ".kcompile", "cache")
