"""Writing a build's output: stdout, one file, or one file per object; YAML or JSON.

Everything is rendered in memory first and written atomically (a temporary file or
directory renamed into place), so a failed build never leaves half-written output.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

from ..model import Resource
from .directory import is_directory_target  # noqa: F401  (re-exported)
from ..yaml.write import dump, dump_json

FORMATS = ("yaml", "json")


def render(objects: list[dict[str, Any]], fmt: str = "yaml") -> str:
    """The whole output as text: YAML documents separated by '---', or a JSON List."""
    if fmt == "json":
        return dump_json({"apiVersion": "v1", "kind": "List", "items": objects})
    return "---\n".join(dump(o) for o in objects)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def object_filename(obj: dict[str, Any], fmt: str = "yaml") -> str:
    """``<namespace>/<kind>-<name>.yaml`` (cluster-scoped objects: ``<kind>-<name>.yaml``)."""
    md = obj.get("metadata") or {}
    kind = _UNSAFE.sub("_", str(obj.get("kind", "object")).lower())
    name = _UNSAFE.sub("_", str(md.get("name", "")))
    ns = md.get("namespace")
    ext = "json" if fmt == "json" else "yaml"
    base = f"{kind}-{name}.{ext}"
    return f"{_safe_component(str(ns))}/{base}" if ns else base


def _safe_component(text: str) -> str:
    """A namespace as a directory name: never '.', '..' or hidden (a namespace '..' must
    not put files outside the output directory)."""
    text = _UNSAFE.sub("_", text)
    return "_" + text[1:] if text.startswith(".") else text


def umask() -> int:
    """The process umask (new output files get ``0666 & ~umask``, as a shell creates them)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str | bytes, mode: int | None = None) -> None:
    """Replace the file ``path`` by one holding ``text``: written beside it and renamed
    over it (a symlink at ``path`` is replaced, not followed). It keeps the mode of the
    regular file it replaces (``mode``, when given, else ``path``'s); a new one follows
    the umask."""
    if mode is None:
        try:
            st = os.lstat(path)
            mode = st.st_mode & 0o7777 if stat.S_ISREG(st.st_mode) else None
        except FileNotFoundError:
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_beside(path)
    try:
        os.fchmod(fd, mode if mode is not None else 0o666 & ~umask())
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _create_beside(path: Path) -> tuple[int, str]:
    """A new file (mode 0600, never an existing one) in ``path``'s directory, hidden:
    what ``tempfile.mkstemp`` does, without importing it on every build that writes a
    cache entry."""
    while True:
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600), tmp
        except FileExistsError:
            continue


def write_output_file(output: str, text: str | bytes) -> None:
    """``-o FILE``: as a shell redirect would, but atomically where that is possible. A
    symlink is followed; a regular file there (or none) is replaced by a rename, keeping
    its mode; anything else (``/dev/null``, ``/dev/stdout``, a FIFO) is written through."""
    from ..errors import KcompileError

    try:
        st = os.stat(output)  # through symlinks (/dev/stdout is one, to /proc/self/fd/1)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise KcompileError(f"cannot write {output}: {e.strerror}") from None
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise KcompileError(f"cannot write {output}: it is a directory (use {output}/ for one file per object)")
            with open(output, "wb") as f:
                f.write(data)
            return
        # a regular file, or none yet: replaced where the symlinks lead, the links kept
        write_atomic(Path(os.path.realpath(output)), data, st.st_mode & 0o7777 if st is not None else None)
    except OSError as e:
        raise KcompileError(f"cannot write {output}: {e.strerror}") from None


def per_object_files(objects: list[dict[str, Any]], fmt: str = "yaml") -> list[tuple[str, str]]:
    """One ``(relative path, text)`` per object, for ``-o DIR/``."""
    names: dict[str, int] = {}
    files = []
    for o in objects:
        rel = object_filename(o, fmt)
        if rel in names:  # same kind/name in one namespace, different groups
            names[rel] += 1
            stem, ext = rel.rsplit(".", 1)
            rel = f"{stem}-{names[rel]}.{ext}"
        else:
            names[rel] = 1
        files.append((rel, dump_json(o) if fmt == "json" else dump(o)))
    return files


def emit(resources: list[Resource], output: str | None, fmt: str = "yaml") -> None:
    """Write a build's objects to stdout (``output`` None or '-'), a file, or a directory
    (``output`` ending in '/' or naming an existing directory)."""
    objects = [r.body for r in resources]
    if output in (None, "-"):
        sys.stdout.write(render(objects, fmt))
        sys.stdout.flush()
        return
    assert output is not None
    if is_directory_target(output):
        from .directory import write_directory

        write_directory(output, per_object_files(objects, fmt))
        return
    write_output_file(output, render(objects, fmt))
