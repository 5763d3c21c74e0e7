"""Workloads whose replicas a HorizontalPodAutoscaler owns (no spec.replicas): planned with
the HPA's minReplicas, and the plan says so."""

from __future__ import annotations

import copy

import pytest

from kcompile.plan import compute_plan
from kcompile.report import render_json, render_text


def dep(name="web", image="app:1", replicas=None, namespace="ns"):
    spec = {"selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "main", "image": image}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": spec}


def hpa(target="web", low=4, namespace="ns", kind="Deployment"):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target}, "maxReplicas": 10}
    if low is not None:
        spec["minReplicas"] = low
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": f"{target}-hpa", "namespace": namespace}, "spec": spec}


def rollout_of(before, after, name="web"):
    plan = compute_plan(before, after, environment="e", base_revision=1 if before else None)
    change = next(c for c in plan.changes if c.kind == "Deployment" and c.name == name)
    return plan, change.rollout


# (objects before, objects after, replicas planned, strategy, steps, HPA named in the plan)
CASES = [
    ([], [dep(), hpa(low=4)], 4, "none", 0, True),                                        # create
    ([dep(), hpa(low=4)], [dep(image="app:2"), hpa(low=4)], 4, "rolling", 2, True),       # 4 pods, 1+1 per step
    ([dep(), hpa(low=None)], [dep(image="app:2"), hpa(low=None)], 1, "rolling", 1, True), # minReplicas defaults to 1
    ([dep()], [dep(image="app:2")], 1, "rolling", 1, False),                              # no HPA: 1, as Kubernetes
    ([dep(replicas=6), hpa()], [dep(replicas=6, image="app:2"), hpa()], 6, "rolling", 2, False),  # spec says
    ([dep(), hpa(namespace="other")], [dep(image="app:2"), hpa(namespace="other")], 1, "rolling", 1, False),
    ([dep(), hpa(kind="StatefulSet")], [dep(image="app:2"), hpa(kind="StatefulSet")], 1, "rolling", 1, False),
    ([dep(), hpa(low=8)], [], 8, "none", 0, True),                                        # delete: its pods stop
]


@pytest.mark.parametrize("before, after, replicas, strategy, steps, named", CASES)
def test_hpa_minreplicas_plans_an_unset_replica_count(before, after, replicas, strategy, steps, named):
    plan, rollout = rollout_of(before, after)
    assert (rollout.replicas, rollout.strategy, rollout.steps) == (replicas, strategy, steps)
    assert ("HorizontalPodAutoscaler web-hpa" in rollout.description) is named
    if named:
        assert f"minReplicas ({replicas})" in rollout.description
        assert "HorizontalPodAutoscaler web-hpa" in render_text(plan)
        assert "HorizontalPodAutoscaler web-hpa" in render_json(plan)


def test_replicas_handed_over_to_an_hpa_is_not_a_scale_to_one():
    before = [dep(replicas=4)]
    after = [dep(), hpa(low=4)]  # spec.replicas removed when the HPA was added: nothing scales
    plan, rollout = rollout_of(before, after)
    assert rollout.strategy == "none" and rollout.replicas == 4 and "scales" not in rollout.description
    shrunk = copy.deepcopy(after)
    shrunk[1]["spec"]["minReplicas"] = 2
    _, rollout = rollout_of(before, shrunk)
    assert rollout.strategy == "scale" and "from 4 to 2" in rollout.description
