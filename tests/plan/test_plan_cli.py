"""State, plan, apply, history, rollback: end to end through the CLI."""

from __future__ import annotations

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
from kcompile.plan.rollout import deployment_rollout

ROOT = Path(__file__).resolve().parents[2]


def deployment(replicas=4, image="app:1", strategy=None, selector=None, cm="settings", secret="creds"):
    strategy = strategy or {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    selector = selector or {"app": "web"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas, "strategy": strategy, "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": {"app": "web", **selector}}, "spec": {"containers": [{
                "name": "web", "image": image,
                "envFrom": [{"configMapRef": {"name": cm}}, {"secretRef": {"name": secret}}],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
            }]}},
        },
    }


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / ".git").mkdir(exist_ok=True)
        self.ov = root / "env" / "dev"
        self.ov.mkdir(parents=True, exist_ok=True)
        self.state = root / "state.db"

    def write(self, objects: list[dict], extra: str = "") -> None:
        from kcompile.yamlio import dump_all

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


CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"LOG": "info"}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"password": "hunter2-first"}}
QUOTA = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
         "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}}


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = Repo(tmp_path)
    r.write([deployment(), CM, SECRET, QUOTA])
    return r


def changes_by_id(plan: dict) -> dict:
    return {f"{c['kind']}/{c['name']}": c for c in plan["changes"]}


def test_first_plan_creates_everything_in_apply_order(repo, capsys):
    plan = repo.plan(capsys)
    assert plan["base_revision"] is None
    assert plan["summary"] == {"create": 4, "update": 0, "replace": 0, "delete": 0}
    assert [c["kind"] for c in plan["changes"]] == ["ResourceQuota", "Secret", "ConfigMap", "Deployment"]


def test_apply_then_no_changes_and_detailed_exit_codes(repo, capsys):
    assert repo.run(capsys, "plan", "--detailed-exitcode")[0] == 2
    assert repo.run(capsys, "apply", "-m", "first")[0] == 0
    assert repo.run(capsys, "plan", "--detailed-exitcode")[0] == 0
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    assert repo.run(capsys, "plan", "--detailed-exitcode")[0] == 2
    (repo.ov / "kcompile.yaml").write_text("resources: [missing.yaml]\n")
    assert repo.run(capsys, "plan", "--detailed-exitcode")[0] == 1


def test_image_change_rolls_by_merge_key(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["Deployment/web"]
    assert c["action"] == "update"
    assert c["fields"] == [{"path": "spec.template.spec.containers[name=web].image", "before": "app:1", "after": "app:2"}]
    assert c["rollout"] == {"strategy": "rolling", "replicas": 4, "max_surge": 1, "max_unavailable": 0,
                            "min_available": 4, "max_total": 5, "steps": 4, "downtime": False}


def test_replicas_only_scales_without_restart(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(replicas=6), CM, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["Deployment/web"]
    assert c["rollout"]["strategy"] == "scale" and c["rollout"]["downtime"] is False
    assert c["fields"] == [{"path": "spec.replicas", "before": 4, "after": 6}]


def test_recreate_strategy_means_downtime(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(image="app:2", strategy={"type": "Recreate"}), CM, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["Deployment/web"]
    assert c["rollout"]["strategy"] == "recreate" and c["rollout"]["downtime"] is True
    assert c["rollout"]["min_available"] == 0


def test_selector_change_is_a_replace_with_downtime(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(selector={"app": "web", "tier": "front"}), CM, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["Deployment/web"]
    assert c["action"] == "replace"
    assert c["rollout"]["strategy"] == "replace" and c["rollout"]["downtime"] is True
    assert any("selector is immutable" in w for w in c["warnings"])


def test_configmap_changed_in_place_warns_running_pods_keep_old_value(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(), {**CM, "data": {"LOG": "debug"}}, SECRET, QUOTA])
    c = changes_by_id(repo.plan(capsys))["ConfigMap/settings"]
    assert c["fields"] == [{"path": "data.LOG", "before": "info", "after": "debug"}]
    assert any("keep the old value until they restart" in w and "Deployment/web" in w for w in c["warnings"])


def test_secret_values_never_shown_or_stored(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(), CM, {**SECRET, "stringData": {"password": "hunter2-second", "token": "t0ken-value"}}, QUOTA])
    plan = repo.plan(capsys)
    c = changes_by_id(plan)["Secret/creds"]
    assert {"path": "stringData.password", "before": "(sensitive value changed)", "after": "(sensitive value changed)"} in c["fields"]
    assert {"path": "stringData.token", "before": None, "after": "(sensitive value added)"} in c["fields"]
    for fmt in ("text", "markdown", "json"):
        out = repo.run(capsys, "plan", "--format", fmt)[1]
        assert "hunter2" not in out and "t0ken-value" not in out
    repo.run(capsys, "apply")
    data = repo.state.read_bytes() + b"".join(p.read_bytes() for p in repo.root.glob("state.db*") if p.is_file())
    assert b"hunter2" not in data and b"t0ken" not in data
    assert oct((repo.root / "state.db.key").stat().st_mode & 0o777) == "0o600"


def test_hash_suffixed_rename_is_one_replacement(repo, capsys):
    repo.write([deployment(cm="gen")], extra="configMapGenerator:\n- name: gen\n  literals: [A=1]\n")
    repo.run(capsys, "apply", "--no-validate")
    repo.write([deployment(cm="gen")], extra="configMapGenerator:\n- name: gen\n  literals: [A=2]\n")
    plan = repo.plan(capsys, "--no-validate")
    cms = [c for c in plan["changes"] if c["kind"] == "ConfigMap"]
    assert len(cms) == 1 and cms[0]["action"] == "replace" and cms[0]["replaces"].startswith("gen-")
    assert {"path": "data.A", "before": "1", "after": "2"} in cms[0]["fields"]
    assert plan["summary"]["create"] == 0 and plan["summary"]["delete"] == 0
    dep = changes_by_id(plan)["Deployment/web"]
    assert dep["rollout"]["strategy"] == "rolling"


def test_deletes_come_last_in_reverse_order(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([CM])
    plan = repo.plan(capsys)
    assert [(c["action"], c["kind"]) for c in plan["changes"]] == [
        ("delete", "Deployment"), ("delete", "Secret"), ("delete", "ResourceQuota")]
    assert changes_by_id(plan)["Deployment/web"]["rollout"]["downtime"] is True


def test_quota_usage_after_the_change(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(replicas=10), CM, SECRET, QUOTA])
    code, out, err = repo.run(capsys, "plan", "--format", "json", "--no-validate")
    plan = json.loads(out)
    pods = next(q for q in plan["quota"] if q["resource"] == "pods")
    assert pods["used"] == "10" and pods["hard"] == "10" and pods["over"] is True  # 10 + 1 surge > 10
    assert any("over ResourceQuota" in w for c in plan["changes"] for w in c["warnings"])


def test_history_and_rollback_round_trip(repo, capsys):
    repo.run(capsys, "apply", "-m", "one")
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    repo.run(capsys, "apply", "-m", "two")
    code, out, _ = repo.run(capsys, "history", "--format", "json")
    hist = json.loads(out)
    assert [(h["revision"], h["message"]) for h in hist] == [(1, "one"), (2, "two")]
    assert all(h["user"] and h["time"] for h in hist)
    code, out, err = repo.run(capsys, "rollback", "--to-revision", "1", "--dry-run")
    assert code == 0 and "image: app:1" in out and "hunter2-first" in out  # values restored from the build
    assert len(json.loads(repo.run(capsys, "history", "--format", "json")[1])) == 2
    code, out, err = repo.run(capsys, "rollback", "--to-revision", "1")
    assert code == 0
    hist = json.loads(repo.run(capsys, "history", "--format", "json")[1])
    assert hist[-1]["revision"] == 3 and "rollback to revision 1" in hist[-1]["message"]
    # revision 3 holds revision 1's objects: the working tree (app:2) differs from it again
    plan = repo.plan(capsys)
    assert plan["base_revision"] == 3
    assert changes_by_id(plan)["Deployment/web"]["fields"][0] == {
        "path": "spec.template.spec.containers[name=web].image", "before": "app:1", "after": "app:2"}
    assert "Deployment/web" not in changes_by_id(repo.plan(capsys, "--revision", "2"))


def test_rollback_refuses_secrets_it_cannot_restore(repo, capsys):
    repo.run(capsys, "apply")
    repo.write([deployment(), CM, {**SECRET, "stringData": {"password": "changed"}}, QUOTA])
    repo.run(capsys, "apply")
    code, _, err = repo.run(capsys, "rollback", "--to-revision", "1")
    assert code == 1 and "cannot restore Secret creds" in err and "hunter2" not in err


def test_newer_or_corrupted_state_file_is_a_clear_error(repo, capsys):
    repo.run(capsys, "apply")
    db = sqlite3.connect(repo.state)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    code, _, err = repo.run(capsys, "plan")
    assert code == 1 and "newer than this kcompile supports" in err
    for p in repo.root.glob("state.db*"):
        if p.is_file() and not p.name.endswith(".key"):
            p.unlink()
    repo.state.write_bytes(b"this is not a database" * 100)
    code, _, err = repo.run(capsys, "plan")
    assert code == 1 and "not a readable kcompile state database" in err and "Traceback" not in err


def _apply_proc(repo: Repo, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kcompile", "apply", str(repo.ov), "--state", str(repo.state), *extra],
        cwd=repo.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "the apply process never reached its pause point"
        time.sleep(0.05)


def test_concurrent_applies_never_interleave(repo, capsys):
    marker = repo.root / "paused"
    first = _apply_proc(repo, _env(KCOMPILE_TEST_PAUSE_MID_APPLY="3", KCOMPILE_TEST_PAUSE_MID_APPLY_MARKER=str(marker)),
                        "-m", "first")
    _wait_for(marker)
    second = _apply_proc(repo, _env(), "-m", "second", "--lock-timeout", "0.5")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1 and "another apply" in err and "in progress" in err
    assert first.wait(timeout=60) == 0
    waiting = _apply_proc(repo, _env(), "-m", "third", "--lock-timeout", "30")
    assert waiting.wait(timeout=60) == 0
    hist = json.loads(repo.run(capsys, "history", "--format", "json")[1])
    assert [h["message"] for h in hist] == ["first", "third"]


def test_kill_during_apply_leaves_previous_revision_intact(repo, capsys):
    repo.run(capsys, "apply", "-m", "good")
    repo.write([deployment(image="app:2"), CM, SECRET, QUOTA])
    marker = repo.root / "paused"
    proc = _apply_proc(repo, _env(KCOMPILE_TEST_PAUSE_MID_APPLY="30", KCOMPILE_TEST_PAUSE_MID_APPLY_MARKER=str(marker)))
    _wait_for(marker)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    hist = json.loads(repo.run(capsys, "history", "--format", "json")[1])
    assert [h["message"] for h in hist] == ["good"]
    plan = repo.plan(capsys)
    assert plan["base_revision"] == 1
    assert changes_by_id(plan)["Deployment/web"]["fields"][0]["before"] == "app:1"
    assert repo.run(capsys, "apply", "-m", "after-crash")[0] == 0
    assert json.loads(repo.run(capsys, "history", "--format", "json")[1])[-1]["revision"] == 2


@pytest.mark.parametrize("replicas, surge, unavailable, expect", [
    # (replicas, maxSurge, maxUnavailable) -> (surge, unavailable, min_available, max_total, steps)
    (4, "25%", "25%", (1, 1, 3, 5, 2)),
    (10, "25%", "25%", (3, 2, 8, 13, 2)),     # surge rounds up (2.5 -> 3), unavailable down (2.5 -> 2)
    (10, 0, 1, (0, 1, 9, 10, 10)),
    (5, 1, 0, (1, 0, 5, 6, 5)),
    (3, 0, 0, (0, 1, 2, 3, 3)),               # both 0: unavailable becomes 1
    (1, "25%", "25%", (1, 0, 1, 2, 1)),
    (7, "50%", "30%", (4, 2, 5, 11, 2)),
    (20, 5, "10%", (5, 2, 18, 25, 3)),
    (6, "100%", 0, (6, 0, 6, 12, 1)),
])
def test_rolling_update_arithmetic(replicas, surge, unavailable, expect):
    r = deployment_rollout({"strategy": {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}}, replicas)
    assert (r.max_surge, r.max_unavailable, r.min_available, r.max_total, r.steps) == expect


def test_markdown_report_stays_under_the_comment_limit(repo, capsys):
    from kcompile.plan import compute_plan
    from kcompile.report import render_markdown

    after = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{i}", "namespace": "x"},
              "data": {"k": "v" * 200}} for i in range(600)]
    plan = compute_plan([], after, environment="big", base_revision=None)
    text = render_markdown(plan)
    assert len(text) <= 65_000
    assert "truncated" in text and "| big | 600 | 0 | 0 | 0 |" in text
    small = render_markdown(compute_plan([], after[:2], environment="s", base_revision=None))
    assert "<details>" in small and "```diff" in small and "truncated" not in small


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
    assert dep["rollout"] == {"strategy": "rolling", "replicas": 3, "max_surge": 1, "max_unavailable": 0,
                              "min_available": 3, "max_total": 4, "steps": 3, "downtime": False}
    cm = by[("ConfigMap", "update")]
    assert {"path": "data.LOG_LEVEL", "before": "debug", "after": "info"} in cm["fields"]
    secret = by[("Secret", "replace")]  # new content hash: the old name is replaced
    assert secret["replaces"].startswith("db-credentials-")
    assert {"path": "data.password", "before": "(sensitive value changed)", "after": "(sensitive value changed)"} in secret["fields"]
    assert all(f["path"] == "metadata.name" or f["before"] in (None, "(sensitive value changed)") for f in secret["fields"])
    assert "rotated" not in json.dumps(plan)
