"""Writing a build's output: stdout, one file, or one file per object; YAML or JSON.

Everything is rendered in memory first and written atomically (a temporary file or
directory renamed into place), so a failed build never leaves half-written output.
"""

from __future__ import annotations

import os
import re
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
    write_atomic(Path(output), render(objects, fmt))
