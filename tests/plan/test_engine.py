"""The plan engine on plain objects: field diffs, immutable fields, renames, order,
rollout arithmetic, warnings. No files, no store, no CLI."""

from __future__ import annotations

import copy

import pytest

from kcompile.plan import compute_plan, field_changes, needs_replace
from kcompile.plan.diff import path_join
from kcompile.plan.order import APPLY_ORDER, sort_key
from kcompile.plan.rollout import deployment_rollout, rollout_for, statefulset_rollout


def dep(name="web", image="app:1", replicas=3, **spec_extra):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "ns"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, **spec_extra,
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "main", "image": image,
                                                           "ports": [{"containerPort": 80}]}]}}}}


def paths(before, after):
    return [(f.path, f.before, f.after) for f in field_changes(before, after)]


# -- field diffs ------------------------------------------------------------------------------

def test_list_items_matched_by_merge_key_not_index():
    a = dep()
    a["spec"]["template"]["spec"]["containers"].insert(0, {"name": "side", "image": "proxy:1"})
    b = copy.deepcopy(a)
    b["spec"]["template"]["spec"]["containers"].reverse()
    assert paths(a, b) == []
    b["spec"]["template"]["spec"]["containers"][0]["image"] = "app:2"
    assert paths(a, b) == [("spec.template.spec.containers[name=main].image", "app:1", "app:2")]


def test_added_and_removed_list_items_and_multi_key_ports():
    a = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
         "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 53, "protocol": "UDP"}]}}
    b = copy.deepcopy(a)
    b["spec"]["ports"][0]["protocol"] = "TCP"  # the default, written out: still the same item
    b["spec"]["ports"][0]["targetPort"] = 9090
    b["spec"]["ports"].pop(1)
    b["spec"]["ports"].append({"port": 443})
    got = paths(a, b)
    assert not any(p.endswith(".protocol") for p, _, _ in got)
    assert ("spec.ports[port=80,protocol=TCP].targetPort", 8080, 9090) in got
    assert ("spec.ports[port=53,protocol=UDP]", {"port": 53, "protocol": "UDP"}, None) in got
    assert ("spec.ports[port=443,protocol=TCP]", None, {"port": 443}) in got


def test_env_list_by_name_and_atomic_lists_whole():
    a = dep()
    c = a["spec"]["template"]["spec"]["containers"][0]
    c["env"] = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    c["args"] = ["--x", "--y"]
    b = copy.deepcopy(a)
    cb = b["spec"]["template"]["spec"]["containers"][0]
    cb["env"] = [{"name": "B", "value": "3"}, {"name": "A", "value": "1"}]
    cb["args"] = ["--y", "--x"]  # order of args matters to the program
    assert paths(a, b) == [
        ("spec.template.spec.containers[name=main].args", ["--x", "--y"], ["--y", "--x"]),
        ("spec.template.spec.containers[name=main].env[name=B].value", "2", "3"),
    ]


def test_duplicate_merge_keys_fall_back_to_whole_list_instead_of_losing_items():
    a = dep()
    a["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]
    b = copy.deepcopy(a)
    b["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "9"
    assert [p for p, _, _ in paths(a, b)] == ["spec.template.spec.containers[name=main].env"]


@pytest.mark.parametrize("before, after, changed", [
    ("500m", "0.5", False),
    ("1Gi", "1024Mi", False),
    ("1", 1, False),
    ("1", "1000m", False),
    ("100m", "200m", True),
    ("1Gi", "1G", True),   # binary and decimal units differ
])
def test_resource_quantities_compare_by_amount(before, after, changed):
    a = dep()
    a["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": before}}
    b = copy.deepcopy(a)
    b["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": after}}
    assert bool(paths(a, b)) is changed


def test_null_is_absent_and_status_is_ignored():
    a = dep()
    b = copy.deepcopy(a)
    b["spec"]["paused"] = None
    b["status"] = {"replicas": 3}
    assert paths(a, b) == []


def test_keys_with_dots_are_quoted_in_paths():
    a = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"app.kubernetes.io/name": "x"}},
         "data": {"app.properties": "a=1"}}
    b = copy.deepcopy(a)
    b["metadata"]["labels"]["app.kubernetes.io/name"] = "y"
    b["data"]["app.properties"] = "a=2"
    assert [p for p, _, _ in paths(a, b)] == ['data["app.properties"]', 'metadata.labels["app.kubernetes.io/name"]']
    assert path_join("", "spec") == "spec" and path_join("a", "b c") == 'a["b c"]'


def test_secret_values_are_masked_in_field_changes():
    a = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "digest-1", "gone": "d"}}
    b = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "digest-2", "new": "d"},
         "stringData": {"x": "d"}}
    assert paths(a, b) == [
        ("data.gone", "(sensitive value removed)", None),
        ("data.k", "(sensitive value changed)", "(sensitive value changed)"),
        ("data.new", None, "(sensitive value added)"),
        ("stringData", None, "(sensitive value added)"),
    ]


# -- immutable fields ---------------------------------------------------------------------------

def _with(obj, path, value):
    obj = copy.deepcopy(obj)
    node = obj
    for p in path[:-1]:
        node = node.setdefault(p, {})
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return obj


SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}
PVC = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"},
       "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                "resources": {"requests": {"storage": "1Gi"}}}}
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
       "spec": {"template": {"spec": {"containers": [{"name": "j", "image": "x:1"}], "restartPolicy": "Never"}}}}
STS = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
       "spec": {"serviceName": "db", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
                "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "pg:1"}]}}}}
CMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
SEC = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "x"}}


@pytest.mark.parametrize("before, path, value, replace", [
    (dep(), ("spec", "selector", "matchLabels"), {"app": "web", "tier": "x"}, True),
    (dep(), ("spec", "replicas"), 9, False),
    (dep(), ("spec", "template", "metadata", "labels"), {"app": "web", "v": "2"}, False),
    (STS, ("spec", "volumeClaimTemplates"), [{"metadata": {"name": "data"}}], True),
    (STS, ("spec", "serviceName"), "other", True),
    (STS, ("spec", "podManagementPolicy"), "Parallel", True),
    (STS, ("spec", "replicas"), 5, False),
    (_with(SVC, ("spec", "clusterIP"), "10.0.0.1"), ("spec", "clusterIP"), "10.0.0.2", True),
    (SVC, ("spec", "clusterIP"), "10.0.0.2", False),      # unset -> set: the allocated IP is kept
    (SVC, ("spec", "clusterIP"), "None", True),           # to headless
    (SVC, ("spec", "ports"), [{"port": 81}], False),
    (JOB, ("spec", "template", "spec", "containers"), [{"name": "j", "image": "x:2"}], True),
    (JOB, ("spec", "backoffLimit"), 3, False),
    (PVC, ("spec", "resources", "requests", "storage"), "5Gi", False),  # expansion
    (PVC, ("spec", "storageClassName"), "slow", True),
    (PVC, ("spec", "accessModes"), ["ReadWriteMany"], True),
    (SEC, ("type",), "kubernetes.io/tls", True),
    (SEC, ("data",), {"a": "y"}, False),
    (_with(SEC, ("immutable",), True), ("data",), {"a": "y"}, True),
    (_with(CMAP, ("immutable",), True), ("data",), {"a": "2"}, True),
    (_with(CMAP, ("immutable",), True), ("immutable",), False, True),
    (_with(CMAP, ("immutable",), True), ("metadata", "labels"), {"x": "y"}, False),
    (CMAP, ("data",), {"a": "2"}, False),
])
def test_immutable_fields(before, path, value, replace):
    after = _with(before, path, value)
    assert (needs_replace(before, after) is not None) is replace


# -- renames, order -------------------------------------------------------------------------------

def cm(name, data, ns="ns"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def test_hash_rename_is_a_replace_of_the_old_name():
    plan = compute_plan([cm("conf-abcde12345", {"a": "1"}), cm("plain", {"a": "1"})],
                        [cm("conf-fghkm67890", {"a": "2"}), cm("plain-new", {"a": "1"})],
                        environment="e", base_revision=1)
    got = [(c.action, c.name, c.replaces) for c in plan.changes]
    # a name without a hash suffix is not treated as a rename
    assert got == [("replace", "conf-fghkm67890", "conf-abcde12345"), ("create", "plain-new", None),
                   ("delete", "plain", None)]
    assert plan.summary == {"create": 1, "update": 0, "replace": 1, "delete": 1}


def test_hash_rename_needs_same_namespace_and_base_name():
    plan = compute_plan([cm("conf-abcde12345", {"a": "1"}, ns="a")], [cm("conf-fghkm67890", {"a": "1"}, ns="b")],
                        environment="e", base_revision=1)
    assert [c.action for c in plan.changes] == ["create", "delete"]


def test_apply_order_follows_the_spec_and_deletes_reverse_it():
    kinds = ["Ingress", "HorizontalPodAutoscaler", "Deployment", "Service", "RoleBinding", "Role",
             "PersistentVolumeClaim", "ConfigMap", "Secret", "ServiceAccount", "LimitRange", "ResourceQuota",
             "Namespace", "Widget", "IngressClass"]
    objs = [{"apiVersion": "v1", "kind": k, "metadata": {"name": "x"}} for k in kinds]
    plan = compute_plan([], objs, environment="e", base_revision=None)
    assert [c.kind for c in plan.changes] == [
        "Namespace", "ResourceQuota", "LimitRange", "ServiceAccount", "Secret", "ConfigMap",
        "PersistentVolumeClaim", "Role", "RoleBinding", "Service", "Deployment", "HorizontalPodAutoscaler",
        "IngressClass", "Ingress", "Widget"]
    plan = compute_plan(objs, [], environment="e", base_revision=1)
    assert [c.kind for c in plan.changes] == list(reversed([
        "Namespace", "ResourceQuota", "LimitRange", "ServiceAccount", "Secret", "ConfigMap",
        "PersistentVolumeClaim", "Role", "RoleBinding", "Service", "Deployment", "HorizontalPodAutoscaler",
        "IngressClass", "Ingress", "Widget"]))
    assert all(kinds for kinds in APPLY_ORDER)
    assert sort_key("create", "Secret", "", "a") < sort_key("delete", "Namespace", "", "a")


def test_api_version_change_is_an_update_of_the_same_object():
    old = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}, "spec": {}}
    new = {**old, "apiVersion": "autoscaling/v2"}
    plan = compute_plan([old], [new], environment="e", base_revision=1)
    assert [(c.action, f.path) for c in plan.changes for f in c.fields] == [("update", "apiVersion")]


# -- rollout ---------------------------------------------------------------------------------------

def test_statefulset_partition_and_max_unavailable():
    r = statefulset_rollout({"updateStrategy": {"rollingUpdate": {"partition": 2, "maxUnavailable": 2}}}, 5)
    assert (r.strategy, r.pods, r.max_unavailable, r.min_available, r.max_total, r.steps, r.downtime) == \
        ("rolling", 3, 2, 3, 5, 2, False)
    r = statefulset_rollout({}, 1)
    assert (r.pods, r.min_available, r.steps, r.downtime) == (1, 0, 1, True)  # one replica: downtime
    assert statefulset_rollout({"updateStrategy": {"type": "OnDelete"}}, 3).strategy == "none"


def test_deployment_zero_replicas_and_recreate():
    r = deployment_rollout({}, 0)
    assert (r.steps, r.max_unavailable, r.min_available, r.max_total, r.downtime) == (0, 0, 0, 0, False)
    r = deployment_rollout({"strategy": {"type": "Recreate"}}, 3)
    assert (r.strategy, r.max_unavailable, r.min_available, r.max_total, r.steps, r.downtime) == \
        ("recreate", 3, 0, 3, 1, True)


def test_rollout_kinds():
    assert rollout_for("update", cm("a", {}), cm("a", {"x": "1"})) is None  # runs no pods
    d1, d2 = dep(), dep(image="app:2")
    assert rollout_for("update", d1, d2).strategy == "rolling"
    paused = dep(image="app:2", paused=True)
    r = rollout_for("update", d1, paused)
    assert r.strategy == "none" and "paused" in r.description
    assert rollout_for("update", d1, dep(replicas=0)).downtime is True  # scaled to zero
    labelled = copy.deepcopy(d1)
    labelled["metadata"]["labels"] = {"team": "a"}
    r = rollout_for("update", d1, labelled)
    assert (r.strategy, r.pods, r.downtime) == ("none", 0, False)
    rs1 = {**d1, "kind": "ReplicaSet"}
    rs2 = {**d2, "kind": "ReplicaSet"}
    assert "does not roll" in rollout_for("update", rs1, rs2).description
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
          "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}]}},
                   "updateStrategy": {"rollingUpdate": {"maxUnavailable": "10%"}}}}
    ds2 = copy.deepcopy(ds)
    ds2["spec"]["template"]["spec"]["containers"][0]["image"] = "2"
    r = rollout_for("update", ds, ds2)
    assert r.strategy == "rolling" and r.replicas is None and r.max_unavailable is None


def test_replicaset_template_change_warns_pods_keep_old_template():
    d1 = {**dep(), "kind": "ReplicaSet"}
    d2 = {**dep(image="app:2"), "kind": "ReplicaSet"}
    plan = compute_plan([d1], [d2], environment="e", base_revision=1)
    assert any("keep the old template" in w for w in plan.changes[0].warnings)


def test_configmap_warning_names_readers_only_when_they_do_not_restart():
    reader = dep()
    reader["spec"]["template"]["spec"]["volumes"] = [{"name": "c", "configMap": {"name": "conf"}}]
    plan = compute_plan([cm("conf", {"a": "1"}), reader], [cm("conf", {"a": "2"}), reader],
                        environment="e", base_revision=1)
    assert any("Deployment/web" in w and "keep the old value" in w for w in plan.changes[0].warnings)
    # a label-only change to the ConfigMap is not a value change: no warning
    labelled = cm("conf", {"a": "1"})
    labelled["metadata"]["labels"] = {"x": "y"}
    plan = compute_plan([cm("conf", {"a": "1"}), reader], [labelled, reader], environment="e", base_revision=1)
    assert plan.changes[0].warnings == []
    # another namespace's ConfigMap of the same name is not read by this Deployment
    plan = compute_plan([cm("conf", {"a": "1"}, ns="other"), reader], [cm("conf", {"a": "2"}, ns="other"), reader],
                        environment="e", base_revision=1)
    assert plan.changes[0].warnings == []


def test_no_changes_and_show_unchanged():
    plan = compute_plan([dep()], [dep()], environment="e", base_revision=4)
    assert not plan.has_changes and plan.unchanged == []
    plan = compute_plan([dep()], [dep()], environment="e", base_revision=4, show_unchanged=True)
    assert [u.object_id for u in plan.unchanged] == ["Deployment/ns/web"]
    assert plan.as_dict()["unchanged"] == ["Deployment/ns/web"]
