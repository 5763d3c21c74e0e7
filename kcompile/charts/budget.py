"""Bounds on rendering a chart as a whole: output, work, value sizes, integer sizes.

A chart may come from someone the repository owner does not trust, so no template may
make a build run for hours or fill memory. Limits on single operations are not enough
(a loop accumulates output, ``~`` doubles a string, nested lists share their items), so
one :class:`Budget` per render counts, and every template is rewritten when it is
compiled (:func:`bound_template`) to report to it:

* every loop iteration, call, attribute lookup, operator and output is one operation
  (``MAX_OPERATIONS``), and the render has a deadline (``MAX_SECONDS``);
* everything a template writes counts against ``MAX_OUTPUT``, macros and ``{% set %}``
  blocks included;
* every value an expression produces (filter and call results, literals, ``~``, operators)
  is at most ``MAX_SIZE`` characters and items *expanded* (a list holding one list ten
  times counts it ten times), so serializing or comparing any value stays bounded;
* operations that produce far more than they take in are checked before they run
  (repetition, ``replace``, ``join``, ``indent``, padding and format widths, ``%``);
* integers stay under ``MAX_INT_BITS`` (Python refuses to print past 4300 digits).

Each refusal is a :class:`RenderLimit` raised inside the template, so the error names
the template file and line where the limit was reached.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from jinja2 import nodes, pass_environment
from jinja2.sandbox import SecurityError
from jinja2.visitor import NodeTransformer

MAX_OUTPUT = 64_000_000  # characters all templates of one render may write
MAX_OPERATIONS = 20_000_000  # loop iterations, calls, lookups, operators, outputs
MAX_SECONDS = 60.0  # wall-clock time of one render
MAX_SIZE = 10_000_000  # characters and items of one value, fully expanded
MAX_INT_BITS = 10_000  # about 3000 decimal digits
MAX_RANGE = 100_000  # items of one range()

_CLOCK_EVERY = 4096  # operations between clock readings


class RenderLimit(SecurityError):
    """A render went past one of the budget's bounds."""


class Budget:
    """What one render has spent so far."""

    def __init__(self) -> None:
        self.operations = 0
        self.output = 0
        self.deadline = time.monotonic() + MAX_SECONDS
        # id -> (value, expanded size) of containers already measured; the value is kept
        # so that its id is not reused while the render runs
        self._sizes: dict[int, tuple[Any, int]] = {}

    def tick(self, n: int = 1) -> None:
        self.operations += n
        if self.operations > MAX_OPERATIONS:
            raise RenderLimit(f"render limit: more than {MAX_OPERATIONS} operations (loop iterations, calls, "
                              "lookups, operators and outputs) in one render")
        if self.operations % _CLOCK_EVERY < n and time.monotonic() > self.deadline:
            raise RenderLimit(f"render limit: rendering took longer than {MAX_SECONDS:g} seconds")

    def write(self, n: int) -> None:
        self.output += n
        if self.output > MAX_OUTPUT:
            raise RenderLimit(f"render limit: templates would write more than {MAX_OUTPUT} characters in one render")

    def size(self, value: Any) -> int:
        """The expanded size of ``value``; refused past ``MAX_SIZE`` (or ``MAX_INT_BITS``)."""
        if isinstance(value, str):
            n = len(value)
        elif isinstance(value, int):
            if value.bit_length() > MAX_INT_BITS:
                raise RenderLimit(f"render limit: an integer of more than {MAX_INT_BITS} bits")
            return 1
        elif isinstance(value, (list, tuple, dict)):
            known = self._sizes.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            n = 1 + len(value)
            if n > MAX_SIZE:
                self._too_big(n)
            if isinstance(value, dict):
                for k, v in value.items():
                    n += self.size(k) + self.size(v)
                    if n > MAX_SIZE:
                        self._too_big(n)
            else:
                for v in value:
                    n += self.size(v)
                    if n > MAX_SIZE:
                        self._too_big(n)
            self._sizes[id(value)] = (value, n)
        else:
            return 1
        if n > MAX_SIZE:
            self._too_big(n)
        return n

    def expect(self, n: int, what: str) -> None:
        """Refuse an operation before it runs if it would produce ``n`` (> MAX_SIZE)."""
        if n > MAX_SIZE:
            raise RenderLimit(f"render limit: {what} would produce {n} characters or items (limit {MAX_SIZE})")

    @staticmethod
    def _too_big(n: int) -> None:
        raise RenderLimit(f"render limit: a value of more than {MAX_SIZE} characters or items (expanded)")


# -- the rewrite of every compiled template ---------------------------------------------

_ITER, _OUT, _VALUE, _LITERAL = "kcompile_iter", "kcompile_out", "kcompile_value", "kcompile_literal"


def _wrap(node: nodes.Expr, name: str, *args: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)


class _Bounder(NodeTransformer):
    """Reports loops, outputs and produced values of a template to the budget."""

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = _wrap(node.iter, _ITER)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        self.generic_visit(node)
        literal = sum(len(c.data) for c in node.nodes if isinstance(c, nodes.TemplateData))
        children: list[nodes.Expr] = [c if isinstance(c, nodes.TemplateData) else _wrap(c, _OUT) for c in node.nodes]
        if literal:
            children.insert(0, _wrap(nodes.Const(""), _LITERAL, nodes.Const(literal)))
        node.nodes = children
        return node

    def visit_Filter(self, node: nodes.Filter) -> nodes.Expr:
        self.generic_visit(node)
        if node.node is None:  # {% filter %} blocks: their body's output is counted
            return node
        return _wrap(node, _VALUE)

    def _produced(self, node: nodes.Expr) -> nodes.Expr:
        self.generic_visit(node)
        if getattr(node, "ctx", "load") != "load":  # an assignment target: {% for k, v in ... %}
            return node
        return _wrap(node, _VALUE)

    visit_Concat = visit_List = visit_Tuple = visit_Dict = _produced


def bound_template(template: nodes.Template) -> nodes.Template:
    """``template`` rewritten to report to its environment's budget (see module doc)."""
    return _Bounder().visit(template)


class _Counted:
    """An iterable whose items each cost one operation; keeps ``len`` for ``loop.length``."""

    def __init__(self, budget: Budget, iterable: Any) -> None:
        self.budget, self.iterable = budget, iterable

    def __len__(self) -> int:
        return len(self.iterable)

    def __iter__(self):
        tick = self.budget.tick
        for item in self.iterable:
            tick()
            yield item


def _budget(env: Any) -> Budget:
    return env.budget


@pass_environment
def _iter_filter(env: Any, iterable: Any) -> Any:
    return _Counted(_budget(env), iterable)


@pass_environment
def _out_filter(env: Any, value: Any) -> Any:
    b = _budget(env)
    b.tick()
    b.write(b.size(value))
    return value


@pass_environment
def _value_filter(env: Any, value: Any) -> Any:
    b = _budget(env)
    b.tick()
    b.size(value)
    return value


@pass_environment
def _literal_filter(env: Any, value: Any, n: int) -> Any:
    b = _budget(env)
    b.tick()
    b.write(n)
    return value


BUDGET_FILTERS: dict[str, Callable] = {
    _ITER: _iter_filter, _OUT: _out_filter, _VALUE: _value_filter, _LITERAL: _literal_filter,
}


# -- operations that produce much more than they take in ---------------------------------

def _count(s: str, sub: str) -> int:
    return s.count(sub) if sub else len(s) + 1


def _replace_size(s: Any, old: Any, new: Any, count: Any = -1) -> int:
    s, old, new = str(s), str(old), str(new)
    n = _count(s, old)
    if isinstance(count, int) and count >= 0:
        n = min(n, count)
    return len(s) + max(0, len(new) - len(old)) * n


def _percent_size(b: Budget, fmt: str, args: Any) -> int:
    """What ``fmt % args`` may write: every field may show the largest argument, padded."""
    import re

    items = args if isinstance(args, tuple) else (list(args.values()) if isinstance(args, dict) else [args])
    largest = max((b.size(a) for a in items), default=0)
    widths = sum(int(w) for w in re.findall(r"%[-+ #0]*(\d+)", fmt) if len(w) < 12) + \
        sum(int(p) for p in re.findall(r"%[-+ #0*\d]*\.(\d+)", fmt) if len(p) < 12)
    if any(len(w) >= 12 for w in re.findall(r"%[-+ #0.]*(\d+)", fmt)):
        widths = MAX_SIZE + 1
    if "*" in fmt:  # widths taken from the arguments
        widths += sum(abs(a) for a in items if isinstance(a, int) and not isinstance(a, bool))
    return len(fmt) + fmt.count("%") * largest + widths


def _format_size(b: Budget, fmt: str, args: tuple, kwargs: dict) -> int:
    """What ``fmt.format(*args, **kwargs)`` may write: each field the largest argument,
    plus any width written in the format string or given as an argument."""
    import re

    largest = max((b.size(a) for a in (*args, *kwargs.values())), default=0)
    widths = 0
    for spec in re.findall(r"\{[^{}]*:([^{}]*)\}", fmt):
        for w in re.findall(r"\d+", spec):
            widths += int(w) if len(w) < 12 else MAX_SIZE + 1
    if re.search(r"\{[^{}]*:[^{}]*\{", fmt):  # nested field: a width from the arguments
        widths += sum(abs(a) for a in (*args, *kwargs.values()) if isinstance(a, int) and not isinstance(a, bool))
    return len(fmt) + fmt.count("{") * largest + widths


def _width(args: tuple, kwargs: dict, name: str = "width") -> int:
    w = args[0] if args else kwargs.get(name, 0)
    return w if isinstance(w, int) else 0


def check_method_call(b: Budget, method: Any, args: tuple, kwargs: dict) -> None:
    """Refuse a call of a ``str`` method that would produce more than ``MAX_SIZE``."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(method, "__name__", "")
    if name == "replace" and len(args) >= 2:
        b.expect(_replace_size(owner, *args[:3]), "str.replace()")
    elif name == "join" and args:
        b.expect(b.size(args[0]) + len(owner) * _len(args[0]), "str.join()")
    elif name in ("ljust", "rjust", "center", "zfill"):
        b.expect(max(len(owner), _width(args, kwargs)), f"str.{name}()")
    elif name == "expandtabs":
        b.expect(len(owner) + owner.count("\t") * _width(args, kwargs, "tabsize"), "str.expandtabs()")
    elif name == "format":
        b.expect(_format_size(b, owner, args, kwargs), "str.format()")
    elif name == "format_map" and args and isinstance(args[0], dict):
        b.expect(_format_size(b, owner, (), args[0]), "str.format_map()")


def _len(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return 0


def check_binop(b: Budget, operator: str, left: Any, right: Any) -> None:
    """Refuse an operator that would produce a value past the limits, before it runs."""
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and not isinstance(n, bool):
                b.expect(b.size(seq) * max(n, 0), "repetition")
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise RenderLimit(f"render limit: the product would have more than {MAX_INT_BITS} bits")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 \
                and (right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS):
            raise RenderLimit(f"render limit: the power would have more than {MAX_INT_BITS} bits")
    elif operator == "%" and isinstance(left, str):
        b.expect(_percent_size(b, left, right), "'%' formatting")
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)):
        b.expect(b.size(left) + b.size(right), "'+'")


# Filters that may produce much more than they take in: each checked before it runs.
def _guard_replace(b: Budget, value: Any, old: Any = "", new: Any = "", count: Any = None, *_: Any) -> None:
    b.expect(_replace_size(value, old, new, -1 if count is None else count), "replace")


def _guard_join(b: Budget, value: Any, d: Any = "", *_: Any, **__: Any) -> Any:
    if not isinstance(value, (str, list, tuple, dict)):
        value = list(_Sized(b, value, "join"))
    b.expect(b.size(value) + len(str(d)) * _len(value), "join")
    return value


def _guard_indent(b: Budget, value: Any, width: Any = 4, *_: Any, **__: Any) -> None:
    s = str(value)
    w = width if isinstance(width, int) else len(str(width))
    b.expect(len(s) + max(w, 0) * (s.count("\n") + 2), "indent")


def _guard_center(b: Budget, value: Any, width: Any = 80, *_: Any) -> None:
    b.expect(max(len(str(value)), width if isinstance(width, int) else 0), "center")


def _guard_format(b: Budget, value: Any, *args: Any, **kwargs: Any) -> None:
    b.expect(_percent_size(b, str(value), kwargs if kwargs else tuple(args)), "format")


def _guard_batch(b: Budget, value: Any, linecount: Any = 1, fill_with: Any = None, *_: Any) -> None:
    n = linecount if isinstance(linecount, int) else 0
    b.expect(b.size(value) + n * (b.size(fill_with) + 1), "batch")


_GUARDS: dict[str, Callable] = {
    "replace": _guard_replace, "join": _guard_join, "indent": _guard_indent, "nindent": _guard_indent,
    "center": _guard_center, "format": _guard_format, "batch": _guard_batch,
    "map": lambda b, value, *a, **k: None,  # its result is measured as it is consumed
}


class _Sized:
    """Items of an iterable, each one operation, refused once they add up past MAX_SIZE."""

    def __init__(self, budget: Budget, iterable: Any, what: str) -> None:
        self.budget, self.iterable, self.what = budget, iterable, what

    def __iter__(self):
        b, total = self.budget, 0
        for item in self.iterable:
            b.tick()
            total += b.size(item) + 1
            b.expect(total, self.what)
            yield item


def guard_filters(env: Any) -> None:
    """Put the checks of ``_GUARDS`` in front of the environment's filters of those names."""
    for name, guard in _GUARDS.items():
        original = env.filters.get(name)
        if original is not None and not getattr(original, "kcompile_guarded", False):
            env.filters[name] = _guarded(env, original, guard)


def _guarded(env: Any, original: Callable, guard: Callable) -> Callable:
    passes = getattr(original, "jinja_pass_arg", None)

    name = getattr(original, "__name__", "")

    def run(call: Callable, value: Any, args: tuple, kwargs: dict) -> Any:
        changed = guard(env.budget, value, *args, **kwargs)
        result = call(value if changed is None else changed, *args, **kwargs)
        return _Sized(env.budget, result, "map") if name == "do_map" else result

    if passes is None:
        def checked(value: Any, *args: Any, **kwargs: Any) -> Any:
            return run(original, value, args, kwargs)
    else:
        def checked(first: Any, value: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            return run(lambda *a, **k: original(first, *a, **k), value, args, kwargs)
        checked.jinja_pass_arg = passes  # type: ignore[attr-defined]
    checked.kcompile_guarded = True  # type: ignore[attr-defined]
    return checked
