"""kcompile's own ``charts:`` entries pointing at Helm charts: rendered by ``helm
template`` with kcompile's values layering, compared with ``helm template`` given the
same layers as ``-f`` files (object sets: kcompile orders its output as Kustomize does).

Defaults follow what ``helm install`` puts in a cluster: CRDs included, test hooks left
out, other hooks kept; a chart instance's ``namespace`` goes to objects that have none.
"""

from __future__ import annotations

import json

import pytest

from tests.helm.helpers import helm_template, kcompile_build, lay_out

DEFAULTS = ["--include-crds", "--skip-tests"]  # what charts: entries pass unless told otherwise
CLUSTER_SCOPED = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Namespace"}

# name -> (chart copies, files, overlay to build, kcompile flags, helm template arguments
# with {chart} for the chart's path, namespace the instance sets)
CASES = {
    "library-dependency-values-layers": dict(
        charts={"charts/shop": "shop"},
        files={"overlays/prod/kcompile.yaml": """
charts:
- chart: ../../charts/shop
  release: web
  namespace: shop
  valuesFiles: [web-values.yaml]
  values:
    replicaCount: 3
    env: {LOG_LEVEL: "off"}
""", "overlays/prod/web-values.yaml": """
image: {tag: "4.2"}
ingress: {enabled: true, host: shop.prod.example.com}
env: {LOG_LEVEL: warn, REGION: eu}
"""},
        build="overlays/prod",
        helm=["web", "{chart}", "--namespace", "shop", "-f", "overlays/prod/web-values.yaml",
              "-f", {"replicaCount": 3, "env": {"LOG_LEVEL": "off"}}, *DEFAULTS],
        namespace="shop"),
    # chartValues of an overlay above the base declaring the instance, then --set
    "subcharts-global-chart-values-and-set": dict(
        charts={"charts/stack": "stack"},
        files={"base/kcompile.yaml": """
charts:
- chart: ../charts/stack
  release: apps
  values:
    global: {environment: staging}
""", "prod/kcompile.yaml": """
resources: [../base]
chartValues:
  apps:
    global: {environment: prod, labels: {team: payments}}
    jobs: {queues: [billing, refunds]}
    database: {host: null}
"""},
        build="prod",
        flags=["--set", "apps.api.replicas=4", "--set", "apps.global.registry=mirror.example.com"],
        helm=["apps", "{chart}", "-f", {"global": {"environment": "staging"}},
              "-f", {"global": {"environment": "prod", "labels": {"team": "payments"}},
                     "jobs": {"queues": ["billing", "refunds"]}, "database": {"host": None}},
              "--set", "api.replicas=4", "--set", "global.registry=mirror.example.com", *DEFAULTS]),
    "subchart-disabled-by-condition": dict(
        charts={"charts/stack": "stack"},
        files={"kcompile.yaml": """
charts:
- chart: charts/stack
  release: apps
  values: {jobs: {enabled: false}}
"""},
        helm=["apps", "{chart}", "--set", "jobs.enabled=false", *DEFAULTS]),
    # hooks kept, the test Pod left out by default; skipTests: false keeps it too
    "hooks-kept-tests-skipped": dict(
        charts={"charts/migrate": "migrate"},
        files={"kcompile.yaml": """
charts:
- chart: charts/migrate
  release: orders
  namespace: orders
"""},
        helm=["orders", "{chart}", "--namespace", "orders", *DEFAULTS], namespace="orders"),
    "tests-on-hooks-off": dict(
        charts={"charts/migrate": "migrate"},
        files={"kcompile.yaml": """
charts:
- chart: charts/migrate
  release: orders
  skipTests: false
  skipHooks: true
"""},
        helm=["orders", "{chart}", "--no-hooks", "--include-crds"]),
    # CRDs included by default; --kube-version and apiVersions reach .Capabilities
    "crds-included-capabilities": dict(
        charts={"charts/operator": "operator"},
        files={"kcompile.yaml": """
charts:
- chart: charts/operator
  release: backup
  namespace: backups
  apiVersions: [monitoring.coreos.com/v1]
"""},
        flags=["--kube-version", "1.30"],
        helm=["backup", "{chart}", "--namespace", "backups", *DEFAULTS,
              "--api-versions", "monitoring.coreos.com/v1", "--kube-version", "1.30"],
        namespace="backups"),
    "crds-left-out": dict(
        charts={"charts/operator": "operator"},
        files={"kcompile.yaml": """
charts:
- chart: charts/operator
  release: backup
  includeCRDs: false
  values: {defaultSchedule: {create: false}}
"""},
        helm=["backup", "{chart}", "--set", "defaultSchedule.create=false", "--skip-tests"]),
    # values files and inline values read as Helm reads a values file: plain yes/on/n
    # are booleans (go-yaml v2), quoted ones strings, keys too
    "yaml11-words-in-values": dict(
        charts={"charts/kinds": "kinds"},
        files={"kcompile.yaml": """
charts:
- chart: charts/kinds
  release: k
  valuesFiles: [words.yaml]
  values: {inlineOn: on, inlineQuoted: "on", inlineNo: No}
""", "words.yaml": """
enabled: yes
short: y
off: n
switch: On
quoted: "yes"
tagged: !!str no
list: [yes, "no", off]
nested: {flag: ON, word: yesterday}
"""},
        helm=["k", "{chart}", "-f", "words.yaml", "-f", {"inlineOn": True, "inlineQuoted": "on", "inlineNo": False},
              *DEFAULTS]),
}


def expected(ref_tools, root, case) -> list:
    args, n = [], 0
    for a in case["helm"]:
        if isinstance(a, dict):  # inline values: a -f file
            n += 1
            path = root / f"inline-{n}.json"
            path.write_text(json.dumps(a))
            a = str(path)
        args.append(a.replace("{chart}", str(root / next(iter(case["charts"])))))
    objects = helm_template(ref_tools, *args)
    ns = case.get("namespace")
    for o in objects:
        if "annotations" in o["metadata"] and not o["metadata"]["annotations"]:
            del o["metadata"]["annotations"]  # kcompile writes none empty, as Kustomize
        if ns and o["kind"] not in CLUSTER_SCOPED:
            o["metadata"].setdefault("namespace", ns)
    return objects


def key(o: dict) -> tuple:
    return (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_objects_as_helm_template(name, tmp_path, ref_tools, capsys, monkeypatch):
    case = CASES[name]
    root = lay_out(tmp_path / name, case["files"], case["charts"])
    monkeypatch.chdir(root)
    ours = kcompile_build(capsys, root / case.get("build", "."), "--helm-command", str(ref_tools.helm),
                          *case.get("flags", []))
    theirs = expected(ref_tools, root, case)
    assert sorted(ours, key=key) == sorted(theirs, key=key)
    assert ours


def test_overlay_transformers_apply_to_helm_objects(tmp_path, ref_tools, capsys, monkeypatch):
    """Unlike Kustomize's helmCharts, a charts: instance's objects are the overlay's own:
    its namespace, prefix and patches change them as they change a Jinja chart's."""
    root = lay_out(tmp_path, {"kcompile.yaml": """
namespace: shop-prod
namePrefix: eu-
charts:
- chart: charts/shop
  release: web
patches:
- target: {kind: Deployment}
  patch: |
    - {op: replace, path: /spec/replicas, value: 7}
"""}, {"charts/shop": "shop"})
    monkeypatch.chdir(root)
    objects = kcompile_build(capsys, root, "--helm-command", str(ref_tools.helm))
    assert {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects} == {
        ("ConfigMap", "shop-prod", "eu-web-shop"), ("Service", "shop-prod", "eu-web-shop"),
        ("Deployment", "shop-prod", "eu-web-shop")}
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 7
    assert deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [
        {"configMapRef": {"name": "eu-web-shop"}}]  # the name reference follows the prefix


def test_packaged_chart(tmp_path, ref_tools, capsys, monkeypatch):
    """A chart archive made by ``helm package`` renders as its directory does; the
    release defaults to the chart's name."""
    import subprocess

    root = lay_out(tmp_path, {"overlays/dev/kcompile.yaml": """
charts:
- chart: ../../packages/stack-0.5.0.tgz
  values: {jobs: {queues: [only]}}
"""}, {"src/stack": "stack"})
    subprocess.run([str(ref_tools.helm), "package", str(root / "src/stack"), "-d", str(root / "packages")],
                   check=True, capture_output=True)
    monkeypatch.chdir(root)
    ours = kcompile_build(capsys, root / "overlays/dev", "--helm-command", str(ref_tools.helm))
    theirs = helm_template(ref_tools, "stack", str(root / "src/stack"), "--set", "jobs.queues={only}",
                           *DEFAULTS)
    assert sorted(ours, key=key) == sorted(theirs, key=key)
    assert any(o["metadata"]["name"] == "stack-jobs-only" for o in ours)


def test_caller_helm_environment_is_ignored(tmp_path, ref_tools, capsys, monkeypatch):
    """helm runs without the caller's HELM_* variables: output depends only on the chart,
    the values and the flags."""
    root = lay_out(tmp_path, {"kcompile.yaml": "charts:\n- chart: charts/migrate\n  release: orders\n"},
                   {"charts/migrate": "migrate"})
    monkeypatch.chdir(root)
    monkeypatch.setenv("HELM_NAMESPACE", "elsewhere")
    monkeypatch.setenv("HELM_KUBEVERSION", "1.20.0")
    ours = kcompile_build(capsys, root, "--helm-command", str(ref_tools.helm))
    assert {o["metadata"].get("namespace") for o in ours if o["kind"] == "Deployment"} == {"default"}


def test_validation_findings_point_into_the_chart(tmp_path, ref_tools, capsys, monkeypatch):
    """An object helm rendered is validated like any other; a finding names the chart's
    template (the `# Source:` helm wrote) and the line in it."""
    from tests.helm.helpers import kcompile

    root = lay_out(tmp_path, {"kcompile.yaml": """
charts:
- chart: charts/shop
  release: web
  values: {resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}
"""}, {"charts/shop": "shop"})
    monkeypatch.chdir(root)
    code, out, err = kcompile(capsys, "build", ".", "--no-cache", "--helm-command", str(ref_tools.helm))
    assert code == 1 and out == ""
    assert ("charts/shop/templates/deployment.yaml:32: error: Deployment/web-shop: "
            "spec.template.spec.containers[name=shop].resources.requests.cpu: request 2 is more than the limit 1") in err
