"""What a chart error may show of rendered text and values: never a Secret's value.

Any value may end up in a Secret, and rendered text that failed to parse cannot be
trusted to say what it is, so the rules are textual and err on the side of hiding:

* :func:`error_context` — the rendered lines around a YAML error. They are shown as they
  are only when the document holding the error is plainly not a Secret (one top-level
  ``kind:`` naming another kind, and the word ``Secret`` nowhere in the document); else
  every line keeps its indentation, list dashes and ``key:``, and whatever follows is
  replaced by ``(sensitive value)`` — block-scalar content (after ``|`` or ``>``) and
  lines that are no ``key:`` are replaced whole; only the top-level ``kind:`` and
  ``apiVersion:`` lines stay as they are.
* :func:`template_message` — a rendering error's text (Jinja's or Python's): a quoted
  word that is not in the template's own source (so it came from values) and is not a
  type name is replaced by ``(sensitive value)``.
"""

from __future__ import annotations

import re

SENSITIVE = "(sensitive value)"

_KIND = re.compile(r"""kind:\s*["']?([^\s"'#]*)["']?\s*(#.*)?$""")
_SEPARATOR = re.compile(r"---(\s|$)")
# indentation and list dashes, then an optional `key:` (plain or quoted), then the rest
_LINE = re.compile(r"""^(?P<head>\s*(?:-(?:\s+|$))*)(?P<key>(?:"[^"]*"|'[^']*'|[^\s'"#:\-][^:#]*?|-[^\s:#][^:#]*?):(?=\s|$))?(?P<rest>.*)$""")
_BLOCK_START = re.compile(r"[|>][-+0-9]*\s*(#.*)?$")


def _document_bounds(lines: list[str], n: int) -> tuple[int, int]:
    """0-based [start, end) of the ``---``-delimited document holding 1-based line ``n``."""
    start, end = 0, len(lines)
    for i in range(min(n, len(lines)) - 1, -1, -1):
        if _SEPARATOR.match(lines[i]):
            start = i + 1
            break
    for i in range(max(n, 1), len(lines)):
        if _SEPARATOR.match(lines[i]):
            end = i
            break
    return start, end


def plainly_not_secret(lines: list[str]) -> bool:
    """One top-level ``kind:`` naming a kind other than Secret, and no ``Secret`` anywhere
    (a List of Secrets, a kind set by a broken line: hidden)."""
    kinds = [m.group(1) for ln in lines if (m := _KIND.match(ln))]
    return len(kinds) == 1 and bool(kinds[0]) and not any("Secret" in ln for ln in lines)


def mask_lines(lines: list[str]) -> list[str]:
    """Each line with its indentation, dashes and ``key:`` kept and the value replaced."""
    out = []
    block_indent: int | None = None  # inside a block scalar: lines deeper than its key
    for ln in lines:
        indent = len(ln) - len(ln.lstrip())
        if block_indent is not None:
            if not ln.strip() or indent > block_indent:
                out.append(ln[:indent] + SENSITIVE if ln.strip() else ln)
                continue
            block_indent = None
        m = _LINE.match(ln)
        head, key, rest = (m.group("head"), m.group("key"), m.group("rest")) if m else ("", None, ln)
        shown = head + (key or "")
        if not indent and key in ("kind:", "apiVersion:"):
            out.append(ln)  # what the document is; never a value
        elif _BLOCK_START.match(rest.strip()) and key is not None:
            block_indent = indent
            out.append(ln)  # `key: |` itself holds no value
        elif rest.strip() and not rest.strip().startswith("#"):
            out.append(shown + (" " if key else "") + SENSITIVE)
        else:
            out.append(shown)
    return out


def error_context(text: str, n: int, before: int = 3, after: int = 2) -> str:
    """The rendered lines around 1-based line ``n``, marked ``>``, values hidden unless
    the document is plainly not a Secret (module docstring)."""
    lines = text.splitlines()
    lo, hi = max(1, n - before), min(len(lines), n + after)
    start, end = _document_bounds(lines, n)
    shown = lines[lo - 1:hi]
    if not plainly_not_secret(lines[start:end]):
        shown = mask_lines(lines[lo - 1:hi])
    return "\n".join(f"{'>' if i == n else ' '} {i:4} | {shown[i - lo]}" for i in range(lo, hi + 1))


_QUOTED = re.compile(r"""'([^']*)'|"([^"]*)\"""")
_TYPE_WORD = re.compile(r"[A-Za-z_][\w.]* object|[A-Za-z_][\w.]*")
_TYPE_NAMES = frozenset(
    "str int float bool dict list tuple set frozenset bytes NoneType None Undefined "
    "StrictUndefined Markup LoopContext Macro range gotpl".split()  # gotpl: helm's root template
)


def template_message(message: str, source: str | None) -> str:
    """A rendering error's message with quoted words that came from values hidden."""
    def hide(m: re.Match) -> str:
        word = m.group(1) if m.group(1) is not None else m.group(2)
        if _TYPE_WORD.fullmatch(word) and (word.endswith(" object") or word in _TYPE_NAMES):
            return m.group(0)
        if source is not None and word and re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", source):
            return m.group(0)  # written in the template itself, not a value
        return SENSITIVE
    return _QUOTED.sub(hide, message)
