"""Strategic-merge cases: a base object, a patch, and the reference that decides the
expected result — ``kustomize`` (kubectl kustomize, Kustomize v5.8), ``kubectl``
(kubectl patch --local: Kubernetes' own engine, for the directives Kustomize ignores),
``expected`` (written out here, where both references lose data, see
docs/strategic-merge.md) or ``error`` (kcompile must refuse, naming the problem)."""

from __future__ import annotations

import copy

DEP = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}, "annotations": {"note": "base"},
                 "finalizers": ["example.com/a", "example.com/b"]},
    "spec": {
        "replicas": 2,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}, "annotations": {"a": "1"}},
            "spec": {
                "serviceAccountName": "web",
                "nodeSelector": {"disk": "ssd"},
                "initContainers": [{"name": "init", "image": "busybox:1", "command": ["sh", "-c", "true"]}],
                "containers": [
                    {"name": "app", "image": "app:1", "args": ["--port", "8080"],
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                     "envFrom": [{"configMapRef": {"name": "cfg"}}],
                     "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "protocol": "UDP", "name": "stats"}],
                     "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "config", "mountPath": "/config"}],
                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m"}},
                     "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
                     "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}}},
                    {"name": "sidecar", "image": "envoy:1"},
                ],
                "volumes": [{"name": "data", "emptyDir": {}}, {"name": "config", "configMap": {"name": "cfg"}}],
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
                "imagePullSecrets": [{"name": "regcred"}],
                "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db"]}],
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                               "labelSelector": {"matchLabels": {"app": "web"}}}],
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 50, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                                       "labelSelector": {"matchLabels": {"app": "web"}}}}]}},
            },
        },
    },
}
SVC = {
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "dns", "labels": {"app": "dns"}},
    "spec": {"type": "ClusterIP", "selector": {"app": "dns"}, "externalIPs": ["1.2.3.4"],
             "ports": [{"name": "dns-udp", "port": 53, "protocol": "UDP", "targetPort": 53},
                       {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]},
}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1", "b": "2"},
      "binaryData": {"bin": "AAE="}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"}, "type": "Opaque",
          "data": {"user": "YWRtaW4=", "pass": "c2VjcmV0"}}
QUOTA = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
         "spec": {"hard": {"pods": "10", "requests.cpu": "4"}}}
LR = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"},
      "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}, {"type": "Pod", "max": {"cpu": "2"}}]}}
CR = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
      "spec": {"size": "small", "replicas": 2, "items": [{"name": "a", "v": 1}, {"name": "b", "v": 2}],
               "settings": {"color": "red", "shape": "round"}}}
CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "widgets.example.com"},
       "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
                "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                    "type": "object", "properties": {"spec": {"type": "object", "properties": {
                        "size": {"type": "string"}, "replicas": {"type": "integer"},
                        "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                                  "items": {"type": "object", "properties": {"name": {"type": "string"}, "v": {"type": "integer"}}}},
                        "settings": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}}]}}
WRAPPER = {"apiVersion": "example.com/v1", "kind": "Rollout", "metadata": {"name": "r"},
           "spec": {"workload": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "inner"},
                                 "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1"},
                                                                               {"name": "b", "image": "b:1"}]}}}}}}
CRON = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "job"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "run", "image": "run:1", "env": [{"name": "X", "value": "1"}]}]}}}}}}
STS = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
       "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "pg", "image": "pg:15"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                                                  "resources": {"requests": {"storage": "1Gi"}}}}]}}
ING = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ing"},
       "spec": {"rules": [{"host": "a.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
HPA = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
       "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1,
                "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}}
RB = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
      "subjects": [{"kind": "ServiceAccount", "name": "a"}]}


def _meta(obj):
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": {"name": obj["metadata"]["name"]}}


def dp(spec=None, **top):
    """A Deployment patch."""
    p = _meta(DEP)
    if spec is not None:
        p["spec"] = spec
    p.update(top)
    return p


def pod(podspec):
    return dp({"template": {"spec": podspec}})


def app(**fields):
    return pod({"containers": [{"name": "app", **fields}]})


def patch_of(base, **top):
    p = _meta(base)
    p.update(top)
    return p


CASES = []


def case(name, base, patch, ref="kustomize", expected=None, error=None, crds=None):
    CASES.append({"name": name, "base": copy.deepcopy(base), "patch": patch, "ref": ref,
                  "expected": expected, "error": error, "crds": crds or []})


# -- containers ------------------------------------------------------------------------
case("container-image", DEP, app(image="app:2"))
case("container-add-new", DEP, pod({"containers": [{"name": "logger", "image": "fluentbit:3"}]}))
case("container-two-patched-order", DEP, pod({"containers": [{"name": "sidecar", "image": "envoy:2"}, {"name": "app", "image": "app:3"}]}))
case("container-explicit-merge", DEP, pod({"containers": [{"name": "app", "$patch": "merge", "image": "app:4"}]}))
case("container-delete", DEP, pod({"containers": [{"name": "sidecar", "$patch": "delete"}]}))
case("containers-replace-list", DEP, pod({"containers": [{"$patch": "replace"}, {"name": "only", "image": "only:1"}]}))
case("container-replace-item", DEP, pod({"containers": [{"name": "app", "$patch": "replace", "image": "fresh:1"}]}), ref="expected",
     expected=None)  # Kustomize ignores the directive (drops the patch); kubectl empties the whole list
case("env-add", DEP, app(env=[{"name": "C", "value": "3"}]))
case("env-change", DEP, app(env=[{"name": "B", "value": "two"}]))
case("env-delete-item", DEP, app(env=[{"name": "A", "$patch": "delete"}]))
case("env-order-new-and-existing", DEP, app(env=[{"name": "Z", "value": "z"}, {"name": "A", "value": "a"}]))
case("env-valuefrom", DEP, app(env=[{"name": "S", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "pass"}}}]))
case("env-value-null", DEP, app(env=[{"name": "A", "value": None}]))
case("envfrom-atomic", DEP, app(envFrom=[{"secretRef": {"name": "sec"}}]))
case("args-atomic", DEP, app(args=["--port", "9000", "--debug"]))
case("command-set", DEP, app(command=["/bin/app"]))
case("ports-add", DEP, app(ports=[{"containerPort": 8443, "name": "https"}]))
case("ports-merge-name", DEP, app(ports=[{"containerPort": 8080, "name": "web", "protocol": "TCP"}]), ref="expected",
     expected=None)  # Kustomize drops the patch item: the base port omits protocol
case("ports-udp-twin-new", DEP, app(ports=[{"containerPort": 8080, "protocol": "UDP", "name": "quic"}]), ref="expected",
     expected=None)  # Kustomize drops the new UDP twin
case("ports-udp-existing", DEP, app(ports=[{"containerPort": 9090, "protocol": "UDP", "hostPort": 9090}]))
case("ports-string-key", DEP, app(ports=[{"containerPort": "8080", "name": "h2"}]))  # "8080" matches 8080
case("volumemounts-add", DEP, app(volumeMounts=[{"name": "cache", "mountPath": "/cache"}]))
case("volumemounts-readonly", DEP, app(volumeMounts=[{"mountPath": "/config", "readOnly": True}]))
case("volumemounts-subpath", DEP, app(volumeMounts=[{"mountPath": "/data", "subPath": "x"}]))
case("resources-change", DEP, app(resources={"requests": {"cpu": "250m"}, "limits": {"memory": "128Mi"}}))
case("resources-null", DEP, app(resources=None))
case("resources-replace-map", DEP, app(resources={"$patch": "replace", "limits": {"cpu": "1"}}))
case("probe-change", DEP, app(readinessProbe={"periodSeconds": 10, "httpGet": {"path": "/readyz"}}))
case("probe-delete", DEP, app(livenessProbe=None))
case("lifecycle-add", DEP, app(lifecycle={"preStop": {"exec": {"command": ["sleep", "5"]}}}))
case("container-securitycontext", DEP, app(securityContext={"runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}))
case("init-image", DEP, pod({"initContainers": [{"name": "init", "image": "busybox:2"}]}))
case("init-add", DEP, pod({"initContainers": [{"name": "migrate", "image": "migrate:1"}]}))
# -- pod spec ------------------------------------------------------------------------------
case("volumes-add", DEP, pod({"volumes": [{"name": "cache", "emptyDir": {"medium": "Memory"}}]}))
case("volumes-delete", DEP, pod({"volumes": [{"name": "data", "$patch": "delete"}]}))
case("volumes-change-source-retainkeys", DEP, pod({"volumes": [{"name": "data", "$retainKeys": ["name", "secret"], "secret": {"secretName": "s"}}]}), ref="kubectl")
case("tolerations-atomic", DEP, pod({"tolerations": [{"key": "gpu", "operator": "Exists"}]}))
case("tolerations-null", DEP, pod({"tolerations": None}))
case("affinity-node", DEP, pod({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}}))
case("affinity-anti-weight", DEP, pod({"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {"topologyKey": "zone", "labelSelector": {"matchLabels": {"app": "web"}}}}]}}}))
case("imagepullsecrets-add", DEP, pod({"imagePullSecrets": [{"name": "other"}]}))
case("hostaliases-merge-by-ip", DEP, pod({"hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db", "db.local"]}, {"ip": "10.0.0.2", "hostnames": ["cache"]}]}))
case("topology-spread-two-keys", DEP, pod({"topologySpreadConstraints": [{"maxSkew": 2, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}, {"maxSkew": 1, "topologyKey": "host", "whenUnsatisfiable": "ScheduleAnyway"}]}))
case("scheduling-gates", DEP, pod({"schedulingGates": [{"name": "wait-for-quota"}]}))
case("resource-claims", DEP, pod({"resourceClaims": [{"name": "gpu", "resourceClaimName": "gpu-claim"}]}))
case("pod-securitycontext", DEP, pod({"securityContext": {"fsGroup": 2000}}))
case("node-selector-merge", DEP, pod({"nodeSelector": {"zone": "a"}}))
case("node-selector-delete-key", DEP, pod({"nodeSelector": {"disk": None}}))
case("service-account", DEP, pod({"serviceAccountName": "other"}))
case("priority-class", DEP, pod({"priorityClassName": "high"}))
case("dns-config", DEP, pod({"dnsConfig": {"options": [{"name": "ndots", "value": "2"}]}}))
case("readiness-gates", DEP, pod({"readinessGates": [{"conditionType": "ready.example.com"}]}))
# -- deployment spec and metadata ----------------------------------------------------------
case("replicas", DEP, dp({"replicas": 5}))
case("strategy-switch-null", DEP, dp({"strategy": {"type": "Recreate", "rollingUpdate": None}}))
case("strategy-switch-retainkeys", DEP, dp({"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}), ref="kubectl")
case("strategy-maxsurge-percent", DEP, dp({"strategy": {"rollingUpdate": {"maxSurge": "50%"}}}))
case("template-annotations", DEP, dp({"template": {"metadata": {"annotations": {"b": "2"}}}}))
case("template-labels", DEP, dp({"template": {"metadata": {"labels": {"version": "v2"}}}}))
case("selector-matchlabels", DEP, dp({"selector": {"matchLabels": {"tier": "front"}}}))
case("labels-add", DEP, dp(None, metadata={"name": "web", "labels": {"env": "prod"}}))
case("labels-delete", DEP, dp(None, metadata={"name": "web", "labels": {"tier": None}}))
case("annotations-change", DEP, dp(None, metadata={"name": "web", "annotations": {"note": "patched", "x": "y"}}))
case("finalizers-merge", DEP, dp(None, metadata={"name": "web", "finalizers": ["example.com/c", "example.com/a"]}))
case("finalizers-delete-primitive", DEP, dp(None, metadata={"name": "web", "$deleteFromPrimitiveList/finalizers": ["example.com/a"]}), ref="kubectl")
case("set-element-order", DEP, pod({"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}], "containers": [{"name": "app", "image": "app:9"}]}), ref="expected",
     expected=None)
case("revision-history", DEP, dp({"revisionHistoryLimit": 3, "progressDeadlineSeconds": 120, "minReadySeconds": 5}))
case("empty-patch", DEP, dp())
case("nested-null-in-new-map", DEP, pod({"securityContext": {"runAsUser": 1000, "runAsGroup": None}}))
# -- services ------------------------------------------------------------------------------
case("service-udp-twin", SVC, patch_of(SVC, spec={"ports": [{"port": 53, "protocol": "UDP", "targetPort": 5353}]}))
case("service-tcp-twin", SVC, patch_of(SVC, spec={"ports": [{"port": 53, "protocol": "TCP", "targetPort": 5354}]}))
case("service-add-port", SVC, patch_of(SVC, spec={"ports": [{"name": "metrics", "port": 9153, "protocol": "TCP"}]}))
case("service-delete-port", SVC, patch_of(SVC, spec={"ports": [{"port": 53, "protocol": "UDP", "$patch": "delete"}]}))
case("service-missing-protocol-is-tcp", SVC, patch_of(SVC, spec={"ports": [{"port": 53, "targetPort": 8053}]}), ref="expected",
     expected=None)
case("service-type-nodeport", SVC, patch_of(SVC, spec={"type": "NodePort"}))
case("service-selector", SVC, patch_of(SVC, spec={"selector": {"version": "v2"}}))
case("service-externalips-atomic", SVC, patch_of(SVC, spec={"externalIPs": ["5.6.7.8"]}))
case("service-annotations", SVC, patch_of(SVC, metadata={"name": "dns", "annotations": {"lb": "internal"}}))
# -- configmaps, secrets, quotas, limit ranges -------------------------------------------------
case("configmap-add-key", CM, patch_of(CM, data={"c": "3"}))
case("configmap-change-key", CM, patch_of(CM, data={"a": "one"}))
case("configmap-delete-key", CM, patch_of(CM, data={"b": None}))
case("configmap-binarydata", CM, patch_of(CM, binaryData={"bin2": "AgM="}))
case("configmap-replace-data", CM, patch_of(CM, data={"$patch": "replace", "only": "x"}))
case("secret-data", SECRET, patch_of(SECRET, data={"pass": "bmV3"}))
case("secret-stringdata", SECRET, patch_of(SECRET, stringData={"token": "abc"}))
case("quota-hard", QUOTA, patch_of(QUOTA, spec={"hard": {"pods": "20", "requests.memory": "8Gi"}}))
case("quota-scope-selector", QUOTA, patch_of(QUOTA, spec={"scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}))
case("limitrange-atomic", LR, patch_of(LR, spec={"limits": [{"type": "Container", "default": {"cpu": "1"}}]}))
# -- other built-in kinds ----------------------------------------------------------------------
case("cronjob-container", CRON, patch_of(CRON, spec={"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "run", "env": [{"name": "Y", "value": "2"}]}]}}}}}))
case("statefulset-vct-atomic", STS, patch_of(STS, spec={"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "5Gi"}}}}]}))
case("statefulset-container", STS, patch_of(STS, spec={"template": {"spec": {"containers": [{"name": "pg", "image": "pg:16"}]}}}))
case("ingress-rules-atomic", ING, patch_of(ING, spec={"rules": [{"host": "b.com"}]}))
case("hpa-metrics-atomic", HPA, patch_of(HPA, spec={"maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}}]}))
case("rolebinding-subjects-atomic", RB, patch_of(RB, subjects=[{"kind": "ServiceAccount", "name": "b"}]))
# -- custom resources --------------------------------------------------------------------------
case("cr-no-schema-map-merge", CR, patch_of(CR, spec={"settings": {"shape": "square", "size": "l"}}))
case("cr-no-schema-list-replace", CR, patch_of(CR, spec={"items": [{"name": "b", "v": 20}]}))
case("cr-no-schema-null", CR, patch_of(CR, spec={"replicas": None}))
case("cr-no-schema-scalar", CR, patch_of(CR, spec={"size": "large"}))
case("cr-with-crd-list-merge", CR, patch_of(CR, spec={"items": [{"name": "b", "v": 20}, {"name": "c", "v": 3}]}), ref="expected",
     expected=None, crds=[CRD])
case("cr-embedded-builtin", WRAPPER, patch_of(WRAPPER, spec={"workload": {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}}}), ref="expected",
     expected=None)
# `$patch: delete` next to other fields (a patch copying the whole item it deletes) deletes
case("delete-item-with-fields", DEP, app(**{"$patch": "delete", "image": "x"}))
case("delete-env-item-with-value", DEP, app(env=[{"$patch": "delete", "name": "A", "value": "other"}]))
case("delete-map-with-fields", DEP, dp({"strategy": {"$patch": "delete", "type": "Recreate"}}))
# -- root directives ---------------------------------------------------------------------------
case("root-delete", CM, {**patch_of(CM), "$patch": "delete"})
case("root-replace", CM, {**patch_of(CM), "$patch": "replace", "data": {"fresh": "1"}}, ref="expected", expected=None)
# -- errors ------------------------------------------------------------------------------------
case("error-item-without-merge-key", DEP, pod({"containers": [{"image": "nameless:1"}]}), ref="error", error="no merge key 'name'")
case("error-scalar-over-map", DEP, app(resources="big"), ref="error", error="where the base has a map")
case("error-scalar-over-list", DEP, app(env="A=1"), ref="error", error="where the base has a list")
case("error-list-over-map", DEP, app(resources=[{"cpu": "1"}]), ref="error", error="the patch has a list where the base has a map")
case("error-map-over-scalar", DEP, app(image={"name": "x"}), ref="error", error="the patch has a map where the base has a scalar")
case("error-unknown-patch-value", DEP, app(**{"$patch": "remove"}), ref="error", error="unknown $patch value 'remove'")
case("error-set-element-order-omits", DEP, pod({"$setElementOrder/containers": [{"name": "sidecar"}], "containers": [{"name": "app", "image": "x"}]}), ref="error", error="$setElementOrder omits the patched item")
case("error-retainkeys-excludes-patched", DEP, dp({"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": {"maxSurge": 2}}}), ref="error", error="which $retainKeys does not list")
case("error-unknown-directive", DEP, dp({"$foo": 1}), ref="error", error="unknown patch directive '$foo'")
case("error-primitive-list-with-map", DEP, dp(None, metadata={"name": "web", "finalizers": [{"a": 1}]}), ref="error", error="expected a list of scalars")


def _fill_expected():
    by = {c["name"]: c for c in CASES}

    e = copy.deepcopy(DEP)
    e["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(name="web", protocol="TCP")
    by["ports-merge-name"]["expected"] = e

    e = copy.deepcopy(DEP)
    ports = e["spec"]["template"]["spec"]["containers"][0]["ports"]
    e["spec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"containerPort": 8080, "protocol": "UDP", "name": "quic"}] + ports  # new items first (two-key list)
    by["ports-udp-twin-new"]["expected"] = e

    e = copy.deepcopy(DEP)
    cs = e["spec"]["template"]["spec"]["containers"]
    cs[0]["image"] = "app:9"
    e["spec"]["template"]["spec"]["containers"] = [cs[1], cs[0]]
    by["set-element-order"]["expected"] = e

    e = copy.deepcopy(SVC)
    e["spec"]["ports"][1]["targetPort"] = 8053  # the TCP twin: a missing protocol means TCP
    by["service-missing-protocol-is-tcp"]["expected"] = e

    e = copy.deepcopy(CR)
    e["spec"]["items"] = [{"name": "b", "v": 20}, {"name": "c", "v": 3}, {"name": "a", "v": 1}]
    by["cr-with-crd-list-merge"]["expected"] = e

    e = copy.deepcopy(WRAPPER)
    e["spec"]["workload"]["spec"]["template"]["spec"]["containers"] = [{"name": "b", "image": "b:2"}, {"name": "a", "image": "a:1"}]
    by["cr-embedded-builtin"]["expected"] = e

    e = copy.deepcopy(DEP)
    e["spec"]["template"]["spec"]["containers"][0] = {"name": "app", "image": "fresh:1"}
    by["container-replace-item"]["expected"] = e

    by["root-replace"]["expected"] = {**patch_of(CM), "data": {"fresh": "1"}}


_fill_expected()
