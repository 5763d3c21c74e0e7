"""field_location: the file and line that set a field - base file, the newest patch
that sets it (file or inline, strategic merge or JSON 6902), a List item, a chart
template."""

from __future__ import annotations

from pathlib import Path

from kcompile.build import build
from kcompile.validate.locate import field_location
from kcompile.model import Origin, Resource

from .helpers import deployment

CPU = ["spec", "template", "spec", "containers", 0, "resources", "requests", "cpu"]
IMAGE = ["spec", "template", "spec", "containers", 0, "image"]


def overlay(tmp_path: Path, files: dict[str, str]) -> list[Resource]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return build(str(tmp_path)).resources


def where(r: Resource, segments) -> tuple[str, int]:
    file, line = field_location(r, segments)
    return Path(file).name, line


SMP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: web
        resources:
          requests:
            cpu: 900m
"""


def test_base_file_when_no_patch_sets_the_field(tmp_path):
    (r,) = overlay(tmp_path, {"kustomization.yaml": "resources: [d.yaml]\npatches: [{path: p.yaml}]\n",
                              "d.yaml": deployment(), "p.yaml": SMP})
    assert where(r, IMAGE) == ("d.yaml", 16)
    assert where(r, CPU) == ("p.yaml", 11)


def test_newest_patch_wins(tmp_path):
    (r,) = overlay(tmp_path, {"kustomization.yaml": "resources: [d.yaml]\npatches: [{path: p1.yaml}, {path: p2.yaml}]\n",
                              "d.yaml": deployment(), "p1.yaml": SMP, "p2.yaml": "\n\n" + SMP.replace("900m", "1")})
    assert where(r, CPU) == ("p2.yaml", 13)


def test_identity_fields_come_from_the_object_not_the_patch(tmp_path):
    (r,) = overlay(tmp_path, {"kustomization.yaml": "resources: [d.yaml]\npatches: [{path: p.yaml}]\n",
                              "d.yaml": deployment(), "p.yaml": SMP})
    assert where(r, ["metadata", "name"]) == ("d.yaml", 4)


def test_list_items_are_matched_by_name_not_position(tmp_path):
    two = deployment().replace("      containers:\n", "      containers:\n      - name: side\n        image: busybox\n")
    (r,) = overlay(tmp_path, {"kustomization.yaml": "resources: [d.yaml]\npatches: [{path: p.yaml}]\n",
                              "d.yaml": two, "p.yaml": SMP})
    web = next(i for i, c in enumerate(r.body["spec"]["template"]["spec"]["containers"]) if c["name"] == "web")
    assert where(r, CPU[:4] + [web, "image"]) == ("d.yaml", 18)
    assert where(r, CPU[:4] + [web, "resources", "requests", "cpu"]) == ("p.yaml", 11)


def test_inline_strategic_merge_patch_points_into_the_overlay(tmp_path):
    inline = "".join("    " + ln + "\n" for ln in SMP.splitlines())
    (r,) = overlay(tmp_path, {"kustomization.yaml": f"resources: [d.yaml]\npatches:\n- patch: |-\n{inline}",
                              "d.yaml": deployment()})
    assert where(r, CPU) == ("kustomization.yaml", 14)


def test_json6902_file(tmp_path):
    ops = "- op: replace\n  path: /spec/replicas\n  value: 5\n- op: add\n  path: /spec/template/spec/containers/0/resources\n  value:\n    requests: {cpu: 1}\n"
    (r,) = overlay(tmp_path, {
        "kustomization.yaml": "resources: [d.yaml]\npatches:\n- path: ops.yaml\n  target: {kind: Deployment}\n",
        "d.yaml": deployment(), "ops.yaml": ops})
    assert where(r, ["spec", "replicas"]) == ("ops.yaml", 3)
    assert where(r, CPU) == ("ops.yaml", 7)
    assert where(r, IMAGE) == ("d.yaml", 16)


def test_json6902_inline(tmp_path):
    ops = "- op: replace\n  path: /spec/replicas\n  value: 5\n"
    inline = "".join("    " + ln + "\n" for ln in ops.splitlines())
    (r,) = overlay(tmp_path, {
        "kustomization.yaml": f"resources: [d.yaml]\npatches:\n- target: {{kind: Deployment}}\n  patch: |-\n{inline}",
        "d.yaml": deployment()})
    assert where(r, ["spec", "replicas"]) == ("kustomization.yaml", 7)


def test_missing_field_points_at_its_nearest_parent(tmp_path):
    (r,) = overlay(tmp_path, {"kustomization.yaml": "resources: [d.yaml]\n", "d.yaml": deployment()})
    assert where(r, ["spec", "template", "spec", "nodeSelector"]) == ("d.yaml", 13)


def test_item_of_a_list_document(tmp_path):
    text = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n  data:\n    k: v\n")
    rs = overlay(tmp_path, {"kustomization.yaml": "resources: [l.yaml]\nnamePrefix: p-\n", "l.yaml": text})
    b = next(r for r in rs if r.name == "p-b")
    assert where(b, ["data", "k"]) == ("l.yaml", 11)


def test_chart_template_line_by_indentation(tmp_path):
    template = tmp_path / "deployment.yaml.j2"
    template.write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ name }}
  labels: {{ labels | to_json }}
spec:
{% if replicas %}
  replicas: {{ replicas }}
{% endif %}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: {{ name }}
        image: nginx
        resources: {{ resources | to_json }}
""")
    body = {"metadata": {"name": "web", "labels": {}}, "spec": {"replicas": 2, "template": {
        "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    r = Resource(body=body, origin=Origin(str(template), 1, 0, template=True))
    assert field_location(r, ["spec", "template", "metadata", "labels", "app"])[1] == 13
    assert field_location(r, ["metadata", "labels"])[1] == 5  # not the template's labels
    assert field_location(r, ["spec", "replicas"])[1] == 8
    assert field_location(r, CPU)[1] == 18
    assert field_location(r, IMAGE)[1] == 17


def test_no_origin():
    assert field_location(Resource(body={}), ["spec"]) == (None, None)


def _findings(tmp_path: Path, files: dict[str, str]):
    from kcompile.validate import validate

    return [(f.path, Path(f.file).relative_to(tmp_path).as_posix(), f.line)
            for f in validate(overlay(tmp_path, files)) if f.severity in ("error", "warning")]


def test_a_label_an_overlay_adds_points_at_the_overlay(tmp_path):
    """commonLabels and labels entries set keys in a base's objects: a finding on such a
    key points at the overlay line that set it, not at the base object."""
    found = _findings(tmp_path, {
        "base/kustomization.yaml": "resources: [d.yaml]\n", "base/d.yaml": deployment(),
        "kustomization.yaml": "resources: [base]\ncommonLabels:\n  ok: fine\n  team: bad value!\n"
                              "labels:\n- pairs:\n    tier: -x\n"})
    assert found == [
        ("metadata.labels.tier", "kustomization.yaml", 7),
        ("metadata.labels.team", "kustomization.yaml", 4),
        ("spec.template.metadata.labels.team", "kustomization.yaml", 4),
        ("spec.selector.matchLabels.team", "kustomization.yaml", 4),
    ]


def test_a_base_label_keeps_pointing_at_the_base(tmp_path):
    found = _findings(tmp_path, {
        "base/kustomization.yaml": "resources: [d.yaml]\n",
        "base/d.yaml": deployment().replace("  namespace: shop\n", "  namespace: shop\n  labels: {team: bad value!}\n"),
        "kustomization.yaml": "resources: [base]\ncommonLabels:\n  team2: ok\n"})
    assert found == [("metadata.labels.team", "base/d.yaml", 6)]


def test_a_selector_an_overlay_changed_points_at_the_overlay(tmp_path):
    """commonLabels of the Service's kustomization adds `team` to its selector; the pods
    come from a base that does not have it: the warning names the key and the line."""
    found = _findings(tmp_path, {
        "svc/kustomization.yaml": "resources: [s.yaml]\ncommonLabels:\n  team: shop\n",
        "svc/s.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                      "spec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
        "web/kustomization.yaml": "resources: [d.yaml]\n", "web/d.yaml": deployment(),
        "kustomization.yaml": "resources: [svc, web]\n"})
    assert found == [("spec.selector.team", "svc/kustomization.yaml", 3)]


def test_a_workload_selector_an_overlay_broke_points_at_the_overlay(tmp_path):
    """A patch of a higher overlay replaces the pod template's labels after a lower
    overlay's commonLabels went into the selector."""
    found = _findings(tmp_path, {
        "mid/kustomization.yaml": "resources: [d.yaml]\ncommonLabels:\n  team: shop\n", "mid/d.yaml": deployment(),
        "kustomization.yaml": "resources: [mid]\npatches:\n- target: {kind: Deployment}\n  patch: |-\n"
                              "    - {op: replace, path: /spec/template/metadata/labels, value: {app: web}}\n"})
    assert ("spec.selector.matchLabels.team", "mid/kustomization.yaml", 3) in found


def test_a_generated_object_points_at_its_generator_entry(tmp_path):
    found = _findings(tmp_path, {"kustomization.yaml": "resources: []\nsecretGenerator:\n- name: s\n"
                                                     "  type: kubernetes.io/tls\n  literals: [a=b]\n"})
    assert found == [("data.tls.crt", "kustomization.yaml", 3), ("data.tls.key", "kustomization.yaml", 3)]
