"""``to_yaml`` text as Helm's ``toYaml`` writes it, so a ported chart's ConfigMaps hold the
same bytes (and digests of them agree).

Helm marshals through JSON into go-yaml v2, whose emitter is a port of libyaml's — the
emitter PyYAML's C dumper is — so the text comes from that emitter with go-yaml v2's
choices: keys in go-yaml's order (letters by code point, digit runs by number), multi-line
strings as literal blocks, a string that would read back as something else
double-quoted, any other string plain when the emitter allows it, else single-quoted
(``'a: b'``), lines folded at 80 columns, floats as Go prints them (``1e+20``,
``1.2345675e+06``; integral ones as integers, as the JSON round trip makes them).

Deliberate differences, all safer: every YAML 1.1 boolean word is quoted in any case
(``yES``; go-yaml v2 knows three spellings), integers stay exact at any size (Helm reads
numbers as float64), and a string holding a control character go-yaml cannot read back
(U+007F, U+0080–U+009F but U+0085) is an error, where Helm's toYaml prints nothing.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

# Characters JSON leaves as they are and go-yaml's reader refuses: Helm's toYaml of a
# string holding one fails, and prints nothing.
_UNREADABLE = re.compile("[\x7f-\x84\x86-\x9f\ufeff\ufffe\uffff]")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
# What Go's ParseInt (base 0) and go-yaml's float pattern take, once '_' are removed
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_WORDS = re.compile(r"(?i:y|n|yes|no|on|off|true|false|null|~|[-+]?\.inf|\.nan)")
# The rest of what a YAML 1.1 reader (PyYAML's resolver, go-yaml v2's) takes for a number or
# a date, as the YAML 1.1 types define them; words are _WORDS. Checked here rather than by
# importing PyYAML's resolver on every render that writes YAML (tests/charts/test_to_yaml_helm.py
# compares the two).
_YAML11_NUMBER = re.compile(
    r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
    r"|[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*")
_YAML11_DATE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?")


@functools.lru_cache(maxsize=4096)
def _quoted(s: str) -> bool:
    """Strings go-yaml v2, go-yaml v3 or a YAML 1.1 reader would read back as a non-string
    (written double-quoted, as go-yaml v2 writes those it would misread)."""
    if s in ("=", "<<"):  # go-yaml writes them plain
        return False
    if s == "" or _WORDS.fullmatch(s) or _BASE60.fullmatch(s):
        return True
    plain = s.replace("_", "")
    if _GO_INT.fullmatch(plain) or _GO_FLOAT.fullmatch(plain):
        return True
    return bool(_YAML11_NUMBER.fullmatch(s) or _YAML11_DATE.fullmatch(s))


def _go_key_less(a: str, b: str) -> bool:
    """go-yaml v2's ``keyList.Less`` for two string keys."""
    for i in range(min(len(a), len(b))):
        x, y = a[i], b[i]
        if x == y:
            continue
        xl, yl = x.isalpha(), y.isalpha()
        if xl and yl:
            return x < y
        if xl or yl:
            return yl
        an = bn = 0
        if x == "0" or y == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return x < y
    return len(a) < len(b)


_KEY_ORDER = functools.cmp_to_key(lambda a, b: -1 if _go_key_less(a, b) else (1 if _go_key_less(b, a) else 0))


def go_float(f: float) -> str:
    """A float as Helm's toYaml prints it (JSON, then go-yaml v2's ``%g``)."""
    if f != f:
        return ".nan"
    if f in (float("inf"), float("-inf")):
        return ".inf" if f > 0 else "-.inf"
    if f == 0:
        return "0"
    d = Decimal(repr(f))
    if f == int(f) and abs(f) < 1e21:  # JSON writes it without a fraction: an integer, if it fits
        n = int(d)
        if -2 ** 63 <= n < 2 ** 64:
            return str(n)
    sign, digits, exp = d.as_tuple()
    ds = list(digits)
    while len(ds) > 1 and ds[-1] == 0:
        ds.pop()
        exp += 1
    x = exp + len(ds) - 1  # the decimal exponent of the first digit
    text = "".join(map(str, ds))
    if x < -4 or x >= 6:  # Go's shortest %g: exponent form from 1e+06 up
        mant = text[0] + ("." + text[1:] if len(text) > 1 else "")
        out = f"{mant}e{'+' if x >= 0 else '-'}{abs(x):02d}"
    elif x >= 0:
        whole = text[:x + 1].ljust(x + 1, "0")
        frac = text[x + 1:]
        out = whole + ("." + frac if frac else "")
    else:
        out = "0." + "0" * (-x - 1) + text
    return ("-" if sign else "") + out


def _dumper() -> Any:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class HelmDumper(base):  # type: ignore[misc, valid-type]
        yaml_implicit_resolvers: dict = {}  # style is decided here, not by PyYAML's 1.1 resolver

    def represent_str(dumper: Any, s: str) -> Any:
        bad = _UNREADABLE.search(s)
        if bad:
            from .filters import ChartFail

            raise ChartFail(f"to_yaml: a string holds the control character U+{ord(bad.group()):04X}, which "
                            "Helm's toYaml cannot write (it prints nothing); encode it (b64enc) instead")
        s = str(s)  # the C emitter takes exact strings (a file's text may be a str subclass)
        style = "|" if "\n" in s else ('"' if _quoted(s) else None)
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style=style)

    def represent_dict(dumper: Any, m: dict) -> Any:
        items = sorted(((str(k), v) for k, v in m.items()), key=lambda kv: _KEY_ORDER(kv[0]))
        return dumper.represent_mapping("tag:yaml.org,2002:map", items)

    def plain(text: Any) -> Any:
        return lambda dumper, v: dumper.represent_scalar("tag:yaml.org,2002:str", text(v))

    HelmDumper.add_representer(str, represent_str)
    HelmDumper.add_representer(dict, represent_dict)
    HelmDumper.add_multi_representer(str, represent_str)  # str subclasses (a number's kept text)
    HelmDumper.add_multi_representer(dict, represent_dict)
    HelmDumper.add_multi_representer(list, lambda d, v: d.represent_list(list(v)))
    HelmDumper.add_representer(bool, plain(lambda v: "true" if v else "false"))
    HelmDumper.add_representer(int, plain(str))
    HelmDumper.add_representer(float, plain(go_float))
    HelmDumper.add_representer(type(None), plain(lambda v: "null"))
    HelmDumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))
    return HelmDumper


@functools.lru_cache(maxsize=1)
def _helm_dumper() -> Any:
    return _dumper()


@functools.lru_cache(maxsize=8192)
def _string_same(s: str) -> bool:
    """Both writers write ``s`` alike: plain, or double-quoted without escapes (and there
    is no space to fold at, no newline)."""
    from ..yaml.write import _NEEDS_ESCAPE, _plain_ok

    if " " in s or "\n" in s or "\t" in s or _NEEDS_ESCAPE.search(s):
        return False
    return _plain_ok(s) != _quoted(s)


def _same_as_ours(value: Any, depth: int = 0) -> bool:
    """Whether kcompile's own writer (:func:`kcompile.yaml.write.dump`, many times faster)
    writes ``value`` exactly as toYaml does: strings :func:`_string_same`, no floats, and
    keys whose go-yaml order is Python's."""
    if depth > 50:
        return False
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str) or not _string_same(k):
                return False
        if not all(k.isalpha() for k in value):
            ordered = sorted(value)
            if any(_go_key_less(b, a) for a, b in zip(ordered, ordered[1:])):
                return False
        values = value.values()
    elif isinstance(value, list):
        values = value
    elif isinstance(value, str):
        return _string_same(value)
    else:
        return value is None or isinstance(value, (bool, int))
    for v in values:
        if isinstance(v, str):
            if not _string_same(v):
                return False
        elif not _same_as_ours(v, depth + 1):
            return False
    return True


def helm_yaml(value: Any) -> str:
    """``toYaml``'s text of a JSON-shaped value, with no trailing newline."""
    if type(value) in (dict, list) and value and _same_as_ours(value):
        from ..yaml.write import dump

        return dump(value).rstrip("\n")

    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, (list, tuple)) and not value:
        return "[]"
    import yaml  # the emitter go-yaml's is a port of: only where kcompile's writer would differ

    try:
        text = yaml.dump(value, Dumper=_helm_dumper(), default_flow_style=False, allow_unicode=True,
                         sort_keys=False, width=80, indent=2)
    except yaml.YAMLError:  # a value that is not data (a function, a files object)
        raise TypeError(f"cannot write {type(value).__name__} as YAML") from None
    if text.endswith("\n...\n"):  # libyaml's document end marker, which go-yaml does not write
        text = text[:-len("...\n")]
    return text.removesuffix("\n")
