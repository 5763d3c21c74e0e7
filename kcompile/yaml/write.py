"""Writing YAML and JSON for JSON-shaped data.

A small emitter of our own, because the product's output rules are a policy no library
implements as one switch: keys sorted, block style, literal blocks for multi-line
strings, and *every* string that a YAML 1.1 or 1.2 reader could take for a non-string
double-quoted. Emitting JSON-shaped data is simple and this is several times faster than
PyYAML's Python representer/serializer (see docs/decisions.md). Reading lives in
:mod:`kcompile.yaml.read`; the scalar rules both share in :mod:`kcompile.yaml.scalars`.
"""

from __future__ import annotations

import re
from typing import Any

from .scalars import format_float


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
