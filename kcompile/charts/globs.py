"""Path patterns as Helm matches them, without backtracking.

Two dialects: ``.Files.Glob`` patterns (gobwas/glob with ``/`` as separator: ``*`` and
``?`` stop at ``/``, ``**`` crosses it, ``[abc]``, ``[!a-z]``, ``{a,b}``, ``\\`` escapes)
and ``.helmignore`` rules (Go's ``filepath.Match``: the same without ``**`` and braces,
``[^a-z]`` negates). A chart may come from a third party, so patterns are matched by
simulating the automaton over the path (time linear in pattern × path), never by a
backtracking regular expression, and brace alternatives are bounded.
"""

from __future__ import annotations

MAX_ALTERNATIVES = 256  # brace expansions of one pattern

# tokens: ("lit", c) | ("one",) | ("star",) | ("super",) | ("class", negate, ((lo, hi), ...))
Token = tuple


class PatternError(ValueError):
    """A pattern that does not compile (its message says why)."""


class Pattern:
    """A compiled pattern: :meth:`match` says whether a whole path matches it."""

    def __init__(self, text: str, *, glob: bool) -> None:
        self.text = text
        self.alternatives = [_tokens(alt, glob) for alt in (_braces(text) if glob else [text])]

    def match(self, path: str) -> bool:
        return any(_run(tokens, path) for tokens in self.alternatives)


def _braces(text: str) -> list[str]:
    """``a{b,c}d`` -> ``abd``, ``acd`` (nested braces too); escapes are kept for the tokenizer."""
    out = [""]
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out = [o + text[i:i + 2] for o in out]
            i += 2
            continue
        if c == "{":
            depth, j, parts, start = 1, i + 1, [], i + 1
            while j < len(text) and depth:
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                elif text[j] == "," and depth == 1:
                    parts.append(text[start:j])
                    start = j + 1
                j += 1
            if depth:
                raise PatternError(f"unclosed '{{' in pattern {text!r}")
            parts.append(text[start:j])
            choices = [alt for part in parts for alt in _braces(part)]
            out = [o + alt for o in out for alt in choices]
            if len(out) > MAX_ALTERNATIVES:
                raise PatternError(f"pattern {text!r} has more than {MAX_ALTERNATIVES} brace alternatives")
            i = j + 1
            continue
        out = [o + c for o in out]
        i += 1
    return out


def _tokens(text: str, glob: bool) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text):
                raise PatternError(f"pattern {text!r} ends with an escape")
            tokens.append(("lit", text[i + 1]))
            i += 2
        elif c == "*":
            if glob and text.startswith("**", i):
                tokens.append(("super",))
                i += 2
            else:
                tokens.append(("star",))
                i += 1
            while i < len(text) and text[i] == "*":  # a run of stars is one
                i += 1
        elif c == "?":
            tokens.append(("one",))
            i += 1
        elif c == "[":
            token, i = _char_class(text, i + 1, "!" if glob else "^")
            tokens.append(token)
        else:
            tokens.append(("lit", c))
            i += 1
    return tokens


def _char_class(text: str, i: int, negation: str) -> tuple[Token, int]:
    negate = i < len(text) and text[i] == negation
    i += negate
    ranges = []
    first = True
    while True:
        if i >= len(text):
            raise PatternError(f"unclosed '[' in pattern {text!r}")
        if text[i] == "]" and not first:
            return ("class", negate, tuple(ranges)), i + 1
        lo, i = _class_char(text, i)
        hi = lo
        if i + 1 < len(text) and text[i] == "-" and text[i + 1] != "]":
            hi, i = _class_char(text, i + 1)
        ranges.append((lo, hi))
        first = False


def _class_char(text: str, i: int) -> tuple[str, int]:
    if text[i] == "\\":
        if i + 1 >= len(text):
            raise PatternError(f"pattern {text!r} ends with an escape")
        return text[i + 1], i + 2
    return text[i], i + 1


def _closure(tokens: list[Token], states: set[int]) -> set[int]:
    """States with every star skipped (a star may match nothing)."""
    todo = list(states)
    while todo:
        i = todo.pop()
        if i < len(tokens) and tokens[i][0] in ("star", "super") and i + 1 not in states:
            states.add(i + 1)
            todo.append(i + 1)
    return states


def _run(tokens: list[Token], path: str) -> bool:
    states = _closure(tokens, {0})
    for c in path:
        nxt: set[int] = set()
        for i in states:
            if i == len(tokens):
                continue
            t = tokens[i]
            kind = t[0]
            if kind == "lit":
                if c == t[1]:
                    nxt.add(i + 1)
            elif kind == "star":
                if c != "/":
                    nxt.add(i)
            elif kind == "super":
                nxt.add(i)
            elif c != "/":
                if kind == "one" or any(lo <= c <= hi for lo, hi in t[2]) != t[1]:
                    nxt.add(i + 1)
        if not nxt:
            return False
        states = _closure(tokens, nxt)
    return len(tokens) in states
