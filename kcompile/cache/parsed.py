"""A content-keyed cache of parsed YAML files, in the user's cache directory.

Rebuilding a repository where one file changed should not parse the others again: each
file's documents are stored under the BLAKE2 digest of its text, serialized with
``marshal`` (built in, no import cost, ~20x faster to load than parsing YAML; plain data
only, never pickle). A hit also spares loading the YAML parser at all. Entries are
content-verified (:mod:`.entries`): a damaged or foreign entry is a miss. ``--no-cache``
disables it.
"""

from __future__ import annotations

import marshal
import os
from typing import Any

from .entries import Entries
from .location import code_fingerprint
from ..yaml.read import load_documents
from ..yaml.scalars import Document, TextFloat, TextInt

# Bump when the parsed form changes (resolver rules, Document fields).
FORMAT = 1
_TEXT_NUMBER = "\x00kcompile-number"


def _encode(value: Any) -> Any:
    """Make keep_text numbers marshallable: TextInt(1) -> (tag, 1, '01')."""
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if type(value) in (TextInt, TextFloat):
        return (_TEXT_NUMBER, int(value) if type(value) is TextInt else float(value), value.text)
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, tuple) and len(value) == 3 and value[0] == _TEXT_NUMBER:
        n = (TextInt if isinstance(value[1], int) else TextFloat)(value[1])
        n.text = value[2]
        return n
    return value


class ParseCache:
    """Parsed YAML by content, in the cache directory ``root``; None disables caching."""

    def __init__(self, root: "str | os.PathLike[str] | None") -> None:
        self.entries = Entries(f"parsed-{code_fingerprint()}", root) if root is not None else None
        self.hits = 0
        self.misses = 0

    def load_documents(self, text: str, filename: str, keep_text: bool = False) -> list[Document]:
        if self.entries is None:
            return load_documents(text, filename, keep_text)
        from _blake2 import blake2b

        key = blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
        if keep_text:
            key += "-t"
        payload = self.entries.get(key)
        if payload is not None:
            try:
                stored = marshal.loads(payload)
                docs = [Document(d, line, index) for d, line, index in stored]
                if keep_text:
                    for d in docs:
                        d.data = _decode(d.data)
                self.hits += 1
                return docs
            except (EOFError, ValueError, TypeError):
                pass
        docs = load_documents(text, filename, keep_text)
        self.misses += 1
        try:
            payload = marshal.dumps([(_encode(d.data) if keep_text else d.data, d.line, d.index) for d in docs])
        except ValueError:  # not marshallable (should not happen for parsed YAML)
            return docs
        self.entries.put(key, payload)
        return docs
