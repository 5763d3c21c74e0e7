"""The markdown view, for pull-request comments: a summary table (creates, updates,
replaces and deletes per kind), plan-wide warnings, then one collapsible ``<details>``
section per object with a ``diff`` block.

GitHub rejects comments over 65,536 characters, so the comment stays under ``limit``
(65,000 by default): an object section longer than ``SECTION_LIMIT`` shows its first
field changes and says how many it left out; when the sections still do not fit, the
remaining ones are omitted and the comment says how many and how to get everything.
"""

from __future__ import annotations

import html
import re

from ..plan.model import ACTIONS, Change, Plan
from .common import base_description, diff_lines, headline, rollout_line

MARKDOWN_LIMIT = 65_000
SECTION_LIMIT = 8_000
_BACKTICKS = re.compile(r"`+")


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _fence(body: str) -> str:
    """A code fence longer than any backtick run inside (values may contain ```)."""
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    return "`" * max(3, longest + 1)


_TABLE_HEAD = ["| kind | create | update | replace | delete |", "|---|---:|---:|---:|---:|"]


def _kind_table(plan: Plan) -> list[str]:
    """Creates/updates/replaces/deletes per kind (in apply order), then the totals."""
    per_kind: dict[str, dict[str, int]] = {}
    for ch in plan.changes:
        per_kind.setdefault(ch.kind, {a: 0 for a in ACTIONS})[ch.action] += 1
    rows = [f"| {kind} | " + " | ".join(str(n[a]) for a in ACTIONS) + " |" for kind, n in per_kind.items()]
    s = plan.summary
    rows.append("| **total** | " + " | ".join(f"**{s[a]}**" for a in ACTIONS) + " |")
    return _TABLE_HEAD + rows


def _section(ch: Change, limit: int = SECTION_LIMIT) -> str:
    summary = f"<code>{ch.action}</code> {_esc(headline(ch)[len(ch.action) + 1:])}"
    if ch.rollout and ch.rollout.downtime and ch.action != "delete":
        summary += " — ⚠️ downtime"
    out = [f"<details><summary>{summary}</summary>", ""]
    rl = rollout_line(ch)
    if rl:
        out += [f"**Rollout:** {_esc(rl)}", ""]
    for w in ch.warnings:
        out.append(f"> ⚠️ {_esc(w)}")
    if ch.warnings:
        out.append("")
    body: list[str] = []
    size = sum(len(x) for x in out)
    shown = 0
    for f in ch.fields:
        lines = [f"{sign if sign != '@' else ' '} {text}" for sign, text in diff_lines(f)]
        cost = sum(len(x) + 1 for x in lines)
        if size + cost > limit and shown:
            body.append(f"… {len(ch.fields) - shown} more changed field(s) not shown")
            break
        body += lines
        size += cost
        shown += 1
    if not body and ch.action in ("create", "delete"):
        body.append(("+ " if ch.action == "create" else "- ") + ch.object_id)
    if body:
        text = "\n".join(body)
        fence = _fence(text)
        out += [f"{fence}diff", text, fence]
    out += ["", "</details>", "", ""]  # a blank line between sections keeps GitHub's markdown parser happy
    return "\n".join(out)


def render_markdown(plans: list[Plan] | Plan, titles: list[str] | None = None, limit: int = MARKDOWN_LIMIT) -> str:
    """One comment for one plan or several (``kcompile diff``: one per overlay, with
    ``titles``). At most ``limit`` characters; what is cut is said."""
    if isinstance(plans, Plan):
        plans = [plans]
    titles = titles or [p.environment for p in plans]
    several = len(plans) > 1
    head = ["## kcompile plan", ""]
    if several:  # one row per environment here; per kind in each environment's section
        head += ["| environment | create | update | replace | delete |", "|---|---:|---:|---:|---:|"]
        for t, p in zip(titles, plans):
            head.append(f"| {_esc(t)} | " + " | ".join(str(p.summary[a]) for a in ACTIONS) + " |")
    else:
        p = plans[0]
        head += [f"Environment `{p.environment}`, against {base_description(p)}.", "", *_kind_table(p)]
    head.append("")
    for p in plans:
        for w in p.warnings:
            head.append(f"> ⚠️ {_esc(w)}")
        if p.warnings:
            head.append("")

    sections: list[tuple[bool, str]] = []  # (is an object section, text)
    for t, p in zip(titles, plans):
        part = [f"### {_esc(t)}", ""] if several else []
        if several and p.changes:
            part += [*_kind_table(p), ""]
        if not p.changes:
            part.append("No changes.")
        if p.unchanged:
            part.append(f"{len(p.unchanged)} object(s) unchanged.")
        if part:
            sections.append((False, "\n".join(part) + "\n"))
        for ch in p.changes:
            sections.append((True, _section(ch, min(SECTION_LIMIT, limit // 4))))

    out = "\n".join(head) + "\n"
    total = sum(1 for is_obj, _ in sections if is_obj)
    note = ("\n> ✂️ Truncated to stay under {limit:,} characters: {n} of {total} object section(s) omitted. "
            "The full plan: `kcompile plan OVERLAY --format json` (or `kcompile diff --output-dir DIR`).\n")
    reserve = len(note) + 40
    for i, (_, sec) in enumerate(sections):
        if len(out) + len(sec) + reserve > limit:
            omitted = sum(1 for is_obj, _ in sections[i:] if is_obj)
            return out + note.format(limit=limit, n=omitted, total=total)
        out += sec
    return out
