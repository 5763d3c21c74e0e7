"""Service rules, node ports taken twice, and selectors that select no pod template.

Through :func:`kcompile.validate.validate`: each finding's severity, object, field path
and the file line it points at."""

from __future__ import annotations

import pytest

from kcompile.validate import validate

from ..helpers import deployment, errors, load, only


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
