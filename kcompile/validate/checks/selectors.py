"""Workload selectors: well formed (operators, values, label keys), not empty, and matching
the pod template's labels, as the API server requires of Deployments, ReplicaSets,
StatefulSets, DaemonSets and Jobs.
"""

from __future__ import annotations

from typing import Any

from ...model import Resource
from .. import Finding
from .pods import pod_template_labels
from .syntax import label_findings, label_key_problem, transformer_set_keys


SELECTING_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job")


def check(resources: list[Resource]) -> list[Finding]:
    """Each workload's ``spec.selector`` against the rules and its pod template."""
    out: list[Finding] = []
    for r in resources:
        if r.kind in SELECTING_KINDS:
            out += _workload_selector(r)
    return out


SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def selector_matches(selector: Any, labels: dict) -> bool | None:
    """Does a LabelSelector select these labels? None if the selector is malformed.

    matchLabels and matchExpressions are ANDed; ``In`` needs the key with one of the
    values, ``NotIn`` is true when the key is absent, ``Exists``/``DoesNotExist`` look
    at the key only. An empty selector matches everything (callers decide if that is ok).
    """
    if not isinstance(selector, dict):
        return None
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return None
    for k, v in match_labels.items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        if not isinstance(e, dict):
            return None
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op not in SELECTOR_OPERATORS or not isinstance(values, list):
            return None
        if op == "In" and (key not in labels or labels[key] not in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _expression_problems(r: Resource, selector: dict, base: list) -> list[Finding]:
    """The API server's rules for matchExpressions: a known operator; values for In and
    NotIn, none for Exists and DoesNotExist; a valid label key."""
    out = []
    exprs = selector.get("matchExpressions")
    if not isinstance(exprs, list):
        return out
    for i, e in enumerate(exprs):
        path = base + ["matchExpressions", i]
        if not isinstance(e, dict):
            continue
        op, values = e.get("operator"), e.get("values")
        if op not in SELECTOR_OPERATORS:
            out.append(Finding("error", r, path + ["operator"],
                               f"unknown operator {op!r} (one of {', '.join(SELECTOR_OPERATORS)})"))
        elif op in ("In", "NotIn") and not values:
            out.append(Finding("error", r, path + ["values"], f"operator {op} needs at least one value"))
        elif op in ("Exists", "DoesNotExist") and values:
            out.append(Finding("error", r, path + ["values"], f"operator {op} takes no values"))
        key = e.get("key")
        problem = label_key_problem(str(key)) if key is not None else "a matchExpression needs a key"
        if problem:
            out.append(Finding("error", r, path + ["key"], problem))
    return out


def _workload_selector(r: Resource) -> list[Finding]:
    spec = r.body.get("spec") if isinstance(r.body.get("spec"), dict) else {}
    selector = spec.get("selector")
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [Finding("error", r, ["spec", "selector"], "selector must be a LabelSelector (matchLabels/matchExpressions)")]
    problems = _expression_problems(r, selector, ["spec", "selector"])
    problems += label_findings(r, ["spec", "selector", "matchLabels"], selector.get("matchLabels"))
    if problems:
        return problems
    _, labels = pod_template_labels(r)
    ok = selector_matches(selector, labels or {})
    if ok is None:
        return [Finding("error", r, ["spec", "selector"], "selector is malformed")]
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return [Finding("error", r, ["spec", "selector"], "selector is empty: it would select every pod")]
    if not ok:
        path = ["spec", "selector"]
        match_labels = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else {}
        added = [k for k in transformer_set_keys(r, match_labels) if (labels or {}).get(k) != match_labels[k]]
        if added:  # an overlay's label made the mismatch: point at it
            path = ["spec", "selector", "matchLabels", added[0]]
        return [Finding("error", r, path,
                        "selector does not match the pod template's labels: the workload would never own its pods")]
    return []
