"""Running kcompile as a user does, in a scratch repository, and checking that a bad
input fails cleanly: exit 1, one ``kcompile: error: FILE:LINE: message`` line, no
traceback, no secret value, and not one file changed (``.git`` included)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hunter2-s3cr3t"  # cases put this where a Secret's value goes; it must never be shown


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def tree_digest(root: Path) -> str:
    """A digest of every path, type, mode and content under ``root`` (symlinks and
    special files by what they are, never followed or read); content-keyed caches of
    what was read, where the build keeps them in the tree, excepted."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.relpath(dirpath, root) == ".kcompile" and "cache" in dirnames:
            dirnames.remove("cache")
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            if dirpath == str(root) and name == ".kcompile":
                continue  # its contents count, not whether a cache created it
            st = os.lstat(p)
            h.update(f"{os.path.relpath(p, root)}\0{st.st_mode}\0".encode())
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            elif os.path.isfile(p) and not os.path.islink(p) and (st.st_mode & 0o170000) == 0o100000:
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def kcompile(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith("KCOMPILE_")}
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "kcompile", *argv], cwd=cwd, capture_output=True,
                          text=True, errors="replace", timeout=timeout, env=e)


def assert_clean_failure(proc: subprocess.CompletedProcess, location: str | None, fragment: str) -> str:
    """The run failed as a user error should; returns the error line."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "internal error" not in proc.stderr, proc.stderr[-2000:]
    assert SECRET not in proc.stderr + proc.stdout
    line = proc.stderr.strip().splitlines()[-1]
    prefix = f"kcompile: error: {location}: " if location else "kcompile: error: "
    assert line.startswith(prefix), line
    assert fragment in line, line
    return line
