"""Rendering a chart instance into objects.

``render_chart`` merges the value layers (chart ``values.yaml`` lowest, ``--set``
highest), validates them against ``values.schema.json``, renders every
``templates/*.yaml.j2`` (files starting with ``_`` are helpers for ``{% import %}``)
in name order in the sandbox, and parses each rendered document. Errors name the
template file and line; rendered text that is not YAML also shows the lines around it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..files import read_text_file
from ..model import Origin, Resource
from ..yamlio import load_documents
from .values import ValuesLayer, merge_layers, validate_values

META_FILES = ("Chart.yaml", "chart.yaml")
TEMPLATE_SUFFIX = ".yaml.j2"


def load_chart_meta(chart_dir: Path, parse: Any = None) -> dict[str, Any]:
    """Chart.yaml (or chart.yaml): name, version, appVersion, description."""
    parse = parse or load_documents
    for name in META_FILES:
        path = chart_dir / name
        if path.exists():
            docs = parse(read_text_file(path), str(path), keep_text=True)
            meta = docs[0].data if docs else {}
            if not isinstance(meta, dict) or not meta.get("name"):
                raise KcompileError("Chart.yaml needs a 'name'", path, 1)
            from ..yamlio import as_text

            return {k: (as_text(v) if k in ("version", "appVersion", "name") else v) for k, v in meta.items()}
    raise KcompileError(f"{chart_dir} is not a chart: no Chart.yaml")


def _chart_values(chart_dir: Path, parse: Any) -> ValuesLayer | None:
    path = chart_dir / "values.yaml"
    if not path.exists():
        return None
    docs = parse(read_text_file(path), str(path))
    data = docs[0].data if docs else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KcompileError("values.yaml must be a map", path, docs[0].line if docs else 1)
    return (str(path), data)


def _template_location(exc: BaseException, chart_dir: Path) -> tuple[str | None, int | None]:
    """The innermost template frame of a rendering error (Jinja maps frames to lines)."""
    import traceback

    found: tuple[str | None, int | None] = (None, None)
    root = str(chart_dir)
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name.startswith(root):
            found = (name, lineno)
    return found


class _Renderer:
    def __init__(self, chart_dir: Path, env: Any, context: dict[str, Any]) -> None:
        from .blocks import Blocks

        self.chart_dir = chart_dir
        self.env = env
        self.context = context
        self._texts: dict[str, str] = {}
        self._active: list[str] = []
        self.blocks = Blocks()
        env.filters["to_yaml_block"] = self.blocks.filter

    def render_text(self, name: str) -> str:
        got = self._texts.get(name)
        if got is not None:
            return got
        if name in self._active:
            raise KcompileError(f"checksum() cycle: {' -> '.join(self._active + [name])}")
        self._active.append(name)
        try:
            template = self.env.get_template(name)
            text = self.blocks.expand(template.render(self.context), str(self.chart_dir / "templates" / name))
        finally:
            self._active.pop()
        self._texts[name] = text
        return text


def render_chart(
    chart_dir: Path,
    *,
    release: str,
    namespace: str | None,
    layers: list[ValuesLayer],
    set_values: list[str] | tuple[str, ...] = (),
    cache_dir: Path | None = None,
    parse: Any = None,
) -> list[Resource]:
    """Render one chart instance (see module docstring) into objects.

    With ``cache_dir``, the result is cached under a key of every input (the chart's
    files, the merged values, release, namespace): rendering is a pure function of them,
    so a hit skips Jinja2 (and its import) entirely. ``parse`` parses YAML text
    (default :func:`kcompile.yamlio.load_documents`; the build passes its parse cache).
    """
    parse = parse or load_documents
    chart_dir = chart_dir.resolve()
    meta = load_chart_meta(chart_dir, parse)
    own = _chart_values(chart_dir, parse)
    merged = merge_layers(([own] if own else []) + list(layers), list(set_values), release)
    key = _render_key(chart_dir, merged.values, release, namespace) if cache_dir is not None else None
    if key is not None:
        cached = _cache_get(cache_dir, key)
        if cached is not None:
            return cached
    result = _render(chart_dir, meta, merged, release, namespace, cache_dir)
    if key is not None:
        _cache_put(cache_dir, key, result)
    return result


def _render_key(chart_dir: Path, values: Any, release: str, namespace: str | None) -> str | None:
    import marshal
    from _blake2 import blake2b

    from ..cache import _encode
    from ..cachedir import code_fingerprint

    h = blake2b(digest_size=20)
    h.update(f"render-{code_fingerprint()}\0{release}\0{namespace or ''}\0".encode())
    for path in sorted(p for p in chart_dir.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(chart_dir)).encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    try:
        h.update(marshal.dumps(_encode(values)))
    except ValueError:
        return None
    return h.hexdigest()


def _cache_get(cache_dir: Path, key: str) -> list[Resource] | None:
    import marshal

    try:
        with open(cache_dir / "rendered" / key, "rb") as f:
            stored = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return [Resource(body=b, origin=Origin(f, line, idx, template=True)) for b, f, line, idx in stored]


def _cache_put(cache_dir: Path, key: str, result: list[Resource]) -> None:
    import marshal
    import os

    from ..model import deep_copy

    try:
        payload = marshal.dumps([(deep_copy(r.body), r.origin.file, r.origin.line, r.origin.doc) for r in result])
        d = cache_dir / "rendered"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(payload)
        os.replace(tmp, d / key)
    except (OSError, ValueError):
        pass


def _render(chart_dir: Path, meta: dict, merged: Any, release: str, namespace: str | None,
            cache_dir: Path | None) -> list[Resource]:
    from jinja2 import TemplateNotFound, TemplateSyntaxError
    from jinja2.exceptions import TemplateError, UndefinedError
    from jinja2.sandbox import SecurityError

    from .environment import ChartEnvironment, bytecode_cache_for
    from .filters import ChartFail

    schema_path = chart_dir / "values.schema.json"
    if schema_path.exists():
        import json

        try:
            schema = json.loads(read_text_file(schema_path))
        except json.JSONDecodeError as e:
            raise KcompileError(f"values.schema.json is not valid JSON: {e.msg}", schema_path, e.lineno) from None
        except ValueError:  # a number of thousands of digits
            raise KcompileError("values.schema.json holds a number too long to read", schema_path) from None
        validate_values(merged, schema, str(schema_path))

    env = ChartEnvironment(chart_dir, bytecode_cache_for(cache_dir))
    context = {
        "values": merged.values,
        "release": {"name": release, "namespace": namespace or ""},
        "chart": {
            "name": meta.get("name"), "version": meta.get("version", ""),
            "appVersion": meta.get("appVersion", ""), "description": meta.get("description", ""),
        },
    }
    # As globals too, so macros in imported helpers see values/release/chart without
    # 'with context' (what Helm authors expect of named templates).
    env.globals.update(context)
    renderer = _Renderer(chart_dir, env, context)

    def checksum(template_name: str) -> str:
        import hashlib

        return hashlib.sha256(renderer.render_text(template_name).encode("utf-8")).hexdigest()

    env.globals["checksum"] = checksum
    templates = [t for t in env.loader.list_templates()
                 if t.endswith(TEMPLATE_SUFFIX) and not Path(t).name.startswith("_") and "/" not in t]
    out: list[Resource] = []
    for name in templates:
        path = chart_dir / "templates" / name
        try:
            text = renderer.render_text(name)
        except TemplateSyntaxError as e:
            raise KcompileError(f"template syntax error: {e.message}", e.filename or path, e.lineno) from None
        except (UndefinedError, ChartFail, SecurityError, TemplateNotFound, TemplateError) as e:
            file, line = _template_location(e, chart_dir)
            what = {UndefinedError: "undefined value", SecurityError: "not allowed in a chart template",
                    TemplateNotFound: "template not found"}.get(type(e), "")
            msg = str(e.message if hasattr(e, "message") and e.message else e)
            if isinstance(e, ChartFail):
                msg = str(e.message)
            raise KcompileError(f"{what}: {msg}" if what else msg, file or path, line) from None
        except KcompileError:
            raise
        except RecursionError:
            raise KcompileError("template recursion is too deep", path) from None
        except (TypeError, ValueError, ArithmeticError, KeyError, IndexError, AttributeError, OverflowError) as e:
            file, line = _template_location(e, chart_dir)
            raise KcompileError(f"error while rendering: {type(e).__name__}: {e}", file or path, line) from None
        out.extend(_parse_rendered(text, path))
    return out


def _parse_rendered(text: str, template: Path) -> list[Resource]:
    try:
        docs = load_documents(text, str(template))
    except KcompileError as e:
        lines = text.splitlines()
        n = e.line or 1
        lo, hi = max(1, n - 3), min(len(lines), n + 2)
        context = "\n".join(f"{'>' if i == n else ' '} {i:4} | {lines[i - 1]}" for i in range(lo, hi + 1))
        raise KcompileError(
            f"rendered output is not valid YAML at rendered line {n}: {e.message}\n{context}", template, None
        ) from None
    out = []
    for d in docs:
        if not isinstance(d.data, dict):
            raise KcompileError(
                f"rendered document at rendered line {d.line} is not a YAML map", template, None
            )
        if not d.data:
            continue
        out.append(Resource(body=d.data, origin=Origin(str(template), d.line, d.index, template=True)))
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m kcompile.charts.render CHART --release NAME [-f values.yaml] [--set ...]``"""
    import argparse

    from ..emit import render

    p = argparse.ArgumentParser(prog="python -m kcompile.charts.render")
    p.add_argument("chart")
    p.add_argument("--release", required=True)
    p.add_argument("--namespace")
    p.add_argument("-f", "--values", action="append", default=[])
    p.add_argument("--set", dest="set_values", action="append", default=[])
    args = p.parse_args(argv)
    try:
        layers = []
        for f in args.values:
            docs = load_documents(Path(f).read_text(encoding="utf-8"), f)
            layers.append((f, docs[0].data if docs else {}))
        objs = render_chart(Path(args.chart), release=args.release, namespace=args.namespace,
                            layers=layers, set_values=[f"{args.release}.{s}" for s in args.set_values])
    except KcompileError as e:
        print(f"kcompile: error: {e.format()}", file=sys.stderr)
        return 1
    sys.stdout.write(render([r.body for r in objs]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
