"""Reading YAML: the entry points every stage uses to parse a file or a text.

The fast path (yaml-rs, :mod:`kcompile.yaml.fast`) answers when it provably reads the text
as the reference path does; otherwise the reference path (libyaml with go-yaml v3's scalar
rules, :mod:`kcompile.yaml.libyaml`) parses it and reports any error with file and line.
Both are imported on first use only. Knows nothing of files, overlays or resources.
"""

from __future__ import annotations

import re
from typing import Any

from .scalars import Document

# Characters no YAML reader accepts (go-yaml and libyaml alike: "control characters
# are not allowed"): C0 controls but tab and line breaks, DEL, C1 controls but NEL,
# U+FFFE and U+FFFF. A NUL must not silently end a document.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_NOT_PRINTABLE_CLASS = "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
_not_printable: Any = None  # compiled on first use (3 ms: only texts that are not plain ASCII need it)
# How deeply collections may nest. Kubernetes objects nest a few dozen levels at most;
# every stage after reading (merging, validation, writing) may then recurse safely.
MAX_DEPTH = 256


def load_documents(text: str, filename: str | None = None, keep_text: bool = False) -> list[Document]:
    """Parse every document of a YAML stream. Empty documents are skipped.

    With ``keep_text``, numbers remember how they were written (see :func:`kcompile.yaml.scalars.as_text`).
    Raises :class:`KcompileError` with the file and line of the problem. The parser
    (PyYAML, ~15 ms to import) is loaded on first use only, and only for texts the
    faster yaml-rs path (:mod:`kcompile.yaml.fast`) cannot read exactly as it would.
    """
    from .fast import load_documents as fast

    check_characters(text, filename)
    docs = fast(text, keep_text)
    if docs is None:
        from .libyaml import load_documents as parse

        docs = parse(text, filename, keep_text)
    if _may_nest_deeply(text):
        for doc in docs:
            _check_depth(doc, filename)
    return docs


def check_characters(text: str, filename: str | None) -> None:
    """Refuse characters YAML does not allow (see ``_NOT_PRINTABLE_CLASS``), naming the line
    and the character's code point, never the text around it (it may be a secret)."""
    if text.isascii():
        if not text.encode("ascii").translate(None, _PRINTABLE_ASCII):
            return
    else:
        global _not_printable
        if _not_printable is None:
            _not_printable = re.compile(_NOT_PRINTABLE_CLASS)
        if _not_printable.search(text) is None:
            return
    m = re.search(_NOT_PRINTABLE_CLASS, text)
    assert m is not None
    from ..errors import KcompileError

    line = text.count("\n", 0, m.start()) + 1
    column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    raise KcompileError(
        f"invalid YAML: control characters are not allowed (U+{ord(m.group()):04X} at column {column})",
        filename, line,
    )


def _may_nest_deeply(text: str) -> bool:
    """False when ``text`` cannot nest deeper than MAX_DEPTH: block nesting needs
    indentation or '- ' runs on one line, flow nesting needs brackets."""
    return (
        "\n" + " " * 64 in text or "- " * 32 in text or "? " in text or ":\t" in text
        or text.count("[") + text.count("{") >= 64
    )


def _check_depth(doc: Document, filename: str | None) -> None:
    stack: list[tuple[Any, int]] = [(doc.data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            from ..errors import KcompileError

            raise KcompileError(f"YAML document is nested more than {MAX_DEPTH} levels deep", filename, doc.line)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))


def load_one(text: str, filename: str | None = None, keep_text: bool = False) -> Any:
    """Parse a single-document YAML file; an empty file gives ``None``."""
    docs = load_documents(text, filename, keep_text)
    if len(docs) > 1:
        from ..errors import KcompileError

        raise KcompileError("expected one YAML document, found several", filename, docs[1].line)
    return docs[0].data if docs else None
