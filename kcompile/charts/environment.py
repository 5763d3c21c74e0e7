"""The sandboxed Jinja2 environment charts render in, and its chart-confined loader.

A chart may come from a third party, so templates cannot reach Python internals
(``''.__class__``), files outside the chart, the environment, the clock, randomness or
the network, and cannot exhaust memory with huge ranges or repetitions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import re

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound, pass_context
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .filters import FILTERS, GLOBALS, TESTS, ChartFail, yaml_text

MAX_STRING = 10_000_000  # characters a single string or list repetition may produce
MAX_RANGE = 100_000
MAX_ITERATIONS = 5_000_000  # range() items one render may produce, loops nested or not
MAX_WIDTH = 100_000  # padding/format widths
_PAD_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}
_FORMAT_WIDTH = re.compile(r"\{[^{}]*:[^{}]*?(\d{6,})[^{}]*\}")
_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
IMPURE = ("random", "now", "env", "lookup", "uuid")


class ChartLoader(BaseLoader):
    """Loads templates from a chart's ``templates/`` directory only: no absolute paths,
    no ``..``, no symlink leading outside the chart. ``NAME/x.j2`` that is not a file of
    the chart's own is ``x.j2`` of its dependency NAME (a library chart's helpers:
    ``{% import "common/_labels.j2" as common %}``)."""

    def __init__(self, chart_dir: Path, dependencies: "dict[str, ChartLoader] | None" = None) -> None:
        self.chart_dir = chart_dir.resolve()
        self.templates = self.chart_dir / "templates"
        self.dependencies = dependencies or {}

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        parts = template.replace("\\", "/").split("/")
        if template.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise TemplateNotFound(f"{template} (templates are named relative to the chart's templates/)")
        path = (self.templates.joinpath(*parts)).resolve()
        if self.chart_dir not in path.parents:
            raise TemplateNotFound(f"{template} (outside the chart)")
        if not path.exists():
            dep = self.dependencies.get(parts[0]) if len(parts) > 1 else None
            if dep is not None:
                return dep.get_source(environment, "/".join(parts[1:]))
            raise TemplateNotFound(template)
        from ..load.files import read_text_file

        text = read_text_file(path)
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.exists() and path.stat().st_mtime == mtime

    def list_templates(self) -> list[str]:
        if not self.templates.is_dir():
            return []
        return sorted(
            p.relative_to(self.templates).as_posix()
            for p in self.templates.rglob("*") if p.is_file()
        )


class _CountingRange:
    """range() for templates: bounded per call and, through a shared budget, per render
    (nested loops multiply: 100,000 x 100,000 would run for hours)."""

    def __init__(self, env: "ChartEnvironment", r: range) -> None:
        self.env, self.r = env, r

    def __len__(self) -> int:
        return len(self.r)

    def __iter__(self):
        for i in self.r:
            self.env.iterations += 1
            if self.env.iterations > MAX_ITERATIONS:
                raise SecurityError(f"runaway loop: more than {MAX_ITERATIONS} range() items in one render")
            yield i


def _impure(name: str):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ChartFail(f"{name}() is not available in chart templates: output must be a pure function "
                        "of the repository and the command line")
    return refuse


class _YamlTextCodeGenerator(CodeGenerator):
    """``a ~ b`` joins the operands as YAML prints them (``true``, not ``True``), like
    ``{{ }}`` output (the environment's ``finalize``)."""

    def visit_Concat(self, node: Any, frame: Any) -> None:
        self.write("str_join((")
        for arg in node.nodes:
            self.write("environment.yaml_text(")
            self.visit(arg, frame)
            self.write("), ")
        self.write("))")


@pass_context
def tpl(context: Any, text: Any, variables: Any = None) -> str:
    """Helm's ``tpl``: render a string (usually from values) as a template, in the same
    sandbox and context; ``variables`` (a map) adds names, e.g. a loop item."""
    if not isinstance(text, str):
        raise ChartFail(f"tpl: expected a template string, got {yaml_text(text)!r}")
    env = context.environment
    template = env.tpl_templates.get(text)
    if template is None:
        template = env.tpl_templates[text] = env.from_string(text)
    names = dict(context.get_all())
    if variables:
        if not isinstance(variables, dict):
            raise ChartFail("tpl: the second argument must be a map of names to values")
        names.update(variables)
    return template.render(names)


class ChartEnvironment(ImmutableSandboxedEnvironment):
    """Sandboxed (values cannot be modified either), strict (undefined names are errors),
    blocks trimmed, no autoescape, bounded in time and memory; values print as YAML."""

    intercepted_binops = frozenset(["*", "**", "%"])
    code_generator_class = _YamlTextCodeGenerator

    def __init__(self, chart_dir: Path, bytecode_cache: Any = None, loader: ChartLoader | None = None) -> None:
        super().__init__(
            loader=loader or ChartLoader(chart_dir),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            keep_trailing_newline=True,
            bytecode_cache=bytecode_cache,
            finalize=yaml_text,
        )
        self.yaml_text = yaml_text
        self.tpl_templates: dict[str, Any] = {}
        self.filters.update(FILTERS)
        self.tests.update(TESTS)
        self.globals["tpl"] = tpl
        self.filters["tpl"] = tpl
        self.globals.pop("lipsum", None)  # uses randomness
        self.globals.update(GLOBALS)
        for name in IMPURE:  # randomness, clock, environment, cluster: refused by name
            self.globals[name] = _impure(name)
            self.filters.pop(name, None)
        self.filters["random"] = _impure("random")
        self.filters["center"] = _bounded_center
        self.iterations = 0
        self.globals["range"] = self.safe_range

    def safe_range(self, *args: int) -> _CountingRange:
        r = range(*args)
        if len(r) > MAX_RANGE:
            raise SecurityError(f"range() of {len(r)} items is too large (limit {MAX_RANGE})")
        return _CountingRange(self, r)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if isinstance(getattr(__obj, "__self__", None), str) and getattr(__obj, "__name__", "") in _PAD_METHODS:
            width = args[0] if args else kwargs.get("width", 0)
            if isinstance(width, int) and width > MAX_WIDTH:
                raise SecurityError(f"str.{__obj.__name__}() width {width} would exceed the limit ({MAX_WIDTH})")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        """str.format/format_map, with field widths bounded (``'{:>999999999}'``)."""
        f_self = getattr(value, "__self__", None)
        if isinstance(f_self, str) and getattr(value, "__name__", "") in ("format", "format_map") \
                and _FORMAT_WIDTH.search(f_self):
            raise SecurityError(f"str.format width exceeds the limit ({MAX_WIDTH})")
        return super().wrap_str_format(value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_STRING:
                    raise SecurityError(f"repetition would produce {len(seq) * n} items (limit {MAX_STRING})")
            return left * right
        if operator == "**":
            if isinstance(right, int) and isinstance(left, int) and abs(right) > 1000:
                raise SecurityError("exponent too large")
            return left ** right
        if operator == "%" and isinstance(left, str):
            for width, precision in _PERCENT_WIDTH.findall(left):
                for n in (width, precision):
                    if n and n != "*" and int(n) > MAX_WIDTH:
                        raise SecurityError(f"'%' field width {n} exceeds the limit ({MAX_WIDTH})")
            return left % right
        return super().call_binop(context, operator, left, right)


def _bounded_center(value: Any, width: int = 80) -> str:
    if isinstance(width, int) and width > MAX_WIDTH:
        raise SecurityError(f"center width {width} exceeds the limit ({MAX_WIDTH})")
    return str(value).center(width)


def bytecode_cache_for(cache_dir: Path | None) -> Any:
    if cache_dir is None:
        return None
    from jinja2 import FileSystemBytecodeCache

    directory = cache_dir / "jinja"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(directory))
