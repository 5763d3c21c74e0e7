"""The sandboxed Jinja2 environment charts render in, and its chart-confined loader.

A chart may come from a third party, so templates cannot reach Python internals
(``''.__class__``), files outside the chart, the environment, the clock, randomness or
the network, and cannot exhaust memory with huge ranges or repetitions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .filters import FILTERS, GLOBALS

MAX_STRING = 10_000_000  # characters a single string or list repetition may produce
MAX_RANGE = 100_000


class ChartLoader(BaseLoader):
    """Loads templates from a chart's ``templates/`` directory only: no absolute paths,
    no ``..``, no symlink leading outside the chart."""

    def __init__(self, chart_dir: Path) -> None:
        self.chart_dir = chart_dir.resolve()
        self.templates = self.chart_dir / "templates"

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        parts = template.replace("\\", "/").split("/")
        if template.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise TemplateNotFound(f"{template} (templates are named relative to the chart's templates/)")
        path = (self.templates.joinpath(*parts)).resolve()
        if self.chart_dir not in path.parents:
            raise TemplateNotFound(f"{template} (outside the chart)")
        if not path.is_file():
            raise TemplateNotFound(template)
        text = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.exists() and path.stat().st_mtime == mtime

    def list_templates(self) -> list[str]:
        if not self.templates.is_dir():
            return []
        return sorted(
            p.relative_to(self.templates).as_posix()
            for p in self.templates.rglob("*") if p.is_file()
        )


class ChartEnvironment(SandboxedEnvironment):
    """Sandboxed, strict (undefined names are errors), blocks trimmed, no autoescape."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self, chart_dir: Path, bytecode_cache: Any = None) -> None:
        super().__init__(
            loader=ChartLoader(chart_dir),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            keep_trailing_newline=True,
            bytecode_cache=bytecode_cache,
        )
        self.filters.update(FILTERS)
        self.globals.pop("lipsum", None)  # uses randomness
        self.globals.update(GLOBALS)
        self.globals["range"] = safe_range

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
        return super().call_binop(context, operator, left, right)


def safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise SecurityError(f"range of {len(r)} items is too large (limit {MAX_RANGE})")
    return r


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
