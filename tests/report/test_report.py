"""Renderers: they format a Plan (built here by hand or by compute_plan) and never
recompute; markdown stays under the comment limit and says what it cut."""

from __future__ import annotations

import json

from kcompile.plan import compute_plan
from kcompile.plan.model import Change, FieldChange, Plan, QuotaUse, Rollout
from kcompile.report import MARKDOWN_LIMIT, render_json, render_markdown, render_text


def handmade_plan() -> Plan:
    upd = Change("update", "apps/v1", "Deployment", "prod", "web", {}, {})
    upd.fields = [FieldChange("spec.template.spec.containers[name=web].image", "nginx:1.21", "nginx:1.25")]
    upd.rollout = Rollout("rolling", 4, 4, 1, 1, 3, 5, 2, False, "4 pods roll in 2 step(s)")
    sec = Change("update", "v1", "Secret", "prod", "db", {}, {})
    sec.fields = [FieldChange("data.password", "(sensitive value changed)", "(sensitive value changed)")]
    sec.warnings = ["Deployment/web read this Secret under a name without a content hash"]
    cfg = Change("update", "v1", "ConfigMap", "prod", "files", {}, {})
    cfg.fields = [FieldChange('data["nginx.conf"]', "a\nb\nc\n", "a\nB\nc\n")]
    new = Change("create", "v1", "Service", "prod", "web", None, {})
    gone = Change("delete", "apps/v1", "Deployment", "prod", "old", {}, None)
    gone.rollout = Rollout("none", 2, 2, 0, 0, 0, 2, 0, True, "deleted: its pods stop")
    quota = [QuotaUse("prod", "q", "pods", "10", "11", "10", True)]
    return Plan("overlays/prod", 7, [sec, cfg, new, upd, gone], quota=quota, warnings=["quota exceeded"])


def test_json_has_the_documented_shape():
    data = json.loads(render_json(handmade_plan()))
    assert set(data) >= {"environment", "base_revision", "summary", "changes", "quota", "warnings", "unchanged"}
    assert data["environment"] == "overlays/prod" and data["base_revision"] == 7
    assert data["summary"] == {"create": 1, "update": 3, "replace": 0, "delete": 1}
    c = data["changes"][3]
    assert set(c) == {"action", "apiVersion", "kind", "namespace", "name", "fields", "rollout", "warnings"}
    assert c["fields"] == [{"path": "spec.template.spec.containers[name=web].image",
                            "before": "nginx:1.21", "after": "nginx:1.25"}]
    assert set(c["rollout"]) >= {"strategy", "replicas", "max_surge", "max_unavailable", "min_available",
                                 "max_total", "steps", "downtime"}
    assert data["changes"][2]["rollout"] is None
    assert json.loads(render_json([handmade_plan(), handmade_plan()]))[1]["base_revision"] == 7


def test_text_lists_changes_rollout_warnings_quota_and_summary():
    text = render_text(handmade_plan())
    assert text.startswith("Plan for overlays/prod (against revision 7):")
    assert '  ~ update Deployment/prod/web' in text
    assert '- spec.template.spec.containers[name=web].image: "nginx:1.21"' in text
    assert '+ spec.template.spec.containers[name=web].image: "nginx:1.25"' in text
    assert "rollout: 4 pods roll in 2 step(s)" in text
    assert "warning: Deployment/web read this Secret" in text
    assert "data.password: (sensitive value changed)" in text
    assert "prod/q: pods 10 (peak 11) of 10  OVER" in text
    assert text.rstrip().endswith("Plan: 1 to create, 3 to update, 0 to replace, 1 to delete.")
    assert "\x1b[" not in text and "\x1b[33m" in render_text(handmade_plan(), color=True)
    # a multi-line value (a config file) shows as a line diff
    assert "-   b" in text and "+   B" in text
    empty = render_text(Plan("e", None, []))
    assert "against nothing applied yet" in empty and "No changes." in empty


def test_markdown_summary_table_per_kind_and_sections():
    md = render_markdown(handmade_plan())
    assert md.startswith("## kcompile plan")
    assert "Environment `overlays/prod`, against revision 7." in md
    assert "| Secret | 0 | 1 | 0 | 0 |" in md and "| Deployment | 0 | 1 | 0 | 1 |" in md
    assert "| **total** | **1** | **3** | **0** | **1** |" in md
    assert md.count("<details>") == 5 and md.count("</details>") == 5
    assert "<summary><code>update</code> Deployment/prod/web</summary>" in md
    assert "**Rollout:** 4 pods roll in 2 step(s)" in md
    assert "> ⚠️ quota exceeded" in md
    assert "```diff\n- spec.template.spec.containers[name=web].image: \"nginx:1.21\"\n+ " in md
    assert "⚠️ downtime" not in md.split("Deployment/prod/old")[0].rsplit("<details>", 1)[-1]


def test_markdown_fences_survive_backticks_in_values():
    ch = Change("update", "v1", "ConfigMap", "", "c", {}, {})
    ch.fields = [FieldChange("data.README", "```\nold\n```", "```\nnew\n```")]
    md = render_markdown(Plan("e", 1, [ch]))
    assert "````diff" in md and md.count("````") == 2


def test_markdown_stays_under_the_limit_and_says_what_it_cut():
    after = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{i}", "namespace": "x"},
              "data": {"k": "v" * 200}} for i in range(600)]
    before = [{**o, "data": {"k": "w" * 200}} for o in after]
    plan = compute_plan(before, after, environment="big", base_revision=3)
    text = render_markdown(plan)
    assert len(text) <= MARKDOWN_LIMIT
    assert "| ConfigMap | 0 | 600 | 0 | 0 |" in text  # the table is never cut
    omitted = 600 - text.count("<details>")
    assert omitted > 0 and f"{omitted} of 600 object section(s) omitted" in text
    assert text.count("<details>") == text.count("</details>")
    small = render_markdown(compute_plan(before[:2], after[:2], environment="s", base_revision=3))
    assert "```diff" in small and "omitted" not in small
    assert len(render_markdown(plan, limit=10**9)) > MARKDOWN_LIMIT  # the full report when asked


def test_one_huge_object_is_cut_inside_its_section():
    before = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"},
              "data": {f"k{i:04d}": "a" * 100 for i in range(1000)}}
    after = {**before, "data": {f"k{i:04d}": "b" * 100 for i in range(1000)}}
    text = render_markdown(compute_plan([before], [after], environment="e", base_revision=1))
    assert len(text) <= MARKDOWN_LIMIT
    assert "more changed field(s) not shown" in text and text.count("<details>") == 1


def test_several_plans_one_comment():
    a, b = handmade_plan(), Plan("overlays/dev", 2, [])
    md = render_markdown([a, b], ["overlays/prod", "overlays/dev"])
    assert "| overlays/prod | 1 | 3 | 0 | 1 |" in md and "| overlays/dev | 0 | 0 | 0 | 0 |" in md
    assert "### overlays/prod" in md and "### overlays/dev" in md and "No changes." in md
