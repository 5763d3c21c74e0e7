"""Pieces the text and markdown views share: how values and field changes read."""

from __future__ import annotations

import difflib
import json
from typing import Any, Iterator

from ..plan.model import Change, FieldChange, Plan

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}


def fmt_value(v: Any) -> str:
    """A value on one line: strings JSON-quoted, "(sensitive …)" markers as they are."""
    if v is None:
        return "(none)"
    if isinstance(v, str):
        return v if v.startswith("(sensitive") else json.dumps(v, ensure_ascii=False)
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _multiline(v: Any) -> bool:
    return isinstance(v, str) and "\n" in v.rstrip("\n")


def diff_lines(f: FieldChange) -> Iterator[tuple[str, str]]:
    """(sign, text) lines for one field change: ``-``/``+`` for before/after, ``@`` for a
    header; multi-line strings (config files in a ConfigMap) as a line diff."""
    if _multiline(f.before) and _multiline(f.after):
        yield "@", f"{f.path}:"
        for line in list(difflib.unified_diff(f.before.splitlines(), f.after.splitlines(), lineterm="", n=1))[2:]:
            if line.startswith("@@"):
                yield "@", f"  {line}"
            else:
                yield (line[:1] if line[:1] in "+-" else " "), f"  {line[1:]}"
        return
    if f.before is not None:
        yield "-", f"{f.path}: {fmt_value(f.before)}"
    if f.after is not None:
        yield "+", f"{f.path}: {fmt_value(f.after)}"


def base_description(plan: Plan) -> str:
    if plan.base_ref:
        return f"git {plan.base_ref}"
    if plan.base_revision:
        return f"revision {plan.base_revision}"
    return "nothing applied yet"


def headline(ch: Change) -> str:
    s = f"{ch.action} {ch.object_id}"
    if ch.replaces:
        s += f" (replaces {ch.replaces})"
    return s


def rollout_line(ch: Change) -> str | None:
    from ..plan.rollout import STARTS, STOPS

    r = ch.rollout
    if r is None or not r.description or r.description in (STARTS, STOPS):
        return None
    return r.description


def summary_line(plan: Plan) -> str:
    s = plan.summary
    return (f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
            f"{s['delete']} to delete.")
