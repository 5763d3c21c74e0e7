"""Compiled templates, cached: the Python source Jinja2 generates for each template.

Jinja2 parses a template and generates a Python module for it; on a chart of a dozen
templates that is most of a render's time. The generated source is kept in the user's
cache directory (:class:`TemplateEntries`: content-verified entries, files 0600 in
directories 0700) under a key of the template's text, its name, the Jinja2
version and the kcompile code (which fixes the environment's options, filters and code
generator). A hit is Python source whose entry verified against its key and digest; it is
compiled by Python and run like the source Jinja2 would have generated. Nothing is
unpickled, nothing is read from the repository, and Jinja2's own bytecode cache (pickle)
is not used.
"""

from __future__ import annotations

import os
from types import CodeType
from typing import Any


def template_key(source: str, name: str | None) -> str:
    """The cache key of a template's generated code."""
    from _blake2 import blake2b

    import jinja2

    from ..cache.location import code_fingerprint

    h = blake2b(digest_size=20)
    h.update(f"jinja-{jinja2.__version__}\0{code_fingerprint()}\0{name or ''}\0".encode())
    h.update(source.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class TemplateEntries:
    """Generated template source under ``cache_dir/templates``: each entry holds its key and
    a digest of key and source, so a damaged, truncated or foreign entry is a miss."""

    def __init__(self, cache_dir: "str | os.PathLike[str]") -> None:
        self.directory = os.path.join(os.fspath(cache_dir), "templates")

    def get(self, key: str) -> bytes | None:
        try:
            with open(os.path.join(self.directory, key[:2], key), "rb") as f:
                data = f.read()
        except OSError:
            return None
        head, sep, payload = data.partition(b"\n")
        return payload if sep and head == _head(key, payload) else None

    def put(self, key: str, payload: bytes) -> None:
        import tempfile

        directory = os.path.join(self.directory, key[:2])
        try:
            os.makedirs(directory, 0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")  # mode 0600
            with os.fdopen(fd, "wb") as f:
                f.write(_head(key, payload) + b"\n" + payload)
            os.replace(tmp, os.path.join(directory, key))
        except OSError:
            pass  # a cache only saves time


def _head(key: str, payload: bytes) -> bytes:
    from _blake2 import blake2b

    return f"kcompile-template {key} ".encode() + blake2b(payload, key=key.encode()[:64], digest_size=20).hexdigest().encode()


def compiled_code(env: Any, source: str, name: str | None, filename: str, entries: Any) -> CodeType:
    """The code object of template ``name`` (its text ``source``; None for a string given
    to ``tpl``), from ``entries`` when they hold its generated source, else compiled by
    ``env`` and stored there."""
    key = template_key(source, name) if entries is not None else None
    python = None
    if key is not None:
        payload = entries.get(key)
        if payload is not None:
            try:
                python = payload.decode("utf-8")
            except UnicodeDecodeError:
                python = None
    if python is None:
        python = env.compile(source, name, filename, raw=True)  # TemplateSyntaxError names file and line
        if key is not None:
            entries.put(key, python.encode("utf-8"))
    return compile(python, filename, "exec")
