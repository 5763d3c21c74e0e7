"""The text view, for terminals (colour when asked) and logs."""

from __future__ import annotations

from ..plan.model import Plan
from .common import SYMBOLS, base_description, diff_lines, headline, rollout_line, summary_line

COLORS = {"create": "32", "update": "33", "replace": "35", "delete": "31", "-": "31", "+": "32", "warning": "33"}


def render_text(plan: Plan, color: bool = False) -> str:
    """The plan for a terminal: one block per change in apply order, its field changes,
    rollout and warnings, then quota use and the summary line."""

    def c(code: str, s: str) -> str:
        return f"\x1b[{COLORS[code]}m{s}\x1b[0m" if color and code in COLORS else s

    lines = [f"Plan for {plan.environment} (against {base_description(plan)}):", ""]
    if not plan.changes:
        lines.append("No changes.")
    for ch in plan.changes:
        lines.append(c(ch.action, f"{SYMBOLS[ch.action]:>3} {headline(ch)}"))
        for f in ch.fields:
            for sign, text in diff_lines(f):
                lines.append(c(sign, f"      {sign if sign != '@' else ' '} {text}"))
        rl = rollout_line(ch)
        if rl:
            lines.append(f"      rollout: {rl}")
        for w in ch.warnings:
            lines.append(c("warning", f"      warning: {w}"))
    for u in plan.unchanged:
        lines.append(f"  = unchanged {u.object_id}")
    if plan.quota:
        lines += ["", "Quota after the change:"]
        for q in plan.quota:
            over = c("warning", "  OVER") if q.over else ""
            lines.append(f"  {q.namespace}/{q.quota}: {q.resource} {q.used} (peak {q.peak}) of {q.hard}{over}")
    for w in plan.warnings:
        lines.append(c("warning", f"warning: {w}"))
    lines += ["", summary_line(plan)]
    return "\n".join(lines) + "\n"
