"""The sandboxed Jinja2 environment charts render in, and its chart-confined loader.

A chart may come from a third party, so templates cannot reach Python internals
(``''.__class__``), files outside the chart, the environment, the clock, randomness or
the network, and cannot exhaust memory with huge ranges or repetitions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, Template, TemplateNotFound, pass_context, pass_environment
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .budget import (BUDGET_FILTERS, MAX_RANGE, Budget, RenderLimit, bound_template, check_binop,
                     check_method_call, guard_filters)
from .filters import FILTERS, GLOBALS, TESTS, ChartFail, yaml_text
from .reads import WHOLE_VALUES_FILTER, mark_whole_values

IMPURE = ("random", "now", "env", "lookup", "uuid")


class ChartLoader(BaseLoader):
    """Loads templates from a chart's ``templates/`` directory only: no absolute paths,
    no ``..``; every file is read through the chart's root (``kcompile.load.files.Root``),
    so a symlink leading outside the chart is refused as for any file a build reads.
    ``NAME/x.j2`` that is not a file of the chart's own is ``x.j2`` of its dependency NAME
    (a library chart's helpers: ``{% import "common/_labels.j2" as common %}``)."""

    def __init__(self, chart_dir: Path, dependencies: "dict[str, ChartLoader] | None" = None,
                 root: Any = None) -> None:
        if root is None:
            from ..load.files import Root

            root = Root.standalone(chart_dir, "chart directory")
        self.root = root
        self.chart_dir = root.directory
        self.templates = self.chart_dir / "templates"
        self.dependencies = dependencies or {}

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        parts = template.replace("\\", "/").split("/")
        if template.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise TemplateNotFound(f"{template} (templates are named relative to the chart's templates/)")
        rel = "templates/" + "/".join(parts)
        if not self.root.is_file(rel):
            dep = self.dependencies.get(parts[0]) if len(parts) > 1 else None
            if dep is not None:
                return dep.get_source(environment, "/".join(parts[1:]))
            raise TemplateNotFound(template)
        text = self.root.read_text(rel)
        return text, str(self.root.path(rel)), lambda: True  # one render: files do not change

    def load(self, environment: Any, name: str, globals: Any = None) -> Any:
        """A template, its code taken from the compiled-template cache when there is one
        (:mod:`.compiled`) instead of Jinja2's bytecode cache."""
        from .compiled import compiled_code

        source, filename, uptodate = self.get_source(environment, name)
        code = compiled_code(environment, source, name, filename, getattr(environment, "compiled_templates", None))
        return environment.template_class.from_code(environment, code, environment.make_globals(globals), uptodate)

    def list_templates(self) -> list[str]:
        return [rel[len("templates/"):] for rel in self.root.walk("templates")]


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
        from .compiled import compiled_code

        code = compiled_code(env, text, None, "<tpl>", env.compiled_templates)
        template = env.tpl_templates[text] = env.template_class.from_code(env, code, env.make_globals(None))
    names = dict(context.get_all())
    if variables:
        if not isinstance(variables, dict):
            raise ChartFail("tpl: the second argument must be a map of names to values")
        names.update(variables)
    return template.render(names)


class _ChartTemplate(Template):
    """A template whose module, when imported (``{% import "_helpers.j2" as h %}``),
    reports the values its top-level code read to every template importing it: Jinja2
    runs that code once and shares the module."""

    def make_module(self, vars: Any = None, shared: bool = False, locals: Any = None) -> Any:
        reads = self.environment.reads
        if reads is None:
            return super().make_module(vars, shared, locals)
        reads.begin()
        try:
            module = super().make_module(vars, shared, locals)
        finally:
            read = reads.end()
        reads.add(read)
        module.__dict__["_kcompile_reads"] = read
        return module

    def _get_default_module(self, ctx: Any = None) -> Any:
        module = super()._get_default_module(ctx)
        reads = self.environment.reads
        if reads is not None:
            reads.add(module.__dict__.get("_kcompile_reads", ()))
        return module


@pass_environment
def _whole_values(env: Any, value: Any) -> Any:
    reads = env.reads
    if reads is not None:
        reads.whole(value)
    return value


class ChartEnvironment(ImmutableSandboxedEnvironment):
    """Sandboxed (values cannot be modified either), strict (undefined names are errors),
    blocks trimmed, no autoescape, bounded in time and memory; values print as YAML."""

    intercepted_binops = frozenset(["*", "**", "%", "+", "-", "/", "//"])
    intercepted_unops = frozenset(["-", "+"])
    code_generator_class = _YamlTextCodeGenerator
    template_class = _ChartTemplate

    def __init__(self, chart_dir: Path, compiled_templates: Any = None, loader: ChartLoader | None = None) -> None:
        super().__init__(
            loader=loader or ChartLoader(chart_dir),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=yaml_text,
        )
        self.yaml_text = yaml_text
        self.compiled_templates = compiled_templates  # cache.entries.Entries("templates"), or None
        self.tpl_templates: dict[str, Any] = {}
        self.reads: Any = None  # reads.ValueReads of the render, when its output is cached per template
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
        self.filters["center"] = _center
        self.globals["range"] = self.safe_range
        # What the render has spent (see budget.py); templates report to it as they run.
        self.budget = Budget()
        self.filters.update(BUDGET_FILTERS)
        self.filters[WHOLE_VALUES_FILTER] = _whole_values
        guard_filters(self)

    def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
        return bound_template(mark_whole_values(super()._parse(source, name, filename)))

    def safe_range(self, *args: int) -> Any:
        r = range(*args)
        if len(r) > MAX_RANGE:
            raise RenderLimit(f"range() of {len(r)} items is too large (limit {MAX_RANGE})")
        return r

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        b = __self.budget
        b.tick()
        check_method_call(b, getattr(__obj, "__wrapped__", __obj), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        b.size(result)
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.tick()
        result = super().getattr(obj, attribute)
        reads = self.reads
        if reads is not None and id(obj) in reads.paths:
            return reads.lookup(obj, attribute, result)
        return result

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget.tick()
        result = super().getitem(obj, argument)
        reads = self.reads
        if reads is not None and id(obj) in reads.paths:
            return reads.lookup(obj, argument, result)
        return result

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        b = self.budget
        b.tick()
        check_binop(b, operator, left, right)
        result = super().call_binop(context, operator, left, right)
        b.size(result)
        return result

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        self.budget.tick()
        return super().call_unop(context, operator, arg)


def _center(value: Any, width: int = 80) -> str:
    return str(value).center(width)  # bounded by budget.guard_filters

