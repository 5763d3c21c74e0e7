"""Views of a plan: text (colour on a terminal), markdown (pull-request comments) and JSON.
They format a :class:`~kcompile.plan.Plan`; none recomputes anything."""

from __future__ import annotations

import json
from typing import Any

from ..plan import Plan

MARKDOWN_LIMIT = 65_000
SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
COLORS = {"create": "32", "update": "33", "replace": "35", "delete": "31"}


def _fmt(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, str):
        return v if v.startswith("(sensitive") else json.dumps(v, ensure_ascii=False)
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def render_json(plans: list[Plan] | Plan) -> str:
    if isinstance(plans, Plan):
        return json.dumps(plans.as_dict(), indent=2, ensure_ascii=False) + "\n"
    return json.dumps([p.as_dict() for p in plans], indent=2, ensure_ascii=False) + "\n"


def render_text(plan: Plan, color: bool = False) -> str:
    def c(action: str, s: str) -> str:
        return f"\x1b[{COLORS[action]}m{s}\x1b[0m" if color else s

    base_ref = getattr(plan, "base_ref", None)
    base = (f"git {base_ref}" if base_ref else
            f"revision {plan.base_revision}" if plan.base_revision else "nothing applied yet")
    lines = [f"Plan for {plan.environment} (against {base}):", ""]
    if not plan.changes:
        lines.append("No changes.")
    for ch in plan.changes:
        head = f"{SYMBOLS[ch.action]:>3} {ch.action} {ch.object_id}"
        if ch.replaces:
            head += f" (replaces {ch.replaces})"
        lines.append(c(ch.action, head))
        for f in ch.fields:
            lines.append(f"      {f.path}: {_fmt(f.before)} → {_fmt(f.after)}")
        if ch.rollout and ch.rollout.description and ch.rollout.strategy != "none":
            lines.append(f"      rollout: {ch.rollout.description}")
        for w in ch.warnings:
            lines.append(f"      warning: {w}")
    over = [q for q in plan.quota if q.over]
    for q in over:
        lines.append(f"warning: namespace {q.namespace}: {q.resource} {q.used} (with surge: over) vs ResourceQuota {q.quota} {q.hard}")
    s = plan.summary
    lines += ["", f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
                  f"{s['delete']} to delete."]
    return "\n".join(lines) + "\n"


def _object_section(ch: Any) -> str:
    body = []
    for f in ch.fields:
        if f.before is not None:
            body.append(f"- {f.path}: {_fmt(f.before)}")
        if f.after is not None:
            body.append(f"+ {f.path}: {_fmt(f.after)}")
    if ch.action in ("create", "delete") and not body:
        body.append(("+ " if ch.action == "create" else "- ") + ch.object_id)
    text = [f"<details><summary><code>{ch.action}</code> {ch.object_id}"
            + (f" (replaces {ch.replaces})" if ch.replaces else "") + "</summary>", ""]
    if ch.rollout and ch.rollout.strategy != "none":
        text.append(f"**Rollout:** {ch.rollout.description}")
        text.append("")
    for w in ch.warnings:
        text.append(f"> ⚠️ {w}")
    if ch.warnings:
        text.append("")
    if body:
        text += ["```diff", *body, "```"]
    text += ["", "</details>", ""]
    return "\n".join(text)


def render_markdown(plans: list[Plan] | Plan, titles: list[str] | None = None, limit: int = MARKDOWN_LIMIT) -> str:
    """One comment for one or several plans: a summary table, then a collapsible
    section per object. Over ``limit`` characters, object sections are cut and the
    comment says so."""
    if isinstance(plans, Plan):
        plans = [plans]
    titles = titles or [p.environment for p in plans]
    head = ["## kcompile plan", "", "| environment | create | update | replace | delete |", "|---|---:|---:|---:|---:|"]
    for t, p in zip(titles, plans):
        s = p.summary
        head.append(f"| {t} | {s['create']} | {s['update']} | {s['replace']} | {s['delete']} |")
    head.append("")
    sections: list[str] = []
    for t, p in zip(titles, plans):
        part = [f"### {t}", ""]
        if not p.changes:
            part.append("No changes.")
        over = [q for q in p.quota if q.over]
        for q in over:
            part.append(f"> ⚠️ namespace `{q.namespace}`: {q.resource} over ResourceQuota `{q.quota}` ({q.hard}) during the rollout")
        sections.append("\n".join(part) + "\n")
        for ch in p.changes:
            sections.append(_object_section(ch))
    out = "\n".join(head) + "\n"
    note = "\n> ✂️ The report was truncated to fit a comment: {n} object section(s) omitted. Run `kcompile diff --output-dir DIR` for the full report.\n"
    for i, sec in enumerate(sections):
        if len(out) + len(sec) + len(note) + 20 > limit:
            omitted = sum(1 for s in sections[i:] if s.startswith("<details>"))
            return out + note.format(n=omitted)
        out += sec
    return out
