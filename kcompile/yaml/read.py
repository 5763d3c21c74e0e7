"""Reading YAML: the entry points every stage uses to parse a file or a text.

The fast path (yaml-rs, :mod:`kcompile.yaml.fast`) answers when it provably reads the text
as the reference path does; otherwise the reference path (libyaml with go-yaml v3's scalar
rules, :mod:`kcompile.yaml.libyaml`) parses it and reports any error with file and line.
Both are imported on first use only. Knows nothing of files, overlays or resources.
"""

from __future__ import annotations

from typing import Any

from .scalars import Document


def load_documents(text: str, filename: str | None = None, keep_text: bool = False) -> list[Document]:
    """Parse every document of a YAML stream. Empty documents are skipped.

    With ``keep_text``, numbers remember how they were written (see :func:`kcompile.yaml.scalars.as_text`).
    Raises :class:`KcompileError` with the file and line of the problem. The parser
    (PyYAML, ~15 ms to import) is loaded on first use only, and only for texts the
    faster yaml-rs path (:mod:`kcompile.yaml.fast`) cannot read exactly as it would.
    """
    from .fast import load_documents as fast

    docs = fast(text, keep_text)
    if docs is not None:
        return docs
    from .libyaml import load_documents as parse

    return parse(text, filename, keep_text)


def load_one(text: str, filename: str | None = None, keep_text: bool = False) -> Any:
    """Parse a single-document YAML file; an empty file gives ``None``."""
    docs = load_documents(text, filename, keep_text)
    if len(docs) > 1:
        from ..errors import KcompileError

        raise KcompileError("expected one YAML document, found several", filename, docs[1].line)
    return docs[0].data if docs else None
