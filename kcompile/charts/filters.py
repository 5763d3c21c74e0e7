"""Filters and globals for chart templates, with Sprig's semantics where Helm authors
expect them (``indent`` indents the first line too, ``default`` replaces empty values,
``quote(None)`` is ``""``, ``required`` fails on undefined/None/"" but not on false/0).

Nothing here reads the environment, the clock, randomness or the network: a render is a
pure function of the chart, the values and the command line.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import TemplateRuntimeError

from .values import deep_merge


class ChartFail(TemplateRuntimeError):
    """A helper's refusal (bad input to a filter), its message shown with values hidden
    (:mod:`.masking`)."""


class AuthorFail(ChartFail):
    """Raised by ``fail()`` and ``required()``: the chart author's message, shown as is."""


def _is_undefined(v: Any) -> bool:
    return isinstance(v, Undefined)


def _empty(v: Any) -> bool:
    """Sprig's notion of empty: undefined, None, false, 0, "" and empty collections."""
    if _is_undefined(v) or v is None:
        return True
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v == 0
    if isinstance(v, (str, list, dict, tuple)):
        return len(v) == 0
    return False


def yaml_text(value: Any) -> str:
    """How a value prints in ``{{ }}``, in ``~`` and through ``string``: as YAML would
    write it (``true``, ``null``, ``1.5``; maps and lists as one-line JSON, which is YAML
    too), never as Python (``True``, ``None``, ``{'a': 1}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):  # files.get_bytes(): its text, as Sprig's toString gives
        return value.decode("utf-8", "replace")
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        from ..yaml.scalars import format_float

        return format_float(value)
    if isinstance(value, (dict, list, tuple)):  # one line of JSON, spaced (to_json is compact, as Sprig's)
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    return str(value)


def to_yaml(value: Any) -> str:
    """YAML of a value as Helm's ``toYaml`` writes it (:mod:`.helmyaml`): keys sorted, no
    trailing newline, ambiguous strings quoted."""
    from .helmyaml import helm_yaml

    if _is_undefined(value):
        value = str(value)  # StrictUndefined raises here with the variable's name
    return helm_yaml(value)


def to_json(value: Any) -> str:
    """Compact JSON, not HTML-escaped. Valid YAML too: ``key: {{ x | to_json }}`` puts a
    whole structure on one line, so indentation cannot go wrong."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def to_pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def from_yaml(value: Any) -> Any:
    """Sprig's ``fromYaml``: the value of one YAML document (a map, list or scalar)."""
    from ..errors import KcompileError
    from ..yaml.read import load_documents

    try:
        docs = load_documents(_text_arg("from_yaml", value), "from_yaml")
    except KcompileError as e:
        raise ChartFail(f"from_yaml: the text is not valid YAML: {e.message}") from None
    if len(docs) > 1:
        raise ChartFail("from_yaml: the text holds several YAML documents; use from_yaml_array on a list")
    return docs[0].data if docs else {}


def from_json(value: Any) -> Any:
    try:
        return json.loads(_text_arg("from_json", value))
    except json.JSONDecodeError as e:
        raise ChartFail(f"from_json: the text is not valid JSON: {e.msg} at line {e.lineno}") from None


def _text_arg(name: str, value: Any) -> str:
    if _is_undefined(value):
        value = str(value)  # StrictUndefined raises with the variable's name
    if not isinstance(value, str):
        raise ChartFail(f"{name}: expected a string, got {kind_of(value)}")
    return value


def kind_of(value: Any) -> str:
    """Sprig's ``kindOf`` (Go's reflect kinds): a boolean is ``bool``, never a number.
    Helm reads numbers of values files as float64 and those of ``--set`` as int64;
    here integers are ``int64`` and other numbers ``float64`` wherever they came from."""
    if value is None or _is_undefined(value):
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (list, tuple)):
        return "slice"
    return "ptr"


def kind_is(kind: str, value: Any) -> bool:
    """Sprig's ``kindIs "map" .Values.x``: ``kind_is("map", values.x)``; "int" and
    "float" also match int64 and float64."""
    got = kind_of(value)
    return got == kind or got == {"int": "int64", "float": "float64"}.get(kind)


_GO_TYPES = {"invalid": "<nil>", "map": "map[string]interface {}", "slice": "[]interface {}"}


def type_of(value: Any) -> str:
    """Sprig's ``typeOf`` (Go's ``%T``) of a value as Helm holds it: ``string``, ``bool``,
    ``int64``, ``float64``, ``map[string]interface {}``, ``[]interface {}``, ``<nil>``."""
    kind = kind_of(value)
    return _GO_TYPES.get(kind, kind)


def type_is(type_name: str, value: Any) -> bool:
    """Sprig's ``typeIs "string" .Values.x``: ``type_is("string", values.x)``."""
    return type_of(value) == type_name


def test_number(value: Any) -> bool:
    """A number, and a boolean is not one (Jinja's own test says True is a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_float(value: Any) -> bool:
    return isinstance(value, float)


def test_list(value: Any) -> bool:
    """A YAML list (Jinja's ``sequence`` is true for strings too)."""
    return isinstance(value, (list, tuple))


def test_map(value: Any) -> bool:
    return isinstance(value, dict)


def test_empty(value: Any) -> bool:
    """Sprig's ``empty``: undefined, null, false, 0, "" and empty collections."""
    return _empty(value)


def b64encode(value: Any) -> str:
    data = _data(value)
    return base64.b64encode(data).decode("ascii")


def b64decode(value: Any) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except Exception as e:  # binascii.Error, UnicodeDecodeError
        raise ChartFail(f"b64decode: not valid base64 text: {e}") from None


def _data(value: Any) -> bytes:
    """The bytes an encoding or digest is of: ``files.get_bytes`` (and a file's text that is
    not UTF-8: ``.raw``) as they are, anything else as printed."""
    if isinstance(value, bytes):
        return value
    raw = getattr(value, "raw", None)
    return raw if isinstance(raw, bytes) and isinstance(value, str) else yaml_text(value).encode("utf-8")


def sha256(value: Any) -> str:
    return hashlib.sha256(_data(value)).hexdigest()


def quote(value: Any) -> str:
    if value is None or _is_undefined(value):
        return '""'
    if isinstance(value, bool):
        value = "true" if value else "false"
    return json.dumps(yaml_text(value) if isinstance(value, bytes) else str(value), ensure_ascii=False)


def squote(value: Any) -> str:
    if value is None or _is_undefined(value):
        return "''"
    return "'" + str(value).replace("'", "''") + "'"


def indent(value: Any, width: int = 2) -> str:
    """Sprig's indent: every line, the first included."""
    if int(width) > 10_000:
        raise ChartFail(f"indent width {width} exceeds the limit (10000)")
    pad = " " * int(width)
    return pad + str(value).replace("\n", "\n" + pad)


def nindent(value: Any, width: int = 2) -> str:
    return "\n" + indent(value, width)


def required(value: Any, message: str = "a required value is missing") -> Any:
    if _is_undefined(value) or value is None or value == "":
        raise AuthorFail(message)
    return value


def default(value: Any, fallback: Any = "") -> Any:
    """Sprig's default: the fallback when the value is empty (undefined, None, false,
    0, "", empty list or map)."""
    return fallback if _empty(value) else value


def fail(message: str = "fail() called") -> None:
    raise AuthorFail(str(message))


def trunc(value: Any, length: int) -> str:
    s = str(value)
    n = int(length)
    return s[:n] if n >= 0 else s[n:]


def trim_suffix(value: Any, suffix: str) -> str:
    s = str(value)
    return s[: -len(suffix)] if suffix and s.endswith(suffix) else s


def trim_prefix(value: Any, prefix: str) -> str:
    s = str(value)
    return s[len(prefix):] if prefix and s.startswith(prefix) else s


def dig(value: Any, *keys_and_default: Any) -> Any:
    """``values | dig("a", "b", "fallback")``: nested lookup with a default (Sprig's dig
    takes the keys then the default)."""
    if not keys_and_default:
        raise ChartFail("dig needs at least one key and a default")
    *keys, fallback = keys_and_default
    node = value
    for k in keys:
        if isinstance(node, dict) and k in node:
            node = node[k]
        else:
            return fallback
    return node


def merge(*maps: Any) -> dict:
    """Deep merge, leftmost wins (Sprig's merge): ``merge(overrides, defaults)``."""
    result: dict = {}
    for m in reversed(maps):
        if _is_undefined(m) or m is None:
            continue
        if not isinstance(m, dict):
            raise ChartFail(f"merge: expected maps, got {type(m).__name__}")
        result = deep_merge(result, m)
    return result


def _semver(v: str) -> tuple:
    import re

    m = re.fullmatch(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?", str(v).strip())
    if not m:
        raise ChartFail(f"semver_compare: {v!r} is not a semantic version")
    major, minor, patch, pre = m.groups()
    # a pre-release sorts before the release
    return (int(major), int(minor or 0), int(patch or 0), 0 if pre else 1, pre or "")


def semver_compare(constraint: str, version: Any) -> bool:
    """``semver_compare(">=1.21.0", chart.appVersion)``; constraints joined by ',' all
    hold; operators =, !=, >, <, >=, <=, ~ (same minor), ^ (same major)."""
    import re

    ver = _semver(str(version))
    for part in str(constraint).split(","):
        part = part.strip()
        m = re.fullmatch(r"(>=|<=|!=|=|>|<|~|\^)?\s*(.+)", part)
        if not m:
            raise ChartFail(f"semver_compare: bad constraint {part!r}")
        op, target = m.group(1) or "=", _semver(m.group(2))
        ok = {
            "=": ver == target, "!=": ver != target, ">": ver > target, "<": ver < target,
            ">=": ver >= target, "<=": ver <= target,
            "~": ver >= target and ver[:2] == target[:2],
            "^": ver >= target and ver[0] == target[0],
        }[op]
        if not ok:
            return False
    return True


def coalesce(*values: Any) -> Any:
    """Sprig's ``coalesce``: the first value that is not empty (None when all are)."""
    return next((v for v in values if not _empty(v)), None)


def omit(value: Any, *keys: Any) -> dict:
    """Sprig's ``omit``: the map without ``keys``."""
    return {k: v for k, v in _map_arg("omit", value).items() if k not in keys}


def pick(value: Any, *keys: Any) -> dict:
    """Sprig's ``pick``: only ``keys`` of the map."""
    return {k: v for k, v in _map_arg("pick", value).items() if k in keys}


def _map_arg(name: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ChartFail(f"{name}: expected a map, got {kind_of(value)}")
    return value


def _words(value: Any) -> list[str]:
    import re

    return re.findall(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|\b|_)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", str(value))


def snakecase(value: Any) -> str:
    """Sprig's ``snakecase``: ``HTTPServerName`` -> ``http_server_name``."""
    return "_".join(w.lower() for w in _words(value))


def camelcase(value: Any) -> str:
    """Sprig's ``camelcase``: ``http_server`` -> ``HttpServer``."""
    return "".join(w[:1].upper() + w[1:].lower() for w in _words(value))


def sha1(value: Any) -> str:
    return hashlib.sha1(_data(value)).hexdigest()


def has_key(value: Any, key: Any) -> bool:
    return isinstance(value, dict) and key in value


def base(path: Any) -> str:
    """Sprig's ``base`` (Go's ``path.Base``): the last element of a slash path."""
    text = str(path).rstrip("/")
    if not text:
        return "/" if str(path) else "."
    return text.rsplit("/", 1)[-1]


def dir_of(path: Any) -> str:
    """Sprig's ``dir`` (Go's ``path.Dir``): all but the last element, cleaned."""
    import posixpath

    text = str(path)
    head = text[:text.rfind("/") + 1] if "/" in text else ""
    return posixpath.normpath(head) if head else "."


def ext(path: Any) -> str:
    """Sprig's ``ext``: the extension of the last element (``.json``), or ``""``."""
    name = str(path).rsplit("/", 1)[-1]
    return name[name.rfind("."):] if "." in name else ""


FILTERS = {
    "to_yaml": to_yaml, "toYaml": to_yaml,
    "to_json": to_json, "toJson": to_json, "to_pretty_json": to_pretty_json,
    "b64encode": b64encode, "b64enc": b64encode,
    "b64decode": b64decode, "b64dec": b64decode,
    "sha256": sha256, "sha256sum": sha256,
    "quote": quote, "squote": squote,
    "indent": indent, "nindent": nindent,
    "required": required, "default": default,
    "trunc": trunc, "trim_suffix": trim_suffix, "trimSuffix": trim_suffix,
    "trim_prefix": trim_prefix, "trimPrefix": trim_prefix,
    "dig": dig, "has_key": has_key,
    "kebab": lambda s: "-".join(w.lower() for w in _words(s)), "kebabcase": lambda s: "-".join(w.lower() for w in _words(s)),
    "from_yaml": from_yaml, "fromYaml": from_yaml, "from_json": from_json, "fromJson": from_json,
    "kind_of": kind_of, "type_of": type_of, "string": yaml_text,
    "base": base, "dir": dir_of, "ext": ext,
    "omit": omit, "pick": pick, "snakecase": snakecase, "camelcase": camelcase, "sha1": sha1, "sha1sum": sha1,
}

TESTS = {
    "number": test_number, "float": test_float, "list": test_list, "map": test_map, "empty": test_empty,
}

GLOBALS = {
    "fail": fail, "required": required, "merge": merge, "semver_compare": semver_compare,
    "dig": lambda m, *a: dig(m, *a), "b64encode": b64encode, "b64decode": b64decode,
    "kind_of": kind_of, "kind_is": kind_is, "type_of": type_of, "type_is": type_is,
    "from_yaml": from_yaml, "from_json": from_json,
    "coalesce": coalesce, "omit": omit, "pick": pick,
}
