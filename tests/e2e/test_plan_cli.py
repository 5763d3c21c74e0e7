"""State, plan, apply, history, rollback: end to end through the CLI, on small
Kustomize-style overlays written into temporary directories."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcompile.cli import main

ROOT = Path(__file__).resolve().parents[2]


def deployment(name="web", replicas=4, image="app:1", strategy=None, selector=None, cm="settings", secret="creds"):
    if strategy is None:
        strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    selector = selector or {"app": name}
    env_from = []
    if cm:
        env_from.append({"configMapRef": {"name": cm}})
    if secret:
        env_from.append({"secretRef": {"name": secret}})
    container = {"name": "web", "image": image,
                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                               "limits": {"cpu": "200m", "memory": "128Mi"}}}
    if env_from:
        container["envFrom"] = env_from
    spec = {"replicas": replicas, "strategy": strategy, "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": {"app": name, **selector}}, "spec": {"containers": [container]}}}
    if not strategy:  # {}: leave it to the defaults
        del spec["strategy"]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"LOG": "info"}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
          "stringData": {"password": "hunter2-first"},
          "data": {"api-key": base64.b64encode(b"plain-api-key-1").decode()}}
QUOTA = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
         "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}


class Repo:
    """A repository with one overlay (env/dev) whose objects the test rewrites."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / ".git").mkdir(exist_ok=True)
        self.ov = root / "env" / "dev"
        self.ov.mkdir(parents=True, exist_ok=True)
        self.state = root / "state.db"

    def write(self, objects: list[dict], extra: str = "") -> None:
        from kcompile.yaml.write import dump_all

        (self.ov / "objects.yaml").write_text(dump_all(objects))
        (self.ov / "kcompile.yaml").write_text("resources: [objects.yaml]\nnamespace: dev\n" + extra)

    def run(self, capsys, *args: str) -> tuple[int, str, str]:
        code = main([*args[:1], str(self.ov), "--state", str(self.state), *args[1:]])
        out, err = capsys.readouterr()
        return code, out, err

    def plan(self, capsys, *extra: str) -> dict:
        code, out, err = self.run(capsys, "plan", "--format", "json", *extra)
        assert code == 0, err
        return json.loads(out)

    def history(self, capsys) -> list[dict]:
        code, out, err = self.run(capsys, "history", "--format", "json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KCOMPILE_STATE", raising=False)
    r = Repo(tmp_path)
    r.write([deployment(), CM, SECRET, QUOTA])
    return r


def changes_by_id(plan: dict) -> dict:
    return {f"{c['kind']}/{c['name']}": c for c in plan["changes"]}


# -- plan basics -------------------------------------------------------------------------------

def test_first_plan_creates_everything_in_apply_order(repo, capsys):
    repo.write([deployment(), SERVICE, CM, SECRET, QUOTA,
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}},
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}])
    plan = repo.plan(capsys)
    assert plan["environment"] == "env/dev" and plan["base_revision"] is None
    assert plan["summary"] == {"create": 7, "update": 0, "replace": 0, "delete": 0}
    assert [c["kind"] for c in plan["changes"]] == [
        "Namespace", "ResourceQuota", "ServiceAccount", "Secret", "ConfigMap", "Service", "Deployment"]
    assert all(c["action"] == "create" and c["fields"] == [] for c in plan["changes"])
    dep = changes_by_id(plan)["Deployment/web"]
    assert dep["apiVersion"] == "apps/v1" and dep["namespace"] == "dev"
    assert dep["rollout"]["strategy"] == "none" and dep["rollout"]["replicas"] == 4
    assert changes_by_id(plan)["Service/web"]["rollout"] is None


def test_apply_then_no_changes_and_detailed_exit_codes(repo, capsys):
    assert repo.run(capsys, "plan", "--detailed-exitcode")[0] == 2
    assert repo.run(capsys, "plan")[0] == 0  # without the flag: 0 whatever the plan
    assert repo.run(capsys, "apply", "-m", "first")[0] == 0
    code, out, _ = repo.run(capsys, "plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    assert repo.run(capsys, "plan", "--detailed-exitcode")[0] == 2
    (repo.ov / "kcompile.yaml").write_text("resources: [missing.yaml]\n")
    code, _, err = repo.run(capsys, "plan", "--detailed-exitcode")
    assert code == 1 and err.startswith("kcompile: error:")


def test_show_unchanged_lists_the_rest(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    assert repo.plan(capsys)["unchanged"] == []
    plan = repo.plan(capsys, "--show-unchanged")
    assert plan["unchanged"] == ["ResourceQuota/dev/q", "Secret/dev/creds", "ConfigMap/dev/settings"]
    assert "= unchanged ConfigMap/dev/settings" in repo.run(capsys, "plan", "--show-unchanged")[1]


def test_image_change_rolls_by_merge_key(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    plan = repo.plan(capsys)
    assert plan["base_revision"] == 1 and plan["summary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0}
    c = changes_by_id(plan)["Deployment/web"]
    assert c["action"] == "update"
    assert c["fields"] == [{"path": "spec.template.spec.containers[name=web].image", "before": "app:1", "after": "app:2"}]
    r = c["rollout"]
    assert {k: r[k] for k in ("strategy", "replicas", "pods", "max_surge", "max_unavailable", "min_available",
                              "max_total", "steps", "downtime")} == {
        "strategy": "rolling", "replicas": 4, "pods": 4, "max_surge": 1, "max_unavailable": 0,
        "min_available": 4, "max_total": 5, "steps": 4, "downtime": False}
    text = repo.run(capsys, "plan")[1]
    assert 'spec.template.spec.containers[name=web].image: "app:1"' in text and '"app:2"' in text
    assert "4 pods roll in 4 step(s)" in text


def test_reordering_containers_and_keys_is_not_a_change(repo, capsys):
    two = deployment()
    two["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "proxy:1"})
    repo.write([two, CM, SECRET, QUOTA])
    repo.run(capsys, "apply", "--no-validate")
    swapped = deployment()
    swapped["spec"]["template"]["spec"]["containers"].insert(0, {"image": "proxy:1", "name": "sidecar"})
    swapped["spec"]["template"]["spec"]["containers"][1]["resources"]["requests"]["cpu"] = "0.1"  # = 100m
    repo.write([swapped, CM, SECRET, QUOTA])
    assert repo.run(capsys, "plan", "--no-validate", "--detailed-exitcode")[0] == 0


# -- rollout arithmetic through the CLI ----------------------------------------------------------

# (replicas, maxSurge, maxUnavailable) -> (max_surge, max_unavailable, min_available, max_total, steps),
# worked out by hand: surge = ceil(pct × R), unavailable = floor(pct × R) capped at R, both 0 -> unavailable 1,
# min_available = R - unavailable, max_total = R + surge, steps = ceil(R / (surge + unavailable)).
ROLLING_CASES = [
    (4, "25%", "25%", (1, 1, 3, 5, 2)),
    (10, "25%", "25%", (3, 2, 8, 13, 2)),   # 2.5 surge rounds up to 3, 2.5 unavailable rounds down to 2
    (10, 0, 1, (0, 1, 9, 10, 10)),
    (5, 1, 0, (1, 0, 5, 6, 5)),
    (3, 0, 0, (0, 1, 2, 3, 3)),             # both 0: unavailable becomes 1
    (1, "25%", "25%", (1, 0, 1, 2, 1)),     # 0.25 -> surge 1, unavailable 0
    (7, "50%", "30%", (4, 2, 5, 11, 2)),    # 3.5 -> 4; 2.1 -> 2
    (20, 5, "10%", (5, 2, 18, 25, 3)),      # 20 / 7 -> 3 steps
    (6, "100%", 0, (6, 0, 6, 12, 1)),
    (3, "34%", "0%", (2, 0, 3, 5, 2)),      # 1.02 -> 2
    (2, 0, 5, (0, 2, 0, 2, 1)),             # unavailable capped at replicas: downtime
    (8, None, None, (2, 2, 6, 10, 2)),      # defaults 25% / 25%
]


def test_rolling_update_numbers_for_many_combinations(repo, capsys):
    def objects(image: str) -> list[dict]:
        out = []
        for i, (replicas, surge, unavailable, _) in enumerate(ROLLING_CASES):
            ru = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
            out.append(deployment(name=f"d{i}", replicas=replicas, image=image, cm=None, secret=None,
                                  strategy={"type": "RollingUpdate", "rollingUpdate": ru} if ru else {}))
        return out

    repo.write(objects("app:1"))
    assert repo.run(capsys, "apply", "--no-validate")[0] == 0
    repo.write(objects("app:2"))
    plan = changes_by_id(repo.plan(capsys, "--no-validate"))
    for i, (replicas, _, _, expect) in enumerate(ROLLING_CASES):
        r = plan[f"Deployment/d{i}"]["rollout"]
        got = (r["max_surge"], r["max_unavailable"], r["min_available"], r["max_total"], r["steps"])
        assert (r["strategy"], r["replicas"], r["pods"]) == ("rolling", replicas, replicas), i
        assert got == expect, (i, ROLLING_CASES[i])
        assert r["downtime"] is (expect[2] == 0), i


def test_replicas_only_scales_without_restart(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(replicas=6), CM, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["Deployment/web"]
    assert c["fields"] == [{"path": "spec.replicas", "before": 4, "after": 6}]
    r = c["rollout"]
    assert (r["strategy"], r["replicas"], r["pods"], r["min_available"], r["max_total"], r["downtime"]) == \
        ("scale", 6, 2, 4, 6, False)
    assert "without restarting" in r["description"]


def test_recreate_strategy_means_downtime(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(image="app:2", strategy={"type": "Recreate"}), CM, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["Deployment/web"]
    assert c["action"] == "update"
    assert {"path": "spec.strategy.type", "before": "RollingUpdate", "after": "Recreate"} in c["fields"]
    r = c["rollout"]
    assert (r["strategy"], r["downtime"], r["min_available"], r["max_total"], r["max_unavailable"]) == \
        ("recreate", True, 0, 4, 4)


def test_selector_change_is_a_replace_with_downtime(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(selector={"app": "web", "tier": "front"}), CM, SECRET, QUOTA])
    plan = repo.plan(capsys)
    c = changes_by_id(plan)["Deployment/web"]
    assert c["action"] == "replace" and plan["summary"]["replace"] == 1
    assert c["rollout"]["strategy"] == "replace" and c["rollout"]["downtime"] is True
    assert c["rollout"]["min_available"] == 0
    assert any("spec.selector is immutable" in w for w in c["warnings"])
    assert {"path": "spec.selector.matchLabels.tier", "before": None, "after": "front"} in c["fields"]


def test_statefulset_and_service_immutable_fields(repo, capsys):
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"serviceName": "db", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "db", "image": "pg:15"}]}}}}
    svc = {**SERVICE, "spec": {**SERVICE["spec"], "clusterIP": "10.0.0.10"}}
    repo.write([sts, svc])
    repo.run(capsys, "apply", "--no-validate")
    sts2 = json.loads(json.dumps(sts))
    sts2["spec"]["template"]["spec"]["containers"][0]["image"] = "pg:16"
    svc2 = {**SERVICE, "spec": {**SERVICE["spec"], "clusterIP": "10.0.0.11"}}
    repo.write([sts2, svc2])
    plan = changes_by_id(repo.plan(capsys, "--no-validate"))
    r = plan["StatefulSet/db"]["rollout"]
    assert plan["StatefulSet/db"]["action"] == "update"
    assert (r["strategy"], r["pods"], r["max_unavailable"], r["min_available"], r["steps"]) == ("rolling", 3, 1, 2, 3)
    assert plan["Service/web"]["action"] == "replace"
    sts2["spec"]["serviceName"] = "db-headless"
    repo.write([sts2, svc])
    assert changes_by_id(repo.plan(capsys, "--no-validate"))["StatefulSet/db"]["action"] == "replace"


# -- ConfigMaps, Secrets, quota ----------------------------------------------------------------------

def test_configmap_changed_in_place_warns_running_pods_keep_old_value(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(), {**CM, "data": {"LOG": "debug"}}, SECRET, QUOTA])
    plan = repo.plan(capsys)
    c = changes_by_id(plan)["ConfigMap/settings"]
    assert c["action"] == "update" and c["rollout"] is None
    assert c["fields"] == [{"path": "data.LOG", "before": "info", "after": "debug"}]
    assert any("keep the old value until they restart" in w and "Deployment/web" in w for w in c["warnings"])
    # when the Deployment rolls anyway, its new pods read the new value: no warning
    repo.write([deployment(image="app:2"), {**CM, "data": {"LOG": "debug"}}, SECRET, QUOTA])
    assert changes_by_id(repo.plan(capsys))["ConfigMap/settings"]["warnings"] == []


def test_secret_changed_in_place_warns_too(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(), CM, {**SECRET, "stringData": {"password": "hunter2-second"}}, QUOTA])
    c = changes_by_id(repo.plan(capsys))["Secret/creds"]
    assert any("keep the old value until they restart" in w for w in c["warnings"])


def test_secret_values_never_shown_or_stored(repo, capsys):
    repo.run(capsys, "apply")
    new_secret = {**SECRET, "stringData": {"password": "hunter2-second", "token": "t0ken-value"},
                  "data": {"api-key": base64.b64encode(b"plain-api-key-2").decode()}}
    repo.write([deployment(), CM, new_secret, QUOTA])
    plan = repo.plan(capsys)
    c = changes_by_id(plan)["Secret/creds"]
    assert {"path": "stringData.password", "before": "(sensitive value changed)",
            "after": "(sensitive value changed)"} in c["fields"]
    assert {"path": "stringData.token", "before": None, "after": "(sensitive value added)"} in c["fields"]
    assert {"path": "data.api-key", "before": "(sensitive value changed)",
            "after": "(sensitive value changed)"} in c["fields"]
    secrets = [b"hunter2", b"t0ken-value", b"plain-api-key"]
    secrets += [base64.b64encode(b"plain-api-key-" + n) for n in (b"1", b"2")]
    for fmt in ("text", "markdown", "json"):
        out = repo.run(capsys, "plan", "--format", fmt)[1].encode()
        assert not any(s in out for s in secrets), fmt
    repo.run(capsys, "apply")
    stored = b"".join(p.read_bytes() for p in repo.root.rglob("state.db*") if p.is_file())
    assert b"Secret" in stored and b"kcompile-digest:" in stored
    assert not any(s in stored for s in secrets)
    assert oct((repo.root / "state.db.key").stat().st_mode & 0o777) == "0o600"


def test_generated_secret_values_are_not_stored_either(repo, capsys):
    repo.write([deployment(secret="gen")], extra="secretGenerator:\n- name: gen\n  literals: [TOKEN=s3cr3t-gen-value]\n")
    assert repo.run(capsys, "apply", "--no-validate")[0] == 0
    stored = b"".join(p.read_bytes() for p in repo.root.rglob("state.db*") if p.is_file())
    assert b"s3cr3t-gen-value" not in stored and base64.b64encode(b"s3cr3t-gen-value") not in stored


def test_hash_suffixed_rename_is_one_replacement(repo, capsys):
    repo.write([deployment(cm="gen")], extra="configMapGenerator:\n- name: gen\n  literals: [A=1]\n")
    repo.run(capsys, "apply", "--no-validate")
    repo.write([deployment(cm="gen")], extra="configMapGenerator:\n- name: gen\n  literals: [A=2]\n")
    plan = repo.plan(capsys, "--no-validate")
    cms = [c for c in plan["changes"] if c["kind"] == "ConfigMap"]
    assert len(cms) == 1 and cms[0]["action"] == "replace"
    assert cms[0]["replaces"].startswith("gen-") and cms[0]["name"].startswith("gen-")
    assert cms[0]["replaces"] != cms[0]["name"]
    assert cms[0]["fields"] == [{"path": "data.A", "before": "1", "after": "2"},
                                {"path": "metadata.name", "before": cms[0]["replaces"], "after": cms[0]["name"]}]
    assert plan["summary"] == {"create": 0, "update": 1, "replace": 1, "delete": 0}
    dep = changes_by_id(plan)["Deployment/web"]
    assert dep["rollout"]["strategy"] == "rolling"
    assert [f["path"] for f in dep["fields"]] == ["spec.template.spec.containers[name=web].envFrom"]
    assert not any("keep the old value" in w for c in plan["changes"] for w in c["warnings"])


def test_immutable_configmap_data_change_is_a_replace(repo, capsys):
    repo.write([deployment(), {**CM, "immutable": True}, SECRET, QUOTA])
    repo.run(capsys, "apply")
    repo.write([deployment(), {**CM, "immutable": True, "data": {"LOG": "debug"}}, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["ConfigMap/settings"]
    assert c["action"] == "replace" and any("immutable" in w for w in c["warnings"])


def test_deletes_come_last_in_reverse_order(repo, capsys):
    repo.write([deployment(), SERVICE, CM, SECRET, QUOTA])
    repo.run(capsys, "apply")
    repo.write([CM, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "new"}}])
    plan = repo.plan(capsys)
    assert [(c["action"], c["kind"]) for c in plan["changes"]] == [
        ("create", "ServiceAccount"),
        ("delete", "Deployment"), ("delete", "Service"), ("delete", "Secret"), ("delete", "ResourceQuota")]
    dep = changes_by_id(plan)["Deployment/web"]["rollout"]
    assert dep["downtime"] is True and dep["pods"] == 4


def test_quota_usage_after_the_change(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(replicas=10), CM, SECRET, QUOTA])
    plan = repo.plan(capsys, "--no-validate")
    by_resource = {q["resource"]: q for q in plan["quota"]}
    pods = by_resource["pods"]
    assert (pods["namespace"], pods["quota"], pods["used"], pods["peak"], pods["hard"], pods["over"]) == \
        ("dev", "q", "10", "11", "10", True)  # 10 replicas + 1 surge pod > 10
    cpu = by_resource["requests.cpu"]
    assert (cpu["used"], cpu["peak"], cpu["over"]) == ("1", "1100m", False)
    assert any("over ResourceQuota q" in w for w in plan["warnings"])
    assert any("over ResourceQuota" in w for w in changes_by_id(plan)["Deployment/web"]["warnings"])
    repo.write([deployment(replicas=8), CM, SECRET, QUOTA])
    plan = repo.plan(capsys)
    assert not any(q["over"] for q in plan["quota"]) and plan["warnings"] == []


# -- formats -----------------------------------------------------------------------------------------

def test_markdown_plan_has_a_per_kind_table_and_sections(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(image="app:2"), {**CM, "data": {"LOG": "debug"}}, SECRET, QUOTA, SERVICE])
    code, out, _ = repo.run(capsys, "plan", "--format", "markdown")
    assert code == 0
    assert "| kind | create | update | replace | delete |" in out
    assert "| Deployment | 0 | 1 | 0 | 0 |" in out and "| Service | 1 | 0 | 0 | 0 |" in out
    assert "| **total** | **1** | **2** | **0** | **0** |" in out
    assert out.count("<details>") == 3 and "```diff" in out
    assert '- spec.template.spec.containers[name=web].image: "app:1"' in out


def test_text_plan_is_coloured_only_when_asked(repo, capsys):
    from kcompile.commands.plan import render
    from kcompile.plan import compute_plan
    from kcompile.report import render_text

    assert "\x1b[" not in repo.run(capsys, "plan")[1]  # captured output is not a terminal
    plan = compute_plan([], [CM], environment="e", base_revision=None)
    assert "\x1b[32m" in render_text(plan, color=True)
    assert render(plan, "json").startswith("{")


# -- state: environments, paths, history, rollback -----------------------------------------------

def test_env_names_and_state_locations(repo, capsys, monkeypatch):
    assert main(["apply", str(repo.ov)]) == 0  # default: .kcompile/state.db in the repository root
    assert (repo.root / ".kcompile" / "state.db").is_file()
    assert main(["apply", str(repo.ov), "--env", "prod-eu", "-m", "named"]) == 0
    capsys.readouterr()
    assert main(["history", str(repo.ov), "--env", "prod-eu", "--format", "json"]) == 0
    assert [h["message"] for h in json.loads(capsys.readouterr().out)] == ["named"]
    assert main(["history", str(repo.ov), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    other = repo.root / "elsewhere.db"
    monkeypatch.setenv("KCOMPILE_STATE", str(other))
    assert main(["apply", str(repo.ov)]) == 0
    assert other.is_file()
    monkeypatch.chdir(repo.ov)  # the environment name does not depend on the working directory
    capsys.readouterr()
    assert main(["plan", ".", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["environment"] == "env/dev" and plan["base_revision"] == 1


def test_history_and_rollback_round_trip(repo, capsys):
    repo.run(capsys, "apply", "-m", "one")
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    repo.run(capsys, "apply", "-m", "two")
    hist = repo.history(capsys)
    assert [(h["revision"], h["message"]) for h in hist] == [(1, "one"), (2, "two")]
    assert all(set(h) == {"revision", "time", "user", "commit", "message", "rollback_to"} for h in hist)
    assert all(h["rollback_to"] is None for h in hist)
    assert all(h["user"] and h["time"].endswith("Z") for h in hist)
    code, out, _ = repo.run(capsys, "history")
    assert code == 0 and "REVISION" in out and "two" in out
    code, out, err = repo.run(capsys, "rollback", "--to-revision", "1", "--dry-run", "--format", "json")
    assert code == 0, err
    dry = json.loads(out)  # the plan from the current state (revision 2) to revision 1
    assert dry["base_revision"] == 2 and dry["summary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0}
    assert changes_by_id(dry)["Deployment/web"]["fields"] == [{
        "path": "spec.template.spec.containers[name=web].image", "before": "app:2", "after": "app:1"}]
    assert changes_by_id(dry)["Deployment/web"]["rollout"]["strategy"] == "rolling"
    code, out, _ = repo.run(capsys, "rollback", "--to-revision", "1", "--dry-run", "--detailed-exitcode")
    assert code == 2 and "app:2" in out and "app:1" in out and "kind: Deployment" not in out
    assert len(repo.history(capsys)) == 2  # dry run records nothing
    code, out, err = repo.run(capsys, "rollback", "--to-revision", "1")
    assert code == 0 and "recorded revision 3" in err
    hist = repo.history(capsys)
    assert hist[-1]["revision"] == 3 and hist[-1]["message"] == "rollback to revision 1"
    assert [h["rollback_to"] for h in hist] == [None, None, 1]
    code, out, _ = repo.run(capsys, "rollback", "--to-revision", "2", "--dry-run", "--detailed-exitcode")
    assert code == 2
    code, out, _ = repo.run(capsys, "rollback", "--to-revision", "1", "--dry-run", "--detailed-exitcode")
    assert code == 0  # revision 1 is what is applied
    # revision 3 holds revision 1's objects: the working tree (app:2) differs from it again
    plan = repo.plan(capsys)
    assert plan["base_revision"] == 3
    assert changes_by_id(plan)["Deployment/web"]["fields"] == [{
        "path": "spec.template.spec.containers[name=web].image", "before": "app:1", "after": "app:2"}]
    assert "Deployment/web" not in changes_by_id(repo.plan(capsys, "--revision", "2"))
    code, _, err = repo.run(capsys, "plan", "--revision", "9")
    assert code == 1 and "no revision 9" in err and "1..3" in err


def test_digest_only_revisions_take_secrets_from_the_build_or_refuse(repo, capsys):
    """Revisions recorded before Secret values were kept (schema 2: digests only) roll back
    as they did: from the build when its values have the same digests, else a refusal."""
    repo.run(capsys, "apply")
    repo.write([deployment(), CM, {**SECRET, "stringData": {"password": "changed-value"}}, QUOTA])
    repo.run(capsys, "apply")
    db = sqlite3.connect(repo.state)
    db.execute("DELETE FROM secret_values WHERE revision = 1")  # what a schema-2 revision holds
    db.commit()
    db.close()
    code, out, err = repo.run(capsys, "rollback", "--to-revision", "1")
    assert code == 1 and "Secret dev/creds had other values" in err
    assert "recorded before kcompile kept Secret values" in err
    assert "hunter2" not in err + out and "changed-value" not in err + out
    assert len(repo.history(capsys)) == 2
    repo.write([deployment(), CM])  # the Secret is gone from the overlay
    code, _, err = repo.run(capsys, "rollback", "--to-revision", "1")
    assert code == 1 and "Secret dev/creds is not in the current build" in err
    # the dry run's plan needs no build: Secret values compare by digest, and never show
    code, out, err = repo.run(capsys, "rollback", "--to-revision", "1", "--dry-run")
    assert code == 0 and "Secret" in out and "sensitive value changed" in out
    assert "hunter2" not in out + err and "changed-value" not in out + err


def test_rollback_without_secrets_works_when_the_tree_does_not_build(repo, capsys):
    repo.write([deployment(secret=None), CM])
    repo.run(capsys, "apply")
    (repo.ov / "kcompile.yaml").write_text("resources: [gone.yaml]\n")
    code, out, err = repo.run(capsys, "rollback", "--to-revision", "1")
    assert code == 0, err
    assert "kind: Deployment" in out and len(repo.history(capsys)) == 2


def _fake_kubectl(tmp: Path, exit_code: int) -> Path:
    """A kubectl stand-in: logs each call's arguments and stdin to kubectl.log."""
    script = tmp / f"kubectl-{exit_code}"
    script.write_text(f"#!/bin/sh\necho \"ARGS: $*\" >> {tmp}/kubectl.log\ncat >> {tmp}/kubectl.log\n"
                      f"echo 'applied by fake kubectl'\necho 'some failure' >&2\nexit {exit_code}\n")
    script.chmod(0o755)
    return script


def test_apply_with_kubectl_records_only_on_success(repo, capsys, monkeypatch):
    log = repo.root / "kubectl.log"
    monkeypatch.setenv("KCOMPILE_KUBECTL", str(_fake_kubectl(repo.root, 1)))
    code, _, err = repo.run(capsys, "apply", "--kubectl")
    assert code == 1 and "kubectl apply failed" in err and "nothing was recorded" in err
    assert repo.history(capsys) == []
    log.unlink()
    monkeypatch.setenv("KCOMPILE_KUBECTL", str(_fake_kubectl(repo.root, 0)))
    code, out, err = repo.run(capsys, "apply", "--kubectl", "-m", "via kubectl")
    assert code == 0 and "applied by fake kubectl" in out
    assert "4 created, 0 updated, 0 replaced, 0 deleted" in err
    sent = log.read_text()
    assert sent.startswith("ARGS: apply -f -\n") and sent.count("ARGS:") == 1
    assert "kind: Deployment" in sent and "hunter2-first" in sent  # the cluster gets real values
    assert [h["message"] for h in repo.history(capsys)] == ["via kubectl"]


def test_apply_with_kubectl_deletes_and_replaces_what_the_plan_says(repo, capsys, monkeypatch):
    log = repo.root / "kubectl.log"
    monkeypatch.setenv("KCOMPILE_KUBECTL", str(_fake_kubectl(repo.root, 0)))
    repo.write([deployment(), CM, SECRET, QUOTA, SERVICE])
    assert repo.run(capsys, "apply", "--kubectl")[0] == 0
    log.unlink()
    # the selector changes (replace in place: --force), the Service and quota go away (deleted)
    repo.write([deployment(selector={"app": "web", "v": "2"}), CM, SECRET])
    code, _, err = repo.run(capsys, "apply", "--kubectl")
    assert code == 0, err
    calls = log.read_text().split("ARGS: ")[1:]
    assert calls[0].startswith("apply --force -f -")
    assert calls[1].startswith("delete --ignore-not-found -f -")
    deleted = calls[1]
    assert deleted.index("kind: Service") < deleted.index("kind: ResourceQuota")  # reverse apply order
    assert "spec" not in deleted and "name: web" in deleted and "namespace: dev" in deleted
    assert "1 replaced, 2 deleted" in err


def test_newer_or_corrupted_state_file_is_a_clear_error(repo, capsys):
    repo.run(capsys, "apply")
    db = sqlite3.connect(repo.state)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    for cmd in ("plan", "history", "apply"):
        code, _, err = repo.run(capsys, cmd)
        assert code == 1 and "newer than this kcompile supports" in err and "upgrade kcompile" in err, cmd
        assert "Traceback" not in err
    for p in repo.root.glob("state.db*"):
        if p.is_file():
            p.unlink()
    repo.state.write_bytes(b"this is not a database" * 100)
    for cmd in ("plan", "history", "apply"):
        code, _, err = repo.run(capsys, cmd)
        assert code == 1 and "not a readable kcompile state database" in err and "Traceback" not in err, cmd
    assert repo.state.read_bytes() == b"this is not a database" * 100  # left as it was


# -- real processes: concurrency and crashes ------------------------------------------------------

def _apply_proc(repo: Repo, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kcompile", "apply", str(repo.ov), "--state", str(repo.state), *extra],
        cwd=repo.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("KCOMPILE_TEST_PAUSE_MID_APPLY", None)
    env.update(extra)
    return env


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"the apply process exited early: {proc.communicate()}"
        assert time.monotonic() < deadline, "the apply process never reached its pause point"
        time.sleep(0.05)


def test_concurrent_applies_never_interleave(repo, capsys):
    marker = repo.root / "paused"
    first = _apply_proc(repo, _env(KCOMPILE_TEST_PAUSE_MID_APPLY="3", KCOMPILE_TEST_PAUSE_MID_APPLY_MARKER=str(marker)),
                        "-m", "first")
    _wait_for(marker, first)
    second = _apply_proc(repo, _env(), "-m", "second", "--lock-timeout", "0.5")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1 and "another apply to environment 'env/dev' is in progress" in err
    assert "--lock-timeout" in err and "Traceback" not in err
    waiting = _apply_proc(repo, _env(), "-m", "third", "--lock-timeout", "60")  # waits for the first
    assert first.wait(timeout=60) == 0
    assert waiting.wait(timeout=60) == 0
    assert [(h["revision"], h["message"]) for h in repo.history(capsys)] == [(1, "first"), (2, "third")]
    # another environment is not blocked by this one's lock
    marker.unlink()
    first = _apply_proc(repo, _env(KCOMPILE_TEST_PAUSE_MID_APPLY="2", KCOMPILE_TEST_PAUSE_MID_APPLY_MARKER=str(marker)))
    _wait_for(marker, first)
    other = _apply_proc(repo, _env(), "--env", "other", "--lock-timeout", "30")
    assert other.wait(timeout=60) == 0 and first.wait(timeout=60) == 0


def test_kill_during_apply_leaves_previous_revision_intact(repo, capsys):
    repo.run(capsys, "apply", "-m", "good")
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    marker = repo.root / "paused"
    proc = _apply_proc(repo, _env(KCOMPILE_TEST_PAUSE_MID_APPLY="60", KCOMPILE_TEST_PAUSE_MID_APPLY_MARKER=str(marker)))
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert [h["message"] for h in repo.history(capsys)] == ["good"]
    plan = repo.plan(capsys)
    assert plan["base_revision"] == 1
    assert changes_by_id(plan)["Deployment/web"]["fields"][0]["before"] == "app:1"
    db = sqlite3.connect(repo.state)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM objects WHERE revision = 2").fetchone()[0] == 0
    db.close()
    # the dead process's lock went with it: the next apply does not wait
    assert repo.run(capsys, "apply", "-m", "after-crash", "--lock-timeout", "0")[0] == 0
    assert [(h["revision"], h["message"]) for h in repo.history(capsys)] == [(1, "good"), (2, "after-crash")]


def test_repository_overlay_apply_then_plan(tmp_path, capsys, monkeypatch):
    """The repository's own dev overlay: apply, change image, replicas, a chart value
    (ConfigMap) and the Secret, then plan."""
    import shutil

    for d in ("charts", "overlays"):
        shutil.copytree(ROOT / d, tmp_path / d)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    state = str(tmp_path / "state.db")
    assert main(["apply", "overlays/dev", "--state", state, "-m", "dev 1"]) == 0
    ov = tmp_path / "overlays/dev/kcompile.yaml"
    text = ov.read_text()
    text = text.replace("newTag: 2.4.0-rc.1", "newTag: 2.4.0").replace("replicas: 1", "replicas: 3")
    text = text.replace("LOG_LEVEL: debug", "LOG_LEVEL: info").replace("password=dev-only-password", "password=rotated")
    ov.write_text(text)
    capsys.readouterr()
    assert main(["plan", "overlays/dev", "--state", state, "--format", "json", "--detailed-exitcode"]) == 2
    plan = json.loads(capsys.readouterr().out)
    assert plan["environment"] == "overlays/dev" and plan["base_revision"] == 1
    by = {(c["kind"], c["action"]): c for c in plan["changes"]}
    dep = by[("Deployment", "update")]
    paths = {f["path"]: (f["before"], f["after"]) for f in dep["fields"]}
    assert paths["spec.template.spec.containers[name=webapp].image"] == (
        "ghcr.io/example/shop-web:2.4.0-rc.1", "ghcr.io/example/shop-web:2.4.0")
    assert paths["spec.replicas"] == (1, 3)
    # 3 replicas, maxSurge 25% -> 1, maxUnavailable 0 -> 3 steps, never fewer than 3 available
    expected = {"strategy": "rolling", "replicas": 3, "max_surge": 1, "max_unavailable": 0,
                "min_available": 3, "max_total": 4, "steps": 3, "downtime": False}
    assert {k: dep["rollout"][k] for k in expected} == expected
    cm = by[("ConfigMap", "update")]
    assert {"path": "data.LOG_LEVEL", "before": "debug", "after": "info"} in cm["fields"]
    secret = by[("Secret", "replace")]  # new content hash: the old name is replaced
    assert secret["replaces"].startswith("db-credentials-")
    assert {"path": "data.password", "before": "(sensitive value changed)", "after": "(sensitive value changed)"} in secret["fields"]
    assert all(f["path"] == "metadata.name" or f["before"] in (None, "(sensitive value changed)") for f in secret["fields"])
    assert "rotated" not in json.dumps(plan)
