"""A fast path for reading YAML: yaml-rs (a Rust YAML 1.2 parser), used only where it
provably reads the text as the libyaml path (:mod:`kcompile.yaml.libyaml`) does.

yaml-rs parses and builds Python objects about 3.5x faster than PyYAML's C parser
plus our constructor (docs/decisions.md has the figures), but it resolves plain
scalars by its own rules (``0755`` is 755, ``_1`` is 1, ``2**70`` stays an int),
expands aliases itself, and reports errors in its own words. So a text takes this path
only when a cheap scan finds none of what could make the two readers disagree:

* tags, anchors, aliases, merge keys, directives, ``...`` document ends, and line
  breaks that YAML 1.1 and 1.2 treat differently;
* keys that are not strings (numbers, booleans, null, empty, collections);
* any plain scalar that starts like a number (or with ``_``/``~``) which the two
  resolvers read differently; each distinct such token is resolved both ways.

Anything else (including every error) returns ``None``: the caller then parses with
libyaml, which decides and reports. The result is a list of
:class:`kcompile.yaml.scalars.Document` exactly as the libyaml path gives it.
"""

from __future__ import annotations

import re
from typing import Any

from .scalars import Document, resolve_plain

# Scanning a rendered chart of 3000 objects must cost a fraction of parsing it: cheap
# substring tests first, the precise patterns only when one hits.
_RARE_CHARS = ("&", "*", "!", "<<", "%", "...", "?", "\t", "\r",
               "rue:", "RUE:", "alse:", "ALSE:", "ull:", "ULL:", ":]", ":}", ":,")
_RARE = re.compile(
    r"(?:^|(?<=[\s\[{,]))[&*!?]"  # anchor, alias, tag, explicit key
    r"|<<"  # merge key
    r"|^%|^\.\.\.(?=\s|$)"  # directive, document end
    r"|[\t\r\x85\u2028\u2029\ufeff]"  # tabs and line breaks YAML 1.1 and 1.2 treat differently, BOM
    r"|(?:^|(?<=[\s\[{,]))(?:[tT]rue|TRUE|[fF]alse|FALSE|[nN]ull|NULL):(?=\s|$)"  # bool/null key
    r"|:[\]},]",  # ':' before a flow indicator: YAML 1.1 and 1.2 disagree
    re.M,
)
# A reserved or block indicator starting a scalar in a flow collection ('{|}', '[@a]').
_FLOW_INDICATOR_HINTS = ("|", ">", "@", "`")
_FLOW_INDICATOR = re.compile(r"[\[{,][ \t\n]*[|>@`]")
# One pass finds plain tokens that start like a number (or with '_', '~' or ':'); the
# leading character is the separator before the token. An empty key is the token ':'.
_SCAN = re.compile(r"[\s\[{,][-+._~0-9:][^\s,\[\]{}#]*")
_FIRST_TOKEN = re.compile(r"[-+._~0-9:][^\s,\[\]{}#]*")
# A collection used as a key ('[a]: x'), checked only when a substring test hits.
_COLLECTION_KEY_HINTS = ("]:", "}:", "] :", "} :")  # (tabs never reach this path)
_COLLECTION_KEY = re.compile(r"[\]}][ \t]*:(?=\s|$)")
# A flow-mapping key without ':' ('{a: 1, 2}', '{[a]}', '{a: 1, [b]}'): a number, bool,
# null or collection. Middle items of number lists ('[1, 2, 3]') and flow lists of
# lists or maps ('[{a: 1}, {b: 2}]') match too: for those texts yaml-rs' result is kept
# only if every key in it is a string.
_BARE_FLOW_KEY = re.compile(
    r"[{,][ \t\n]*(?:[\[{]|(?:[-+._~0-9][^\s,\[\]{}#:]*|[tT]rue|TRUE|[fF]alse|FALSE|[nN]ull|NULL)[ \t\n]*[,}])"
)

# A '>' folded block scalar header: go-yaml reads a more-indented line in one
# differently from yaml-rs (scalars.go_folded), so such texts take the libyaml path.
_FOLDED_HEADER = re.compile(r"(?:^|[\s:-])>[-+0-9]*[ \t]*(?:#[^\n]*)?$", re.M)

_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]{0,17}")
_CANONICAL_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,15})\.[0-9]{1,15}")
_CONTENT_LINE = re.compile(r"^[ \t]*[^\s#]", re.M)

_loads: Any = None


def _parser() -> Any:
    global _loads
    if _loads is None:
        try:
            from yaml_rs import loads
        except ImportError:  # not installed (or no wheel for this platform): libyaml only
            _loads = False
        else:
            _loads = loads
    return _loads


def _tokens_agree(text: str, keep_text: bool) -> bool:
    """Do yaml-rs and go-yaml's rules read every number-like plain token alike, and
    is every key a string?"""
    if any(h in text for h in _COLLECTION_KEY_HINTS) and _COLLECTION_KEY.search(text):
        return False
    tokens = {t[1:] for t in set(_SCAN.findall(text))}
    first = _FIRST_TOKEN.match(text)
    if first:
        tokens.add(first.group())
    if any(t[0] == ":" for t in tokens):
        return False  # an empty key, or a plain scalar starting with ':' (YAML 1.1 refuses some)
    return all(_token_agrees(token, keep_text) for token in tokens)


# Verdicts per (token, keep_text): the same tokens ('1.0.0', '0.5', '---') recur in
# every file of a repository, and a verdict may cost a yaml-rs call.
_VERDICTS: dict[tuple[str, bool], bool] = {}


def _token_agrees(token: str, keep_text: bool) -> bool:
    got = _VERDICTS.get((token, keep_text))
    if got is None:
        got = _judge(token, keep_text)
        if len(_VERDICTS) < 50_000:
            _VERDICTS[(token, keep_text)] = got
    return got


def _judge(token: str, keep_text: bool) -> bool:
    is_key = token[-1] == ":"
    if is_key:
        token = token[:-1]
        if not token:
            return True
    elif token == "-" or token.startswith("---"):
        return True
    if _CANONICAL_INT.fullmatch(token):
        return not is_key
    ours = resolve_plain(token)
    if is_key or keep_text:
        # Keys must be strings; keep_text numbers remember how they were written, so
        # only canonical ints (whose text is str(n)) may take this path.
        if not isinstance(ours, str):
            return False
    elif _CANONICAL_FLOAT.fullmatch(token):
        return True
    try:
        theirs = _loads("k: " + token, parse_datetime=False)
    except Exception:  # noqa: BLE001 - any doubt: the libyaml path decides
        return False
    if not isinstance(theirs, dict) or "k" not in theirs:
        return False
    theirs = theirs["k"]
    return type(ours) is type(theirs) and (ours == theirs or ours != ours)  # nan != nan


def _string_keys(value: Any) -> bool:
    """Is every map key inside ``value`` a string? (Checked only for texts whose flow
    collections may hold a bare key: lists of maps, '[{a: 1}, {b: 2}]', mostly.)"""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str):
                    return False
                if isinstance(x, (dict, list)):
                    stack.append(x)
        elif isinstance(v, list):
            stack.extend(x for x in v if isinstance(x, (dict, list)))
    return True


def _document_lines(text: str) -> list[int] | None:
    """The 1-based line each document's content starts on, as libyaml reports it;
    None if a document's root is a block scalar (YAML 1.1 and 1.2 indent those apart)."""
    markers = [0] if text.startswith("---") else []
    pos = text.find("\n---")
    while pos >= 0:
        markers.append(pos + 1)
        pos = text.find("\n---", pos + 4)
    markers = [m for m in markers if text[m + 3: m + 4] in ("", " ", "\t", "\n")]
    lines: list[int] = []
    first = _CONTENT_LINE.search(text, 0, markers[0] if markers else len(text))
    if first is not None:
        if text[first.end() - 1] in "|>":
            return None
        lines.append(text.count("\n", 0, first.start()) + 1)
    line = 1
    pos = 0
    for i, start in enumerate(markers):
        line += text.count("\n", pos, start)
        pos = start
        eol = text.find("\n", start)
        if eol < 0:
            eol = len(text)
        rest = text[start + 3: eol].strip()
        if rest and not rest.startswith("#"):
            if rest[0] in "|>":
                return None
            lines.append(line)
            continue
        end = markers[i + 1] if i + 1 < len(markers) else len(text)
        found = _CONTENT_LINE.search(text, eol, end)
        if found is None:
            lines.append(line)
            continue
        if text[found.end() - 1] in "|>":
            return None
        lines.append(line + text.count("\n", start, found.start()))
    return lines


def load_documents(text: str, keep_text: bool = False) -> list[Document] | None:
    """The documents of ``text``, or ``None`` when only the libyaml path may read it."""
    loads = _parser()
    if not loads:
        return None
    if (not text.isascii() or any(c in text for c in _RARE_CHARS)) and _RARE.search(text):
        return None
    if any(c in text for c in _FLOW_INDICATOR_HINTS) and _FLOW_INDICATOR.search(text):
        return None
    if text and not text.endswith("\n"):
        if "|" in text or ">" in text:
            return None  # a block scalar ending the stream has no final line break: see _yamlload
        text += "\n"  # (an inline patch written '|-'): without block scalars, the same documents
    if ">" in text and _FOLDED_HEADER.search(text):
        return None  # go-yaml reads these folded scalars differently (scalars.go_folded)
    tail = text.rstrip()
    last_line = tail[tail.rfind("\n") + 1:]
    if "|" in last_line or ">" in last_line:
        return None  # an empty block scalar ending the stream: yaml-rs reads "\n", not ""
    if not _tokens_agree(text, keep_text):
        return None
    lines = _document_lines(text)
    if lines is None:
        return None
    try:
        result = loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - errors are reported by the libyaml path
        return None
    if "{" in text and _BARE_FLOW_KEY.search(text) and not _string_keys(result):
        return None  # a flow-mapping key that is a number, bool, null or collection
    if len(lines) <= 1:
        datas = [result] if lines else []
    elif isinstance(result, list) and len(result) == len(lines):
        datas = result
    else:
        return None
    return [Document(data, line, index) for index, (data, line) in enumerate(zip(datas, lines)) if data is not None]
