"""YAML scalar rules shared by both readers and the writer: what a plain scalar means.

go-yaml v3's rules (what Kustomize reads with): YAML 1.2 booleans and nulls, Go's integer
syntax with 1.1 octals, no implicit timestamps. Numbers can remember how they were
written (:class:`TextInt`, :class:`TextFloat`), since Kustomize reads many fields as
strings. Owns no parser and no I/O: the fast reader (:mod:`kcompile.yaml.fast`), the
libyaml reader (:mod:`kcompile.yaml.libyaml`) and the writer all import it, none of them
imports another.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

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


def resolve_plain(value: str) -> Any:
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


def go_folded(value: str) -> str:
    """A ``>`` folded block scalar's value as go-yaml v3 reads it, from the value YAML's
    rules give (libyaml's, yaml-rs'): go-yaml keeps one more line break before a
    more-indented line (one starting with a space or tab) that follows other text,
    directly or across empty lines. Kustomize outputs that value."""
    if "\n " not in value and "\n\t" not in value:
        return value
    parts = value.split("\n")
    out = [parts[0]]
    text_before = bool(parts[0])
    more_before = parts[0][:1] in (" ", "\t")
    for part in parts[1:]:
        if part[:1] in (" ", "\t"):
            if text_before and not more_before:
                out.append("")
            more_before = text_before = True
        elif part:
            more_before, text_before = False, True
        out.append(part)
    return "\n".join(out)


class Document:
    """One parsed YAML document: its data and the 1-based line it starts on."""

    __slots__ = ("data", "line", "index")

    def __init__(self, data: Any, line: int, index: int) -> None:
        self.data = data
        self.line = line
        self.index = index


def format_float(value: float) -> str:
    """Floats as Kustomize writes them (Go's JSON rules): integral ones as integers."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


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
