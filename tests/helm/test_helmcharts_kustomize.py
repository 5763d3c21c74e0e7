"""Kustomize's ``helmCharts``: kcompile against ``kubectl kustomize --enable-helm
--helm-command`` (Kustomize v5.8.1 with Helm v4), same objects in the same order.

Each case lays out overlays and copies of the charts in ``charts/`` (a library-chart
dependency, subcharts with ``global``, hooks and tests, CRDs) in a temporary directory,
then builds it with both tools.
"""

from __future__ import annotations

import pytest

from tests.helm.helpers import kcompile_build, kustomize_build, lay_out

CASES = {
    # the builtin HelmChartInflationGenerator plugin in `generators` (its own chartHome),
    # after the kustomization's own generators, with namePrefix applied afterwards
    "generator-plugin-configuration": dict(
        charts={"vendor/charts/shop": "shop"},
        files={"kustomization.yaml": """
namePrefix: eu-
generators:
- shop-chart.yaml
""", "shop-chart.yaml": """
apiVersion: builtin
kind: HelmChartInflationGenerator
metadata:
  name: shop
name: shop
releaseName: store
chartHome: vendor/charts
valuesInline:
  replicaCount: 2
"""}),
    # a library-chart dependency; valuesInline overrides the chart's values (default merge)
    "library-dependency-inline-override": dict(
        charts={"charts/shop": "shop"},
        files={"kustomization.yaml": """
helmCharts:
- name: shop
  releaseName: web
  valuesInline:
    replicaCount: 4
    image: {tag: "4.2"}
    env: {LOG_LEVEL: debug, CACHE: "yes"}
    ingress: {enabled: true}
    podAnnotations: {prometheus.io/scrape: "true"}
"""}),
    # the kustomization's namespace goes to helm (--namespace) but the namespace
    # transformer leaves helm's objects alone; its own resources get it
    "namespace-passed-to-helm-not-transformed": dict(
        charts={"charts/migrate": "migrate", "charts/shop": "shop"},
        files={"kustomization.yaml": """
namespace: orders
resources: [quota.yaml]
helmCharts:
- name: migrate
  releaseName: orders
- name: shop
  releaseName: shop
  namespace: storefront
""", "quota.yaml": """
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota}
spec: {hard: {pods: "20"}}
"""}),
    # valuesFile instead of the chart's, additionalValuesFiles after it, valuesMerge: merge
    # (the values file wins; inline values only add keys)
    "values-files-and-merge": dict(
        charts={"charts/shop": "shop"},
        files={"kustomization.yaml": """
helmCharts:
- name: shop
  releaseName: web
  valuesFile: values/base.yaml
  additionalValuesFiles: [values/prod.yaml]
  valuesMerge: merge
  valuesInline:
    replicaCount: 9
    service: {type: NodePort, port: 8081}
    podAnnotations: {team: shop}
""", "values/base.yaml": """
replicaCount: 3
image: {repository: registry.example.com/shop-base}
service: {port: 8080}
""", "values/prod.yaml": """
env: {LOG_LEVEL: warn}
resources:
  requests: {cpu: "1"}
"""}),
    # valuesMerge: replace -- the inline values instead of the values file; a null
    # removes a value of the chart
    "values-replace-with-null": dict(
        charts={"charts/stack": "stack"},
        files={"kustomization.yaml": """
helmCharts:
- name: stack
  releaseName: prod
  valuesMerge: replace
  valuesInline:
    global: {environment: prod, labels: {team: payments, tier: backend}}
    api: {replicas: 5}
    jobs: {queues: [billing]}
    database: {host: null}
"""}),
    # override (the default) with a null: the key goes from the values file, so helm
    # takes the chart's default again
    "override-null-and-subchart-condition": dict(
        charts={"charts/stack": "stack"},
        files={"kustomization.yaml": """
helmCharts:
- name: stack
  releaseName: dev
  valuesInline:
    jobs: {enabled: false}
    api: {port: null, image: api:2.0}
    global: {registry: mirror.example.com}
"""}),
    # hooks and tests are rendered by default; skipTests drops the test Pod, skipHooks
    # every hook
    "hooks-and-tests-default": dict(
        charts={"charts/migrate": "migrate"},
        files={"kustomization.yaml": """
helmCharts:
- name: migrate
  releaseName: orders
  namespace: shop
"""}),
    "skip-tests": dict(
        charts={"charts/migrate": "migrate"},
        files={"kustomization.yaml": """
helmCharts:
- name: migrate
  releaseName: orders
  skipTests: true
  valuesInline: {migrations: {backoffLimit: 5}}
"""}),
    "skip-hooks": dict(
        charts={"charts/migrate": "migrate"},
        files={"kustomization.yaml": """
helmCharts:
- name: migrate
  releaseName: orders
  skipHooks: true
"""}),
    # CRDs only with includeCRDs; apiVersions and kubeVersion reach .Capabilities
    "crds-api-versions-kube-version": dict(
        charts={"charts/operator": "operator"},
        files={"kustomization.yaml": """
helmCharts:
- name: operator
  releaseName: backup
  namespace: backups
  includeCRDs: true
  apiVersions: [monitoring.coreos.com/v1]
  kubeVersion: "1.31.2"
  valuesInline: {defaultSchedule: {cron: "*/30 * * * *", retention: 3}}
"""}),
    "crds-left-out-by-default": dict(
        charts={"charts/operator": "operator"},
        files={"kustomization.yaml": """
helmCharts:
- name: operator
  releaseName: backup
  valuesInline: {rbac: {create: false}}
"""}),
    # a chart in a base: the overlay's namespace reaches helm through the base (Kustomize's
    # inherited helm namespace), its namePrefix, labels and patches apply to helm's objects
    "base-chart-overlay-transforms": dict(
        charts={"base/charts/shop": "shop"},
        build="overlays/prod",
        files={"base/kustomization.yaml": """
helmCharts:
- name: shop
  releaseName: web
""", "overlays/prod/kustomization.yaml": """
namespace: prod
namePrefix: eu-
commonLabels: {env: prod}
resources: [../../base]
images:
- name: registry.example.com/shop
  newTag: "5.0"
patches:
- target: {kind: Deployment, name: web-shop}
  patch: |
    - op: replace
      path: /spec/replicas
      value: 6
- patch: |
    apiVersion: v1
    kind: Service
    metadata: {name: web-shop}
    spec: {type: LoadBalancer}
"""}),
    # a component's helmCharts, with the including kustomization's namespace
    "component-with-chart": dict(
        charts={"components/backup/charts/operator": "operator"},
        files={"kustomization.yaml": """
namespace: platform
resources: [ns.yaml]
components: [components/backup]
""", "ns.yaml": """
apiVersion: v1
kind: Namespace
metadata: {name: platform}
""", "components/backup/kustomization.yaml": """
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
helmCharts:
- name: operator
  releaseName: backup
"""}),
    # helmGlobals.chartHome, and a repository chart already pulled to where Kustomize
    # puts it ({chartHome}/{name}-{version}/{name}): used as found, nothing fetched
    "chart-home-and-pulled-repository-chart": dict(
        charts={"third_party/shop": "shop", "third_party/stack-0.5.0/stack": "stack"},
        files={"kustomization.yaml": """
helmGlobals:
  chartHome: third_party
helmCharts:
- name: shop
  releaseName: web
- name: stack
  version: 0.5.0
  repo: https://charts.example.com/never-contacted
  releaseName: apps
"""}),
    # two releases of one chart; field names in another case (Go's JSON decoding ignores case)
    "two-releases-and-field-case": dict(
        charts={"charts/shop": "shop"},
        files={"kustomization.yaml": """
helmCharts:
- name: shop
  releaseName: blue
  valuesinline: {image: {tag: blue}}
- Name: shop
  ReleaseName: green
  ValuesInline: {image: {tag: green}}
"""}),
    # no releaseName (helm's --generate-name) and a nameTemplate
    "generated-release-name": dict(
        charts={"charts/migrate": "migrate"},
        files={"kustomization.yaml": """
helmCharts:
- name: migrate
  skipTests: true
"""}),
    "name-template": dict(
        charts={"charts/migrate": "migrate"},
        files={"kustomization.yaml": """
helmCharts:
- name: migrate
  nameTemplate: "canary-{{ \\"orders\\" | upper | lower }}"
  skipHooks: true
"""}),
    # generators first, then helm, as Kustomize orders them; a chart beside plain resources
    "generators-and-resources": dict(
        charts={"charts/shop": "shop"},
        files={"kustomization.yaml": """
resources: [app.yaml]
configMapGenerator:
- name: settings
  literals: [MODE=fast]
helmCharts:
- name: shop
  releaseName: web
""", "app.yaml": """
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
"""}),
    # the deprecated helmChartInflationGenerator field
    "legacy-inflation-generator-field": dict(
        charts={"charts/shop": "shop"},
        files={"kustomization.yaml": """
helmChartInflationGenerator:
- chartName: shop
  releaseName: legacy
  valuesLocal: {replicaCount: 7}
"""}),
    # the HelmChartInflationGenerator builtin plugin: helmCharts fields and chartHome in one
    # config, as a generators file and inline
    "inflation-generator-plugin": dict(
        charts={"vendor/charts/migrate": "migrate", "charts/shop": "shop"},
        files={"kustomization.yaml": """
namespace: plugins
generators:
- inflate-migrate.yaml
- |
  apiVersion: builtin
  kind: HelmChartInflationGenerator
  metadata: {name: shop}
  name: shop
  releaseName: inline
  valuesInline: {replicaCount: 1}
""", "inflate-migrate.yaml": """
apiVersion: builtin
kind: HelmChartInflationGenerator
metadata: {name: migrate}
chartHome: vendor/charts
name: migrate
releaseName: orders
skipTests: true
valuesInline: {migrations: {enabled: false}}
"""}),
    # valuesInline as Kustomize reads it: plain YAML 1.1 boolean words (go-yaml v2, through
    # sigs.k8s.io/yaml) reach helm as booleans, keys too; quoted or tagged ones stay strings
    "values-inline-yaml11-booleans": dict(
        charts={"charts/kinds": "kinds"},
        files={"kustomization.yaml": """
helmCharts:
- name: kinds
  releaseName: k
  valuesInline:
    enabled: yes
    tls: on
    short: y
    quoted: "yes"
    tagged: !!str on
    upper: NO
    mixed: yES
    off: 1
    list: [yes, "on", off, Off, n]
    nested: {a: {b: Y, c: "N"}}
    octal: 0755
    words: ON and off
"""}),
    "legacy-values-local-yaml11-booleans": dict(
        charts={"charts/kinds": "kinds"},
        files={"kustomization.yaml": """
helmChartInflationGenerator:
- chartName: kinds
  releaseName: legacy
  valuesLocal: {enabled: Yes, other: n}
"""}),
    # --helm-debug and an entry's own `debug` (helm --debug): the same objects
    "helm-debug": dict(
        charts={"charts/kinds": "kinds", "charts/shop": "shop"},
        files={"kustomization.yaml": """
helmCharts:
- {name: kinds, releaseName: dbg, debug: true, valuesInline: {enabled: on}}
- {name: shop, releaseName: web}
"""}),
}

# cases built with extra command-line flags (the same flags for both tools): an entry's
# own kubeVersion/apiVersions win over the flags, which apply to entries without them
FLAGS = {
    "crds-api-versions-kube-version": ["--helm-kube-version", "1.29.0", "--helm-api-versions", "example.com/v9"],
    "crds-left-out-by-default": ["--helm-kube-version", "1.28.3", "--helm-api-versions", "monitoring.coreos.com/v1"],
    "helm-debug": ["--helm-debug"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_objects_as_kustomize(name, tmp_path, ref_tools, capsys, monkeypatch):
    case = CASES[name]
    root = lay_out(tmp_path / name, case["files"], case.get("charts"))
    monkeypatch.chdir(root)  # the repository root, as when run from a checkout
    overlay = root / case.get("build", ".")
    flags = FLAGS.get(name, [])
    ours = kcompile_build(capsys, overlay, "--enable-helm", "--helm-command", str(ref_tools.helm), *flags)
    theirs = kustomize_build(ref_tools, overlay, *flags)
    assert ours == theirs
    assert ours, "a case renders something"


def test_every_chart_is_used():
    used = {c for case in CASES.values() for c in case.get("charts", {}).values()}
    assert used >= {"shop", "stack", "migrate", "operator", "kinds"}
