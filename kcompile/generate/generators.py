"""configMapGenerator / secretGenerator (Kustomize semantics) and kcompile's ``envVars``.

Sources are read in Kustomize's order — env files, literals, files — then kcompile's
``envVars`` (values from the process environment). Names get their content-hash suffix
at the end of the build (``kcompile.generate.hashing``), not here, because later transformers
and merges change the content first.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import KcompileError
from ..model import GeneratorInfo, Origin, Resource
from ..yaml.scalars import as_text

_BOM = "\ufeff"


# How a key whose text may be a value is named in messages.
HIDDEN_KEY = "(not shown: it may hold a value)"


def _remove_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_literal(source: Any, name: str, file: str | None, line: int | None,
                  sensitive: bool = False, index: int = 0) -> tuple[str, str]:
    """``key=value`` (surrounding quotes removed from the value, as Kustomize does). A
    malformed literal of a Secret (``sensitive``) is named by its position, never its text."""
    source = as_text(source)
    key, sep, value = source.partition("=")
    if not sep or not key:
        shown = f"number {index + 1}" if sensitive else repr(source.split('=')[0]) + "..."
        raise KcompileError(f"{name}: invalid literal {shown}: expected key=value", file, line)
    return key, _remove_quotes(value)


def parse_file_source(source: Any, name: str, file: str | None, line: int | None) -> tuple[str, str]:
    """``path`` (key: its base name) or ``key=path``."""
    source = as_text(source)
    n = source.count("=")
    if n == 0:
        return Path(source).name, source
    if n == 1 and source.startswith("="):
        raise KcompileError(f"{name}: missing key name for file {source[1:]!r}", file, line)
    if n == 1 and source.endswith("="):
        raise KcompileError(f"{name}: missing file path for key {source[:-1]!r}", file, line)
    if n > 1:
        raise KcompileError(f"{name}: file source {source!r}: key name or path contains '='", file, line)
    key, _, path = source.partition("=")
    return key, path


def parse_env_file(text: str, path: str) -> list[tuple[str, str, int, bool]]:
    """``KEY=value`` lines (value taken literally, quotes kept, as Kustomize does);
    blank lines and ``#`` comments skipped; a line without '=' is a key with an empty
    value (the last item of each tuple says whether the line had its '=')."""
    pairs = []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip(_BOM) if i == 1 else raw
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        pairs.append((key, value, i, bool(sep)))  # an empty key: skipped by generate(), as Kustomize does
    return pairs


def merge_options(local: dict[str, Any] | None, global_: dict[str, Any] | None) -> dict[str, Any]:
    """Kustomize's MergeGlobalOptionsIntoLocal: local labels/annotations win; either
    side's disableNameSuffixHash / immutable turns the option on."""
    local = dict(local or {})
    for key in ("labels", "annotations"):
        merged = dict((global_ or {}).get(key) or {})
        merged.update(local.get(key) or {})
        if merged or key in local:
            local[key] = merged
    for key in ("disableNameSuffixHash", "immutable"):
        if _truthy((global_ or {}).get(key)):
            local[key] = True
    return local


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true")


def generate(
    kind: str,
    args: dict[str, Any],
    options: dict[str, Any] | None,
    *,
    base_dir: Path,
    read_file: Callable[[str], bytes],
    env: Mapping[str, str],
    file: str | None = None,
    line: int | None = None,
    warn: Callable[[KcompileError], None] | None = None,
) -> Resource:
    """One ConfigMap or Secret from a generator entry (see module docstring). What
    Kustomize accepts silently but is likely a mistake (an env file line without '=' or
    without a key) goes to ``warn``; keys the API server refuses are left to validation."""
    name = args.get("name")
    if not isinstance(name, str) or not name:
        raise KcompileError(f"a {kind} generator needs a 'name'", file, line)
    allowed = {"name", "namespace", "behavior", "literals", "files", "envs", "env", "options"}
    if kind == "Secret":
        allowed |= {"type", "envVars"}
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise KcompileError(f"{kind} generator {name!r}: unknown field {unknown[0]!r}", file, line)
    for key in ("literals", "files", "envs", "envVars"):
        if args.get(key) is not None and not isinstance(args[key], list):
            raise KcompileError(f"{kind} generator {name!r}: {key!r} must be a list", file, line)
    # Kustomize reads any other behavior (a typo, "Create", "") as create
    behavior = as_text(args.get("behavior") or "create")
    if behavior not in ("merge", "replace"):
        behavior = "create"

    sensitive = kind == "Secret"
    # key, value, file, line, whether the key may be shown (not a whole line of a Secret)
    pairs: list[tuple[str, str | bytes, str | None, int | None, bool]] = []
    env_files = list(args.get("envs") or [])
    if args.get("env"):
        env_files.insert(0, args["env"])
    for ef in env_files:
        text = _decode(read_file(as_text(ef)), as_text(ef), name, file, line)
        env_path = str(base_dir / as_text(ef))
        for k, v, i, had_sep in parse_env_file(text, env_path):
            if not k:  # '=value': Kustomize skips the line
                if warn is not None:
                    warn(KcompileError(f"{kind} {name!r}: env file line has no key before '=': skipped "
                                       "(as Kustomize does)", env_path, i))
                continue
            shown = had_sep or not sensitive
            if not had_sep and warn is not None:
                # Kustomize's reading, kept; a Secret's line may be a value that lost its key
                what = repr(k) if shown else "the line"
                warn(KcompileError(f"{kind} {name!r}: env file line has no '=': {what} is taken as a key "
                                   "with an empty value", env_path, i))
            pairs.append((k, v, env_path, i, shown))
    for n, lit in enumerate(args.get("literals") or []):
        k, v = parse_literal(lit, name, file, line, sensitive, n)
        pairs.append((k, v, file, line, True))
    for src in args.get("files") or []:
        k, p = parse_file_source(src, name, file, line)
        pairs.append((k, read_file(p), file, line, True))
    for var in args.get("envVars") or []:
        var = as_text(var)
        if var not in env:
            raise KcompileError(
                f"Secret generator {name!r}: environment variable {var} is not set", file, line
            )
        pairs.append((var, env[var], file, line, True))

    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    seen: set[str] = set()
    sources = {key: (kfile, kline) for key, _, kfile, kline, _ in pairs}  # where findings on a key point
    for key, value, kfile, kline, shown in pairs:
        # Keys the API server refuses are validation findings (kcompile/validate/checks/data.py):
        # Kustomize builds them.
        if key in seen:
            raise KcompileError(f"{kind} {name!r} repeats the key {repr(key) if shown else HIDDEN_KEY}", kfile, kline)
        seen.add(key)
        if kind == "Secret":
            raw = value.encode("utf-8") if isinstance(value, str) else value
            data[key] = encode_base64(raw)
        elif isinstance(value, bytes):
            try:
                data[key] = value.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = encode_base64(value)
        else:
            data[key] = value

    opts = merge_options(args.get("options"), options)
    md: dict[str, Any] = {"name": name}
    if args.get("namespace"):
        md["namespace"] = as_text(args["namespace"])
    if opts.get("labels"):
        md["labels"] = {str(k): as_text(v) for k, v in opts["labels"].items()}
    if opts.get("annotations"):
        md["annotations"] = {str(k): as_text(v) for k, v in opts["annotations"].items()}
    body: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": md}
    if data or kind == "Secret":  # Kustomize writes a Secret's data even when empty ({})
        body["data"] = data
    if binary:
        body["binaryData"] = binary
    if kind == "Secret":
        body["type"] = as_text(args.get("type") or "Opaque")
    if _truthy(opts.get("immutable")):
        body["immutable"] = True
    return Resource(
        body=body,
        origin=Origin(file or "", line or 1, generated=True),
        generator=GeneratorInfo(kind, behavior, not _truthy(opts.get("disableNameSuffixHash")), file, line, sources),
    )


def encode_base64(raw: bytes) -> str:
    """Base64 as Kustomize writes generated data: 70-character lines, each ended by a
    newline once the text is longer than one line (so names hash the same)."""
    enc = base64.b64encode(raw).decode("ascii")
    if len(enc) // 70 + 1 <= 1:
        return enc
    return "".join(enc[i:i + 70] + "\n" for i in range(0, len(enc), 70))


def _decode(raw: bytes, path: str, name: str, file: str | None, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KcompileError(f"{name}: env file {path} is not UTF-8 text", file, line) from None


def merge_generated(existing: Resource, generated: Resource) -> None:
    """Apply a ``behavior: merge`` or ``replace`` generator onto the object it names.

    The result keeps the existing object's name, namespace, place and rename history;
    labels and annotations are merged (the generator's win); for ``merge`` the data maps
    are merged too (the generator's keys win), for ``replace`` the generator's data
    replaces the old. The result gets a hash suffix only if both the existing object and
    the generator want one (Kustomize's rule).
    """
    assert generated.generator is not None
    old = existing.body
    new = generated.body
    old_md = old.get("metadata") if isinstance(old.get("metadata"), dict) else {}
    md = new.setdefault("metadata", {})
    for key in ("labels", "annotations"):
        merged = dict(old_md.get(key) or {})
        merged.update(md.get(key) or {})
        if merged:
            md[key] = merged
    md["name"] = old_md.get("name", md.get("name"))
    if old_md.get("namespace"):
        md["namespace"] = old_md["namespace"]
    else:
        md.pop("namespace", None)
    if generated.generator.behavior == "merge":
        for field in ("data", "binaryData"):
            merged = dict(old.get(field) or {})
            merged.update(new.get(field) or {})
            if merged:
                new[field] = merged
    existing.body = new
    if existing.generator is not None and not existing.generator.hash_suffix and generated.generator.hash_suffix:
        # as Kustomize: a merge into a generated object without a hash suffix keeps none
        generated.generator.hash_suffix = False
    if existing.generator is not None and generated.generator.behavior == "merge":
        generated.generator.sources = {**existing.generator.sources, **generated.generator.sources}
    existing.generator = generated.generator
    if existing.origin is None:
        existing.origin = generated.origin
