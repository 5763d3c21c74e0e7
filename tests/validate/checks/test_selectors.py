"""Workload selectors: operators, values, keys, emptiness, and the pod template's labels.

Through :func:`kcompile.validate.validate`: each finding's severity, object, field path
and the file line it points at."""

from __future__ import annotations

import pytest

from kcompile.validate import validate

from ..helpers import deployment, load, only


@pytest.mark.parametrize("selector, matches", [
    ("matchLabels: {app: web}", True),
    ("matchLabels: {app: api}", False),
    ("matchLabels: {app: web, tier: x}", False),
    ("matchExpressions: [{key: app, operator: In, values: [api, web]}]", True),
    ("matchExpressions: [{key: app, operator: In, values: [api]}]", False),
    ("matchExpressions: [{key: tier, operator: In, values: [x]}]", False),  # absent key
    ("matchExpressions: [{key: app, operator: NotIn, values: [api]}]", True),
    ("matchExpressions: [{key: tier, operator: NotIn, values: [x]}]", True),  # absent key
    ("matchExpressions: [{key: app, operator: NotIn, values: [web]}]", False),
    ("matchExpressions: [{key: app, operator: Exists}]", True),
    ("matchExpressions: [{key: tier, operator: Exists}]", False),
    ("matchExpressions: [{key: tier, operator: DoesNotExist}]", True),
    ("matchExpressions: [{key: app, operator: DoesNotExist}]", False),
    ("{matchLabels: {app: web}, matchExpressions: [{key: app, operator: NotIn, values: [web]}]}", False),
])
def test_deployment_selector_against_template_labels(tmp_path, selector, matches):
    text = deployment().replace("    matchLabels: {app: web}\n", f"    {selector}\n" if not selector.startswith("{")
                                else "").replace("  selector:\n", "  selector:\n" if not selector.startswith("{")
                                                 else f"  selector: {selector}\n")
    found = [f for f in validate(load(tmp_path, text)) if "does not match the pod template" in f.message]
    assert bool(found) != matches
    if found:
        assert (found[0].path, found[0].line) == ("spec.selector", 8)


@pytest.mark.parametrize("expr, problem", [
    ("{key: app, operator: In, values: []}", "operator In needs at least one value"),
    ("{key: app, operator: NotIn}", "operator NotIn needs at least one value"),
    ("{key: app, operator: Exists, values: [web]}", "operator Exists takes no values"),
    ("{key: app, operator: Equals, values: [web]}", "unknown operator 'Equals'"),
    ("{key: 'bad key', operator: Exists}", "label key 'bad key'"),
])
def test_match_expression_rules(tmp_path, expr, problem):
    text = deployment().replace("    matchLabels: {app: web}\n", f"    matchExpressions: [{expr}]\n")
    f = only(validate(load(tmp_path, text)), problem)
    assert f.severity == "error" and f.path.startswith("spec.selector.matchExpressions[0]")


def test_empty_selector_is_an_error(tmp_path):
    text = deployment().replace("    matchLabels: {app: web}\n", "    matchLabels: {}\n")
    only(validate(load(tmp_path, text)), "selector is empty")
