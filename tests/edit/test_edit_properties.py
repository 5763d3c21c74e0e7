"""`kcompile edit` properties: `set image` on generated files changes exactly the lines of
the entry it sets; after an edit, the real `kubectl kustomize` builds what the edit meant."""

from __future__ import annotations

import difflib
import subprocess

import yaml as pyyaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcompile.cli import main

names = st.sampled_from(["nginx", "redis", "app", "registry.example/team/api", "busybox", "web-1"])
tags = st.from_regex(r"[a-z0-9][a-z0-9.]{0,6}", fullmatch=True)


@st.composite
def overlay_files(draw):
    indent = draw(st.sampled_from([0, 2]))  # '- ' under the key, or indented by two
    pad = " " * indent
    entries = draw(st.lists(st.tuples(names, tags, st.booleans()), min_size=1, max_size=5, unique_by=lambda e: e[0]))
    lines = ["# generated overlay", "resources:", f"{pad}- app.yaml   # the app"]
    if draw(st.booleans()):
        lines.append("namespace: prod")
    lines.append("images:")
    for name, tag, comment in entries:
        lines.append(f"{pad}- name: {name}" + ("  # why" if comment else ""))
        q = draw(st.sampled_from(["", "'", '"']))
        lines.append(f"{pad}  newTag: {q}{tag}{q}")
    if draw(st.booleans()):
        lines += ["", "commonLabels: {app: web}  # flow"]
    return "\n".join(lines) + "\n", [e[0] for e in entries]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overlay_files(), st.data())
def test_set_image_changes_only_its_entry(tmp_path_factory, generated, data):
    text, present = generated
    d = tmp_path_factory.mktemp("ov")
    (d / "kustomization.yaml").write_text(text)
    name = data.draw(st.sampled_from(present + ["brand-new"]))
    tag = data.draw(tags)
    assert main(["edit", str(d), "set", "image", f"{name}:{tag}"]) == 0
    after = (d / "kustomization.yaml").read_text()
    changed = [ln for ln in difflib.ndiff(text.splitlines(), after.splitlines()) if ln[:2] in ("- ", "+ ")]
    if name in present:
        assert [ln[:2] for ln in changed] in (["- ", "+ "], []), changed  # one newTag line replaced
        if changed:
            assert "newTag:" in changed[0] and "newTag:" in changed[1]
    else:
        assert all(ln.startswith("+ ") for ln in changed) and len(changed) == 2
    images = {e["name"]: e for e in pyyaml.safe_load(after)["images"]}
    assert str(images[name]["newTag"]) == tag
    assert set(images) == set(present) | {name}


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.21}
"""


def test_kustomize_builds_what_the_edits_meant(tmp_path, ref_tools, capsys):
    d = tmp_path / "ov"
    d.mkdir()
    (d / "deploy.yaml").write_text(DEPLOY)
    (d / "kustomization.yaml").write_text("# overlay\nresources:\n- deploy.yaml\n")
    for args in (["set", "image", "nginx=registry.example/nginx:1.25"], ["set", "replicas", "web=4"],
                 ["set", "namespace", "prod"], ["set", "nameprefix", "p-"], ["add", "label", "env:prod"],
                 ["add", "annotation", "owner:team-a"],
                 ["add", "configmap", "cfg", "--from-literal=MODE=fast"]):
        assert main(["edit", str(d), *args]) == 0, capsys.readouterr().err
    out = subprocess.run([str(ref_tools.kubectl), "kustomize", str(d)], capture_output=True, text=True, check=True).stdout
    docs = {o["kind"]: o for o in pyyaml.safe_load_all(out)}
    dep = docs["Deployment"]
    assert dep["metadata"]["name"] == "p-web" and dep["metadata"]["namespace"] == "prod"
    assert dep["spec"]["replicas"] == 4
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/nginx:1.25"
    assert dep["metadata"]["labels"]["env"] == "prod" and dep["spec"]["selector"]["matchLabels"]["env"] == "prod"
    assert dep["metadata"]["annotations"]["owner"] == "team-a"
    assert docs["ConfigMap"]["data"] == {"MODE": "fast"}
    assert main(["build", str(d), "--no-validate", "--no-cache"]) == 0
    ours = capsys.readouterr().out
    assert list(pyyaml.safe_load_all(ours)) == list(pyyaml.safe_load_all(out))
    assert (d / "kustomization.yaml").read_text().startswith("# overlay\nresources:\n- deploy.yaml\n")
