"""Compiled templates, cached: the Python source Jinja2 generates for each template.

Jinja2 parses a template and generates a Python module for it; on a chart of a dozen
templates that is most of a render's time. The generated source is kept in the user's
cache directory (``kcompile.cache.entries.Entries("templates")``: content-verified
entries, files 0600 in directories 0700) under a key of the template's text, its name, the Jinja2
version and the kcompile code (which fixes the environment's options, filters and code
generator). A hit is Python source whose entry verified against its key and digest; it is
compiled by Python and run like the source Jinja2 would have generated. Nothing is
unpickled, nothing is read from the repository, and Jinja2's own bytecode cache (pickle)
is not used.
"""

from __future__ import annotations

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
