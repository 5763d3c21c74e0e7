"""Views of a plan: text (colour on a terminal), markdown (pull-request comments) and
JSON (the stable format of docs/plan.md). They format a :class:`~kcompile.plan.Plan`;
none recomputes anything."""

from __future__ import annotations

from .json import render_json
from .markdown import MARKDOWN_LIMIT, render_markdown
from .text import render_text

__all__ = ["render_json", "render_markdown", "render_text", "MARKDOWN_LIMIT"]
