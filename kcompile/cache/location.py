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
    from .. import __version__

    try:
        info = f"kcompile-{__version__}.dist-info"  # what pip names it: no listing of site-packages
        if not os.path.isdir(os.path.join(site, info)):
            infos = [n for n in os.listdir(site) if n.startswith("kcompile-") and n.endswith(".dist-info")]
            if len(infos) != 1:
                return None
            info = infos[0]
        with open(os.path.join(site, info, "RECORD"), "rb") as f:
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
    """The git top-level above ``start`` (the nearest ancestor holding ``.git``); else the
    current directory if ``start`` is below it; else ``start`` itself (real paths). It
    decides where state goes, never what a build reads or produces."""
    start = os.path.realpath(start)
    top = git_toplevel_of(start)
    if top is not None:
        return top
    cwd = os.path.realpath(os.getcwd())
    if start == cwd or start.startswith(cwd.rstrip("/") + "/"):
        return cwd
    return start


def git_toplevel_of(path: str) -> str | None:
    """The nearest ancestor of the real ``path`` holding ``.git`` (a work tree's top), or None."""
    d = path
    while True:
        if os.path.lexists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


# -- the user's cache directory -------------------------------------------------------------

_ROOTS: dict[tuple, str | None] = {}


def cache_root() -> str | None:
    """The directory kcompile's caches live in: ``$KCOMPILE_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/kcompile``, else ``~/.cache/kcompile`` — never the repository.

    Created 0700; an existing one owned by this user is made 0700 if others could enter
    it. Refused (an error) when another user owns it or git tracks files in it (a
    repository must never be able to plant entries). None when it cannot be created (a
    read-only home): builds then run without caches."""
    from ..errors import KcompileError

    configured = os.environ.get("KCOMPILE_CACHE_DIR")
    if configured:
        where = configured
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        where = os.path.join(base, "kcompile")
    memo = (where, os.getcwd())
    if memo in _ROOTS:
        return _ROOTS[memo]
    root: str | None = os.path.realpath(os.path.abspath(where))
    try:
        os.makedirs(os.path.dirname(root), exist_ok=True)
        try:
            os.mkdir(root, 0o700)
        except FileExistsError:
            pass
        st = os.stat(root)
    except OSError:
        root = None
    else:
        import stat

        if not stat.S_ISDIR(st.st_mode):
            raise KcompileError(f"cache directory {where} is not a directory (set KCOMPILE_CACHE_DIR, or --no-cache)")
        if st.st_uid != os.geteuid():
            raise KcompileError(f"cache directory {where} belongs to another user: refusing to use it "
                                "(set KCOMPILE_CACHE_DIR, or --no-cache)")
        if tracked_by_git(root):
            raise KcompileError(f"cache directory {where} holds files tracked by git: refusing to use it "
                                "(caches belong outside the repository; set KCOMPILE_CACHE_DIR, or --no-cache)")
        if stat.S_IMODE(st.st_mode) != 0o700:
            try:
                os.chmod(root, 0o700)
            except OSError:
                root = None
    _ROOTS[memo] = root
    return root


def private_dir(root: str, *parts: str) -> str:
    """``root/part/...``, each directory created 0700 (raises OSError if it cannot be)."""
    path = root
    if not os.path.isdir(root):
        os.makedirs(root, 0o700, exist_ok=True)
    for part in parts:
        path = os.path.join(path, part)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
    return path


def tracked_by_git(path: str) -> bool:
    """Whether git tracks ``path`` or anything below it (False outside a work tree, or
    without git). Runs git only when ``path`` is inside a work tree."""
    top = git_toplevel_of(os.path.realpath(path))
    if top is None:
        return False
    import subprocess

    try:
        proc = subprocess.run(["git", "-C", top, "ls-files", "-z", "--", os.path.realpath(path)],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and bool(proc.stdout)


def state_dir(repo_root: "str | os.PathLike[str]") -> str:
    """``<repo_root>/.kcompile``, where local state goes, checked: not a symlink (state
    must not be written, or read, where the repository points), and nothing in it
    tracked by git. Not created here: whoever writes state creates it 0700."""
    from ..errors import KcompileError

    path = os.path.join(os.fspath(repo_root), ".kcompile")
    if os.path.islink(path):
        raise KcompileError(f"{path} is a symlink: refusing to keep state through it (remove it)")
    check_untracked(path, "state")
    return path


def check_untracked(path: "str | os.PathLike[str]", what: str) -> None:
    """Refuse a state or cache path git tracks (what a commit planted there is untrusted)."""
    from ..errors import KcompileError

    path = os.fspath(path)
    if os.path.lexists(path) and tracked_by_git(path):
        raise KcompileError(f"{what} path {path} is tracked by git: refusing to use it "
                            "(keep it out of the repository, e.g. in .gitignore)")
