"""Resources from YAML text, with origins in real files (so locations can be checked)."""

from __future__ import annotations

from pathlib import Path

from kcompile.yaml.read import load_documents
from kcompile.model import Origin, Resource


def load(tmp_path: Path, text: str, name: str = "r.yaml") -> list[Resource]:
    """Write ``text`` to ``tmp_path/name`` and load every document as a Resource."""
    f = tmp_path / name
    f.write_text(text)
    return [Resource(body=d.data, origin=Origin(str(f), d.line, d.index)) for d in load_documents(text, str(f))]


def findings_of(resources: list[Resource], **kw):
    from kcompile.validate import validate

    return validate(resources, **kw)


def messages(findings, severity: str | None = None) -> list[str]:
    return [f.message for f in findings if severity is None or f.severity == severity]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        resources:
          requests: {{cpu: {cpu}, memory: {memory}}}
          limits: {{cpu: {cpu_limit}, memory: {memory_limit}}}
"""


def deployment(replicas: int = 2, cpu: str = "100m", memory: str = "128Mi", cpu_limit: str = "200m",
               memory_limit: str = "256Mi") -> str:
    return DEPLOYMENT.format(replicas=replicas, cpu=cpu, memory=memory, cpu_limit=cpu_limit,
                             memory_limit=memory_limit)


def errors(findings):
    return [f for f in findings if f.severity == "error"]


def only(findings, text):
    """The first finding whose message holds ``text`` (fails, listing them all, if none does)."""
    got = [f for f in findings if text in f.message]
    assert got, f"no finding with {text!r}: {[f.message for f in findings]}"
    return got[0]
