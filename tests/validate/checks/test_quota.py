"""ResourceQuota fit: replicas x containers, LimitRange defaults, surge pods, scopes,
and containers a quota forces to declare requests."""

from __future__ import annotations

import pytest

from kcompile.validate import validate

from ..helpers import deployment, load


def quota(hard: str, extra: str = "") -> str:
    return f"---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {{name: compute, namespace: shop}}\nspec:\n{extra}  hard: {hard}\n"


def quota_findings(findings):
    return [f for f in findings if f.object == "ResourceQuota/shop/compute" and f.severity == "error"]


@pytest.mark.parametrize("replicas, hard, over", [
    # 2 replicas + 1 surge (25% of 2, rounded up) = 3 pods at the peak
    (2, "{pods: '3'}", None),
    (2, "{pods: '2'}", "needs pods=3 (2 running + 1 for surge pods during a rolling update; rollouts would stall"),
    (4, "{pods: '3'}", "needs pods=5 (4 running + 1 for surge pods during a rolling update)"),
    (2, "{requests.cpu: 300m}", None),
    (2, "{requests.cpu: 299m}", "needs requests.cpu=300m"),
    (2, "{cpu: 299m}", "needs requests.cpu=300m"),  # bare cpu means requests.cpu
    (2, "{limits.cpu: 500m}", "needs limits.cpu=600m"),
    (2, "{requests.memory: 384Mi}", None),
    (2, "{requests.memory: 383Mi}", "needs requests.memory=384Mi"),
    (2, "{limits.memory: 0.5Gi}", "needs limits.memory=768Mi"),
])
def test_fit(tmp_path, replicas, hard, over):
    rs = load(tmp_path, deployment(replicas=replicas) + quota(hard))
    found = quota_findings(validate(rs))
    if over is None:
        assert found == []
    else:
        (f,) = found
        assert over in f.message and "ResourceQuota compute allows" in f.message
        assert "Deployment/web (" in f.message  # names the objects
        assert f.line == 25 and f.path.startswith("spec.hard.")


def test_recreate_has_no_surge(tmp_path):
    text = deployment(replicas=3).replace("spec:\n  replicas", "spec:\n  strategy: {type: Recreate}\n  replicas")
    assert quota_findings(validate(load(tmp_path, text + quota("{pods: '3'}")))) == []


def test_explicit_surge_counts(tmp_path):
    text = deployment(replicas=4).replace(
        "spec:\n  replicas", "spec:\n  strategy: {rollingUpdate: {maxSurge: 50%, maxUnavailable: 0}}\n  replicas")
    (f,) = quota_findings(validate(load(tmp_path, text + quota("{pods: '5'}"))))
    assert "needs pods=6" in f.message


def test_limit_range_defaults_apply_to_containers_without_resources(tmp_path):
    text = deployment(replicas=3)
    text = text[: text.index("        resources:")]
    text += """---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 512Mi}
    defaultRequest: {cpu: 250m, memory: 256Mi}
"""
    rs = load(tmp_path, text + quota("{requests.memory: 1Gi, limits.cpu: 2}"))
    msgs = sorted(f.message for f in quota_findings(validate(rs)))
    # 3 + 1 surge pods x 256Mi = 1Gi (fits); x 500m = 2 (fits)
    assert msgs == []
    rs = load(tmp_path, text + quota("{requests.memory: 1000Mi, limits.cpu: 1500m}"))
    msgs = sorted(f.message for f in quota_findings(validate(rs)))
    assert len(msgs) == 2
    assert "needs limits.cpu=2" in msgs[0] and "needs requests.memory=1Gi" in msgs[1]


def test_request_defaults_to_limit(tmp_path):
    text = deployment(replicas=1).replace("          requests: {cpu: 100m, memory: 128Mi}\n", "")
    (f,) = quota_findings(validate(load(tmp_path, text + quota("{requests.cpu: 300m}"))))
    assert "needs requests.cpu=400m" in f.message  # 1 + 1 surge pods x the 200m limit


def test_quota_in_another_namespace_counts_nothing(tmp_path):
    rs = load(tmp_path, deployment(replicas=9) + quota("{pods: '1'}").replace("namespace: shop", "namespace: other"))
    assert [f for f in validate(rs) if f.severity == "error"] == []


def test_several_workloads_add_up_and_are_named(tmp_path):
    text = deployment(replicas=2) + "---\n" + deployment(replicas=1).replace("name: web", "name: api", 1)
    (f,) = quota_findings(validate(load(tmp_path, text + quota("{pods: '4'}"))))
    assert "needs pods=5 (3 running + 2 for surge pods" in f.message
    assert "Deployment/web (2 pods + 1 surge)" in f.message and "Deployment/api (1 pods + 1 surge)" in f.message


def test_hpa_min_replicas_stand_in_for_missing_replicas(tmp_path):
    text = deployment().replace("  replicas: 2\n", "") + """---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 4
  maxReplicas: 10
"""
    (f,) = quota_findings(validate(load(tmp_path, text + quota("{pods: '4'}"))))
    assert "needs pods=5" in f.message


def test_init_containers_count_as_the_peak_not_the_sum(tmp_path):
    text = deployment(replicas=1, cpu="100m", cpu_limit="100m").replace("      containers:\n", """\
      initContainers:
      - name: migrate
        image: busybox
        resources: {requests: {cpu: 300m, memory: 1Mi}, limits: {cpu: 300m, memory: 1Mi}}
      containers:
""")
    (f,) = quota_findings(validate(load(tmp_path, text + quota("{requests.cpu: 500m}"))))
    assert "needs requests.cpu=600m" in f.message  # 2 pods x max(100m, 300m)


@pytest.mark.parametrize("scope, counted", [
    ("scopes: [NotTerminating]", True),
    ("scopes: [Terminating]", False),
    ("scopes: [NotBestEffort]", True),
    ("scopes: [BestEffort]", False),
    ("scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}", False),
    ("scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: DoesNotExist}]}", True),
])
def test_quota_scopes(tmp_path, scope, counted):
    rs = load(tmp_path, deployment(replicas=5) + quota("{pods: '2'}", f"  {scope}\n"))
    assert bool(quota_findings(validate(rs))) == counted


def test_unknown_scope_is_a_note_not_a_guess(tmp_path):
    rs = load(tmp_path, deployment(replicas=5) + quota("{pods: '2'}", "  scopes: [SomethingNew]\n"))
    findings = validate(rs)
    assert quota_findings(findings) == []
    assert any(f.severity == "note" and "not checked" in f.message for f in findings)


def test_quota_on_cpu_requires_every_container_to_request_cpu(tmp_path):
    text = deployment(replicas=1)
    text = text[: text.index("        resources:")]
    rs = load(tmp_path, text + quota("{requests.cpu: '10'}"))
    (f,) = [f for f in validate(rs) if "sets no requests.cpu" in f.message]
    assert f.severity == "error" and f.object == "Deployment/shop/web"
    assert f.path == "spec.template.spec.containers[name=web].resources"
    assert f.line == 15  # the container (it has no resources key)
    assert "ResourceQuota compute" in f.message and "refuses these pods" in f.message
