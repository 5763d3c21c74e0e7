"""YAML in and out, for JSON-shaped data.

Reading uses libyaml (PyYAML's C parser) with scalar resolution that matches what
Kustomize does (go-yaml v3: YAML 1.2 booleans and nulls, Go's integer syntax with 1.1
octals, no implicit timestamps), rejects duplicate keys, and bounds alias expansion.

Writing is a small emitter of our own, because the product's output rules are a policy
no library implements as one switch: keys sorted, block style, literal blocks for
multi-line strings, and *every* string that a YAML 1.1 or 1.2 reader could take for a
non-string double-quoted. Emitting JSON-shaped data is simple and this is several times
faster than PyYAML's Python representer/serializer (see docs/decisions.md).
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

# How much an alias may multiply a document: expanded node count is bounded by
# max(ALIAS_MIN_BUDGET, ALIAS_RATIO * distinct nodes). A billion-laughs file fails fast.
ALIAS_MIN_BUDGET = 100_000
ALIAS_RATIO = 10

_NULL_WORDS = {"", "~", "null", "Null", "NULL"}
_BOOL_WORDS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_FLOAT_WORDS = {
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
}
# go-yaml v3's float syntax (after underscores are removed).
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_INT = re.compile(r"[-+]?(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_NUMBER_START = frozenset("0123456789+-.")
_MAX_INT_TEXT = 67  # '-0b' and 64 binary digits: the longest 64-bit integer Go reads

# Characters no YAML reader accepts (go-yaml and libyaml alike: "control characters
# are not allowed"): C0 controls but tab and line breaks, DEL, C1 controls but NEL,
# U+FFFE and U+FFFF. A NUL must not silently end a document.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# How deeply collections may nest. Kubernetes objects nest a few dozen levels at most;
# every stage after reading (merging, validation, writing) may then recurse safely.
MAX_DEPTH = 256


def _resolve_plain(value: str) -> Any:
    """Resolve an unquoted scalar as go-yaml v3 does; a str result means 'a string'."""
    if value in _NULL_WORDS:
        return None
    b = _BOOL_WORDS.get(value)
    if b is not None:
        return b
    if value[0] not in _NUMBER_START:
        return value
    f = _FLOAT_WORDS.get(value)
    if f is not None:
        return f
    plain = value.replace("_", "")
    # An integer that fits no 64-bit type is read as a float, as Go's resolver does;
    # one with more digits than any 64-bit integer has is never converted to an int at
    # all (converting thousands of digits is slow, and refused past 4300 of them).
    if len(plain) <= _MAX_INT_TEXT and _GO_INT.fullmatch(plain):
        sign = -1 if plain[0] == "-" else 1
        digits = plain.lstrip("+-")
        if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xXoObB":
            n = int(digits, 8)  # Go's base-0 rule: a leading 0 is octal
        else:
            n = int(digits, 0)
        n *= sign
        if -(2**63) <= n < 2**64:
            return n
    if _GO_FLOAT.fullmatch(plain):
        f = float(plain)
        # Go's ParseFloat fails on overflow, so the scalar stays a string (Kustomize
        # writes it back as it was)
        return f if not math.isinf(f) else value
    return value


class TextInt(int):
    """An int read from a plain scalar, remembering how it was written (``0755``)."""

    text: str


class TextFloat(float):
    """A float read from a plain scalar, remembering how it was written (``1.10``)."""

    text: str


def as_text(value: Any) -> str:
    """A scalar as the string a Go program reading it into a string field would see.

    Kustomize reads kustomization fields typed: ``newTag: 1.10`` is the string "1.10",
    not a float. Values loaded with ``keep_text=True`` remember their text.
    """
    if isinstance(value, str):
        return value
    text = getattr(value, "text", None)
    if text is not None:
        return text
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return format_float(value)
    return str(value)


class Document:
    """One parsed YAML document: its data and the 1-based line it starts on."""

    __slots__ = ("data", "line", "index")

    def __init__(self, data: Any, line: int, index: int) -> None:
        self.data = data
        self.line = line
        self.index = index


def load_documents(text: str, filename: str | None = None, keep_text: bool = False) -> list[Document]:
    """Parse every document of a YAML stream. Empty documents are skipped.

    With ``keep_text``, numbers remember how they were written (see :func:`as_text`).
    Raises :class:`KcompileError` with the file and line of the problem. The parser
    (PyYAML, ~15 ms to import) is loaded on first use only, and only for texts the
    faster yaml-rs path (:mod:`kcompile._fastyaml`) cannot read exactly as it would.
    """
    from ._fastyaml import load_documents as fast

    check_characters(text, filename)
    docs = fast(text, keep_text)
    if docs is None:
        from ._yamlload import load_documents as parse

        docs = parse(text, filename, keep_text)
    if _may_nest_deeply(text):
        for doc in docs:
            _check_depth(doc, filename)
    return docs


def check_characters(text: str, filename: str | None) -> None:
    """Refuse characters YAML does not allow (see ``_NOT_PRINTABLE``), naming the line
    and the character's code point, never the text around it (it may be a secret)."""
    if text.isascii():
        if not text.encode("ascii").translate(None, _PRINTABLE_ASCII):
            return
    elif _NOT_PRINTABLE.search(text) is None:
        return
    m = _NOT_PRINTABLE.search(text)
    assert m is not None
    from .errors import KcompileError

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


def _check_depth(doc: "Document", filename: str | None) -> None:
    stack: list[tuple[Any, int]] = [(doc.data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            from .errors import KcompileError

            raise KcompileError(f"YAML document is nested more than {MAX_DEPTH} levels deep", filename, doc.line)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))


def load_one(text: str, filename: str | None = None, keep_text: bool = False) -> Any:
    """Parse a single-document YAML file; an empty file gives ``None``."""
    docs = load_documents(text, filename, keep_text)
    if len(docs) > 1:
        from .errors import KcompileError

        raise KcompileError("expected one YAML document, found several", filename, docs[1].line)
    return docs[0].data if docs else None


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

# A string may be written plain only if no YAML 1.1 or 1.2 reader could take it for
# anything but that string. Anything that starts like a number and holds only
# characters numbers, times and dates are made of is quoted; so are the 1.1 booleans
# (y/n/yes/no/on/off, any case), null words, and the special floats.
_AMBIGUOUS_WORDS = re.compile(
    r"(?i:y|n|yes|no|on|off|true|false|null|~|[-+]?\.(inf|nan)|<<|=)"
)
_NUMBER_LIKE = re.compile(r"[-+]?[0-9.][0-9a-fA-FxXoO_.:+eE-]*")
_TIMESTAMP_LIKE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?")
# Plain scalars: no indicator at the start, no ': ' or ' #' inside, printable ASCII-ish.
_PLAIN_SAFE = re.compile(
    r"(?![-?:,\[\]{}#&*!|>'\"%@`\s])"  # first character is not an indicator or space
    r"(?:[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff:#]|:(?=[^\s])|(?<=[^\s])#)*"
    r"(?<![\s:])"  # nor ends with a space or colon
)
_PLAIN_SAFE_DASH = re.compile(r"-[^\s\-]")  # '-Xmx1g', '-v' are fine plain
_NEEDS_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff\"\\\\]")
_BLOCK_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]| \n|\t\n")


def is_ambiguous(s: str) -> bool:
    """True if some YAML 1.1/1.2 reader would take the plain scalar ``s`` for a non-string."""
    return bool(
        _AMBIGUOUS_WORDS.fullmatch(s) or _NUMBER_LIKE.fullmatch(s) or _TIMESTAMP_LIKE.fullmatch(s)
    )


def _plain_ok(s: str) -> bool:
    if not s or s[-1] == " " or is_ambiguous(s):
        return False
    if s[0] == "-":
        if not _PLAIN_SAFE_DASH.match(s):
            return False
        return bool(_PLAIN_SAFE.fullmatch("x" + s[1:]))
    return bool(_PLAIN_SAFE.fullmatch(s))


def _double_quoted(s: str) -> str:
    if not _NEEDS_ESCAPE.search(s) and "\n" not in s and "\t" not in s:
        return f'"{s}"'
    import json

    out = json.dumps(s, ensure_ascii=False)
    # json leaves these unescaped; YAML readers treat some as breaks or non-printable.
    return re.sub(
        "[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]", lambda m: f"\\u{ord(m.group()):04x}", out
    )


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value if _plain_ok(value) else _double_quoted(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def format_float(value: float) -> str:
    """Floats as Kustomize writes them (Go's JSON rules): integral ones as integers."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


_KEY_CACHE: dict[str, str] = {}


def _key(k: str) -> str:
    got = _KEY_CACHE.get(k)
    if got is None:
        got = k if _plain_ok(k) else _double_quoted(k)
        if len(_KEY_CACHE) < 10000:
            _KEY_CACHE[k] = got
    return got


def _literal_ok(s: str) -> bool:
    return (
        "\n" in s
        and not s.startswith((" ", "\n", "\t"))
        and not _BLOCK_UNSAFE.search(s)
        and not s.endswith((" ", "\t"))
    )


def _literal(s: str, indent: str) -> str:
    if s.endswith("\n"):
        body = s[:-1]
        chomp = "+" if body.endswith("\n") else ""
        if chomp:
            body = s.rstrip("\n")
            # keep trailing newlines: '|+' writes them as empty lines
            extra = len(s) - len(body) - 1
        else:
            extra = 0
    else:
        body, chomp, extra = s, "-", 0
    lines = body.split("\n")
    out = [f"|{chomp}"]
    for line in lines:
        out.append(f"\n{indent}{line}" if line else "\n")
    out.extend("\n" for _ in range(extra))
    return "".join(out)


def _emit(value: Any, indent: str, out: list[str]) -> None:
    """Append the block form of a dict or list at ``indent`` (each entry on a new line)."""
    if isinstance(value, dict):
        for k in sorted(value):
            v = value[k]
            out.append(f"{indent}{_key(k)}:")
            _emit_value(v, indent, out, in_map=True)
    else:
        for v in value:
            if isinstance(v, dict) and v:
                first = True
                for k in sorted(v):
                    prefix = f"{indent}- " if first else f"{indent}  "
                    first = False
                    out.append(f"{prefix}{_key(k)}:")
                    _emit_value(v[k], indent + "  ", out, in_map=True)
            elif isinstance(v, list) and v:
                sub: list[str] = []
                _emit(v, indent + "  ", sub)
                sub[0] = f"{indent}- " + sub[0][len(indent) + 2:]
                out.extend(sub)
            else:
                out.append(f"{indent}-")
                _emit_value(v, indent, out, in_map=False)


# Finished value lines of single-line strings: manifests repeat most of their strings
# (kinds, API versions, images, label values), and deciding plain vs quoted costs
# several regex matches each.
_VALUE_LINE_CACHE: dict[str, str] = {}


def _emit_value(v: Any, indent: str, out: list[str], in_map: bool) -> None:
    """Finish the line ``out[-1]`` (a key or a dash) with the value ``v``."""
    if type(v) is str:
        got = _VALUE_LINE_CACHE.get(v)
        if got is not None:
            out.append(got)
            return
        if "\n" not in v:
            got = " " + (v if _plain_ok(v) else _double_quoted(v)) + "\n"
            if len(v) <= 256 and len(_VALUE_LINE_CACHE) < 50000:
                _VALUE_LINE_CACHE[v] = got
            out.append(got)
            return
    if isinstance(v, dict):
        if v:
            out.append("\n")
            _emit(v, indent + "  ", out)
            return
        out.append(" {}\n")
    elif isinstance(v, list):
        if v:
            out.append("\n")
            # Sequences inside a mapping are not indented (Kustomize's style).
            _emit(v, indent if in_map else indent + "  ", out)
            return
        out.append(" []\n")
    elif isinstance(v, str) and "\n" in v and _literal_ok(v):
        out.append(" " + _literal(v, indent + "  ") + "\n")
    else:
        out.append(" " + _scalar(v) + "\n")


def dump(value: Any) -> str:
    """One document as block YAML (keys sorted), ending in a newline."""
    if isinstance(value, (dict, list)) and value:
        out: list[str] = []
        _emit(value, "", out)
        return "".join(out)
    if isinstance(value, dict):
        return "{}\n"
    if isinstance(value, list):
        return "[]\n"
    if isinstance(value, str) and "\n" in value and _literal_ok(value):
        return _literal(value, "  ") + "\n"
    return _scalar(value) + "\n"


def dump_all(values: list[Any]) -> str:
    """Several documents separated by ``---`` lines, as Kustomize prints them."""
    return "---\n".join(dump(v) for v in values)


def dump_json(value: Any, indent: int | None = 2) -> str:
    import json

    return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def iter_scalars(value: Any) -> Iterator[Any]:
    """Every scalar in a JSON-shaped value (used by tests and checks)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from iter_scalars(v)
    elif isinstance(value, list):
        for v in value:
            yield from iter_scalars(v)
    else:
        yield value
