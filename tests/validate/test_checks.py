"""Each apply-time check on its own: the finding, its severity, object and field path,
and the file line it points at. Valid objects produce no errors."""

from __future__ import annotations

import pytest

from kcompile.model import Resource
from kcompile.validate import format_findings, validate

from .helpers import deployment, load


def errors(findings):
    return [f for f in findings if f.severity == "error"]


def only(findings, text):
    got = [f for f in findings if text in f.message]
    assert got, f"no finding with {text!r}: {[f.message for f in findings]}"
    return got[0]


def test_valid_deployment_service_configmap_have_no_findings(tmp_path):
    rs = load(tmp_path, deployment() + """---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
data: {a: "1"}
""")
    assert validate(rs) == []


# -- identity, names, labels ---------------------------------------------------------------

def test_duplicate_ids(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    f = only(validate(rs), "defined twice")
    assert (f.severity, f.object, f.path, f.line) == ("error", "ConfigMap/x", "metadata.name", 7)


def test_same_name_in_other_namespace_or_kind_is_no_duplicate(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\n---\n"
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: b}\n---\n"
                        "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: a}\n")
    assert validate(rs) == []


@pytest.mark.parametrize("kind, name, bad", [
    ("ConfigMap", "web.config", False),  # subdomain: dots allowed
    ("ConfigMap", "Web", True),
    ("ConfigMap", "web_config", True),
    ("ConfigMap", "-web", True),
    ("ConfigMap", "a" * 253, False),
    ("ConfigMap", "a" * 254, True),
    ("Service", "web.api", True),  # Services need a DNS-1123 label
    ("Service", "a" * 64, True),
    ("Namespace", "team-a", False),
    ("ClusterRole", "system:web", False),  # RBAC names are path segments
])
def test_names(tmp_path, kind, name, bad):
    api = "rbac.authorization.k8s.io/v1" if kind == "ClusterRole" else "v1"
    spec = "\nspec: {ports: [{port: 80}]}" if kind == "Service" else ""
    rs = load(tmp_path, f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}{spec}\n")
    found = [f for f in validate(rs) if f.path == "metadata.name" and f.severity == "error"]
    assert bool(found) == bad, found and found[0].message
    if bad:
        assert found[0].line == 4


@pytest.mark.parametrize("key, value, problem", [
    ("app", "web", None),
    ("app.kubernetes.io/name", "web", None),
    ("example.com/a_b.c-d", "A.b_c-9", None),
    ("app", "", None),
    ("bad key", "x", "label key 'bad key'"),
    ("Example.com/app", "x", "prefix must be a DNS-1123 subdomain"),
    ("/app", "x", "prefix must be a DNS-1123 subdomain"),
    ("app", "a b", "label value 'a b'"),
    ("app", "-web", "label value '-web'"),
    ("app", "x" * 64, "63 characters"),
    ("k" * 64, "x", "63 characters"),
])
def test_label_syntax(tmp_path, key, value, problem):
    rs = load(tmp_path, f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    '{key}': '{value}'\n")
    found = errors(validate(rs))
    if problem is None:
        assert found == []
    else:
        f = only(found, problem)
        assert f.path == f"metadata.labels.{key}" and f.line == 6


def test_pod_template_labels_are_checked_too(tmp_path):
    text = deployment().replace("labels: {app: web}\n    spec:", "labels: {app: web, 'bad key!': x}\n    spec:")
    f = only(validate(load(tmp_path, text)), "label key 'bad key!'")
    assert f.path == "spec.template.metadata.labels.bad key!" and f.line == 12


def test_invalid_namespace(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: Team_A\n")
    f = only(validate(rs), "namespace 'Team_A'")
    assert (f.path, f.line) == ("metadata.namespace", 5)


# -- Services ----------------------------------------------------------------------------------

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  type: {type}
  ports:
  - name: http
    port: 80
    nodePort: {node_port}
"""


@pytest.mark.parametrize("stype, node_port, problem", [
    ("NodePort", 30000, None),
    ("NodePort", 32767, None),
    ("LoadBalancer", 31000, None),
    ("NodePort", 29999, "outside the default range 30000-32767"),
    ("NodePort", 32768, "outside the default range 30000-32767"),
    ("ClusterIP", 30080, "only allowed for type NodePort or LoadBalancer"),
])
def test_node_port(tmp_path, stype, node_port, problem):
    rs = load(tmp_path, SERVICE.format(type=stype, node_port=node_port))
    found = errors(validate(rs))
    if problem is None:
        assert found == []
    else:
        f = only(found, problem)
        assert (f.path, f.line) == ("spec.ports[name=http].nodePort", 9)


def test_node_port_taken_twice(tmp_path):
    rs = load(tmp_path, SERVICE.format(type="NodePort", node_port=30080) + "---\n"
              + SERVICE.format(type="NodePort", node_port=30080).replace("name: web", "name: api"))
    f = only(validate(rs), "already taken by Service/web")
    assert f.object == "Service/api" and f.line == 19


@pytest.mark.parametrize("spec, problem, path", [
    ("{type: ExternalName}", "needs spec.externalName", "spec.externalName"),
    ("{type: ExternalName, externalName: Db.Example.COM}", "must be a DNS name", "spec.externalName"),
    ("{type: ExternalName, externalName: db.example.com, clusterIP: 10.0.0.1}", "clusterIP may not be set",
     "spec.clusterIP"),
    ("{type: NodePort, clusterIP: None, ports: [{port: 80}]}", "headless", "spec.clusterIP"),
    ("{type: ClusterIP}", "needs at least one port", "spec.ports"),
    ("{ports: [{port: 80}, {port: 81}]}", "must be named", "spec.ports[0]"),
    ("{ports: [{name: a, port: 80}, {name: a, port: 81}]}", "port name 'a' is used twice", "spec.ports[name=a].name"),
    ("{ports: [{name: a, port: 80}, {name: b, port: 80}]}", "port 80/TCP is defined twice", "spec.ports[name=b]"),
    ("{ports: [{name: Http, port: 80}]}", "must be a DNS-1123 label", "spec.ports[name=Http].name"),
    ("{ports: [{port: 80, targetPort: 70000}]}", "targetPort 70000 is outside", "spec.ports[0].targetPort"),
    ("{ports: [{port: 80, targetPort: web_http}]}", "not a valid port name", "spec.ports[0].targetPort"),
    ("{ports: [{port: 0}]}", "port 0 is outside", "spec.ports[0].port"),
])
def test_service_rules(tmp_path, spec, problem, path):
    rs = load(tmp_path, f"apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {spec}\n")
    f = only(validate(rs), problem)
    assert (f.severity, f.path) == ("error", path)


def test_external_name_service_is_valid(tmp_path):
    rs = load(tmp_path, "apiVersion: v1\nkind: Service\nmetadata: {name: db}\n"
                        "spec: {type: ExternalName, externalName: db.example.com.}\n")
    assert errors(validate(rs)) == []


def test_service_selecting_no_pod_template_warns(tmp_path):
    rs = load(tmp_path, deployment() + """---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80}]
""")
    f = only(validate(rs), "selects no pod template")
    assert (f.severity, f.object, f.path, f.line) == ("warning", "Service/shop/api", "spec.selector", 25)
    assert only(validate(rs, strict=True), "selects no pod template").severity == "error"


def test_service_in_other_namespace_does_not_select(tmp_path):
    rs = load(tmp_path, deployment() + """---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec: {selector: {app: web}, ports: [{port: 80}]}
""")
    only(validate(rs), "selects no pod template")


# -- workload selectors --------------------------------------------------------------------------

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


# -- requests and limits ----------------------------------------------------------------------------

@pytest.mark.parametrize("cpu, cpu_limit, memory, memory_limit, problem", [
    ("100m", "200m", "128Mi", "256Mi", None),
    ("200m", "0.2", "128Mi", "128Mi", None),  # equal, written differently
    ("300m", "200m", "128Mi", "256Mi", "request 300m is more than the limit 200m"),
    ("1", "999m", "128Mi", "256Mi", "request 1 is more than the limit 999m"),
    ("100m", "200m", "1Gi", "1000Mi", "request 1Gi is more than the limit 1000Mi"),
    ("100m", "200m", "1G", "1Gi", None),  # 10^9 < 2^30
    ("100m", "200m", "1.1G", "1Gi", "more than the limit 1Gi"),
])
def test_requests_not_above_limits(tmp_path, cpu, cpu_limit, memory, memory_limit, problem):
    text = deployment(cpu=cpu, cpu_limit=cpu_limit, memory=memory, memory_limit=memory_limit)
    found = errors(validate(load(tmp_path, text)))
    if problem is None:
        assert found == []
    else:
        f = only(found, problem)
        assert f.path.startswith("spec.template.spec.containers[name=web].resources.requests.")
        assert f.line == 18


# -- dangling references --------------------------------------------------------------------------------

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  containers:
  - name: app
    image: busybox
{container}
{volumes}
"""


@pytest.mark.parametrize("container, volumes, kind_name, path", [
    ("    env:\n    - name: A\n      valueFrom:\n        configMapKeyRef: {name: cfg, key: a}", "",
     "ConfigMap 'cfg'", "spec.containers[name=app].env[name=A].valueFrom.configMapKeyRef.name"),
    ("    env:\n    - name: A\n      valueFrom:\n        secretKeyRef: {name: db, key: a}", "",
     "Secret 'db'", "spec.containers[name=app].env[name=A].valueFrom.secretKeyRef.name"),
    ("    envFrom:\n    - configMapRef: {name: cfg}", "", "ConfigMap 'cfg'",
     "spec.containers[name=app].envFrom[0].configMapRef.name"),
    ("    envFrom:\n    - secretRef: {name: db}", "", "Secret 'db'", "spec.containers[name=app].envFrom[0].secretRef.name"),
    ("", "  volumes:\n  - name: v\n    configMap: {name: cfg}", "ConfigMap 'cfg'", "spec.volumes[name=v].configMap.name"),
    ("", "  volumes:\n  - name: v\n    secret: {secretName: db}", "Secret 'db'", "spec.volumes[name=v].secret.secretName"),
    ("", "  volumes:\n  - name: v\n    projected:\n      sources:\n      - configMap: {name: cfg}", "ConfigMap 'cfg'",
     "spec.volumes[name=v].projected.sources[0].configMap.name"),
    ("", "  volumes:\n  - name: v\n    projected:\n      sources:\n      - secret: {name: db}", "Secret 'db'",
     "spec.volumes[name=v].projected.sources[0].secret.name"),
])
def test_dangling_references_warn_and_strict_makes_them_errors(tmp_path, container, volumes, kind_name, path):
    text = POD.format(container=container, volumes=volumes)
    rs = load(tmp_path, text)
    f = only(validate(rs), kind_name)
    assert (f.severity, f.path) == ("warning", path)
    assert f.line == next(i for i, ln in enumerate(text.splitlines(), 1) if "name: cfg" in ln or "db" in ln)
    assert only(validate(rs, strict=True), kind_name).severity == "error"
    # present in the build: no finding
    kind, name = kind_name.split()
    rs += load(tmp_path, f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: {name.strip(chr(39))}}}\n", "extra.yaml")
    assert [f for f in validate(rs) if kind_name in f.message] == []


def test_optional_reference_is_fine(tmp_path):
    text = POD.format(container="    envFrom:\n    - configMapRef: {name: cfg, optional: true}", volumes="")
    assert validate(load(tmp_path, text)) == []


def test_reference_into_another_namespace_dangles(tmp_path):
    text = POD.format(container="    envFrom:\n    - configMapRef: {name: cfg}", volumes="").replace(
        "metadata: {name: p}", "metadata: {name: p, namespace: a}")
    text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: b}\n"
    only(validate(load(tmp_path, text)), "ConfigMap 'cfg'")


# -- findings output ---------------------------------------------------------------------------------------

def test_text_and_json_formats(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rs = load(tmp_path, deployment(cpu="300m"))
    findings = validate(rs)
    text = format_findings(findings)
    assert text == ("r.yaml:18: error: Deployment/shop/web: spec.template.spec.containers[name=web].resources"
                    ".requests.cpu: request 300m is more than the limit 200m\n")
    import json

    (d,) = json.loads(format_findings(findings, "json"))
    assert d == {"severity": "error", "object": "Deployment/shop/web",
                 "path": "spec.template.spec.containers[name=web].resources.requests.cpu",
                 "file": "r.yaml", "line": 18, "message": "request 300m is more than the limit 200m"}


def test_objects_without_origin_still_get_findings():
    r = Resource(body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad"}})
    (f,) = validate([r])
    assert (f.file, f.line, f.path) == (None, None, "metadata.name")
    assert format_findings([f]).startswith("error: ConfigMap/Bad: metadata.name:")


def test_request_above_a_limit_range_default_limit(tmp_path):
    text = deployment(cpu="800m").replace("          limits: {cpu: 200m, memory: 256Mi}\n", "") + """---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
"""
    f = only(validate(load(tmp_path, text)), "request 800m is more than the limit 500m that the namespace's LimitRange")
    assert f.severity == "error" and f.line == 18
    # no LimitRange: no limit, nothing to compare
    assert errors(validate(load(tmp_path, text[: text.index("---")]))) == []
