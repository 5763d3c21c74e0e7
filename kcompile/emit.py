"""Writing a build's output: stdout, one file, or one file per object; YAML or JSON.

Everything is rendered in memory first and written atomically (a temporary file or
directory renamed into place), so a failed build never leaves half-written output.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Iterable

from .errors import KcompileError
from .model import Resource
from .yamlio import dump, dump_json

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
    return f"{_UNSAFE.sub('_', ns)}/{base}" if ns else base


def write_atomic(path: Path, text: str) -> None:
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


STAMP = ".kcompile-stamp"


def _stamp_of(directory: Path, files: list[tuple[str, str]]) -> str | None:
    """A record of what kcompile last wrote to ``directory``: the content digest and each
    file's size and mtime. If it still holds, rewriting the directory would change nothing."""
    from _blake2 import blake2b

    h = blake2b(digest_size=20)
    for rel, text in files:
        h.update(rel.encode() + b"\0" + text.encode() + b"\0")
    parts = [h.hexdigest()]
    for rel, _ in sorted(files):
        try:
            st = os.stat(directory / rel)
        except OSError:
            return None
        parts.append(f"{rel}\t{st.st_size}\t{st.st_mtime_ns}")
    return "\n".join(parts) + "\n"


def _unchanged(directory: Path, files: list[tuple[str, str]]) -> bool:
    try:
        recorded = (directory / STAMP).read_text(encoding="utf-8")
    except OSError:
        return False
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
    if present != {rel for rel, _ in files} | {STAMP}:
        return False
    return _stamp_of(directory, files) == recorded


def write_directory(directory: Path, files: Iterable[tuple[str, str]]) -> None:
    """Replace ``directory`` by one holding exactly ``files`` (stale files disappear).

    The new tree is written beside the old one and swapped in with renames. A stamp file
    records what was written, so an unchanged directory is left alone.
    """
    import shutil
    import tempfile

    files = list(files)
    directory = directory.resolve()
    if _unchanged(directory, files):
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new.", dir=directory.parent))
    try:
        made: set[Path] = {staging}
        for rel, text in files:
            target = staging / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
        stamp = _stamp_of(staging, files)
        if stamp:
            (staging / STAMP).write_text(stamp, encoding="utf-8")
        old = None
        if directory.exists():
            if not directory.is_dir():
                raise KcompileError(f"{directory} exists and is not a directory")
            old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old.", dir=directory.parent))
            os.rmdir(old)
            os.replace(directory, old)
        os.replace(staging, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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


def is_directory_target(output: str) -> bool:
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def directory_differences(directory: Path, files: list[tuple[str, str]]) -> list[str]:
    """How ``directory`` differs from ``files``: changed, missing and stale paths."""
    expected = dict(files)
    found: dict[str, Path] = {}
    if directory.is_dir():
        for p in directory.rglob("*"):
            if p.is_file() and p.name != STAMP:
                found[p.relative_to(directory).as_posix()] = p
    diffs = []
    for rel, text in sorted(expected.items()):
        p = found.get(rel)
        if p is None:
            diffs.append(f"missing: {directory / rel}")
        elif p.read_text(encoding="utf-8") != text:
            diffs.append(f"changed: {directory / rel}")
    for rel in sorted(set(found) - set(expected)):
        diffs.append(f"stale: {directory / rel}")
    return diffs


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
        write_directory(Path(output), per_object_files(objects, fmt))
        return
    write_atomic(Path(output), render(objects, fmt))
