"""File-system failures of a state store, said as what they are.

A read-only or full file system must read "cannot write …: read-only file system" or "…: no
space left on device", never "not a readable state database" (which would send the user to
delete a history that is fine).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..errors import KcompileError

_REASONS = {
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a path component is not a directory",
    errno.EISDIR: "is a directory",
}


def os_error(e: OSError, path: Path, doing: str = "write") -> KcompileError:
    """``cannot write PATH: reason`` for an OSError while writing ``path``."""
    reason = _REASONS.get(e.errno or 0) or e.strerror or str(e)
    if e.errno == errno.EEXIST and path.exists() and not path.is_dir():
        reason = f"{path.name} is a file, not a directory"
    return KcompileError(f"cannot {doing} {path}: {reason}; nothing was recorded", path)


def why_not_writable(path: Path) -> str | None:
    """Why ``path`` (a file that may not exist yet) cannot be written: "read-only file
    system", "permission denied", …; None if it can. access(2) answers EROFS for a
    read-only mount even for root, so this is right where a chmod would not be."""
    target = path if path.exists() else path.parent
    while not target.exists():
        target = target.parent
    try:
        if os.access(target, os.W_OK):
            return None
    except OSError:
        return None
    try:  # access() said no: ask the file system why, by the errno of a real attempt
        if target.is_dir():
            fd = os.open(str(target), os.O_RDONLY)
            os.close(fd)
            probe = target / f".kcompile-probe-{os.getpid()}"
            fd = os.open(str(probe), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            os.unlink(probe)
        else:
            fd = os.open(str(target), os.O_WRONLY)
            os.close(fd)
    except OSError as e:
        return _REASONS.get(e.errno or 0) or e.strerror or str(e)
    return None


def sqlite_write_failure(message: str, path: Path | None = None) -> str | None:
    """The plain reason behind an SQLite error message about writing, if it is one. SQLite
    reports a write that found no room as "disk I/O error" when it was a WAL or journal
    write: the file system's free space tells which it was."""
    m = message.lower()
    if "readonly" in m or "read-only" in m:
        return "read-only file system"
    if "disk is full" in m or "database or disk is full" in m:
        return "no space left on device"
    if "disk i/o error" in m:
        if path is not None and _nearly_full(path):
            return "no space left on device"
        return "input/output error (failing disk?)"
    return None


def _nearly_full(path: Path) -> bool:
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20
