"""`kcompile init`: the files of a new kcompile repository (a chart, a base, dev and prod
overlays, .gitignore, the editor schema), written only where nothing exists yet."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import KcompileError

SCHEMA_COMMENT = "# yaml-language-server: $schema=../../.kcompile.schema.json\n"

FILES: dict[str, str] = {
    ".gitignore": ".kcompile/\n",
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: \"1.0\"\n",
    "charts/web/values.yaml": (
        "image: nginx:1.27\nreplicas: 1\nport: 8080\nresources:\n"
        "  requests: {cpu: 50m, memory: 64Mi}\n  limits: {cpu: 200m, memory: 128Mi}\n"),
    "charts/web/templates/_helpers.j2": (
        "{% macro labels(release) -%}\napp.kubernetes.io/name: {{ release.name }}\n"
        "app.kubernetes.io/managed-by: kcompile\n{%- endmacro %}\n"),
    "charts/web/templates/deployment.yaml.j2": (
        "{% import \"_helpers.j2\" as h %}\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ release.name }}\n"
        "  labels:{{ h.labels(release) | nindent(4) }}\nspec:\n  replicas: {{ values.replicas }}\n"
        "  selector:\n    matchLabels:\n      app.kubernetes.io/name: {{ release.name }}\n"
        "  template:\n    metadata:\n      labels:{{ h.labels(release) | nindent(8) }}\n"
        "    spec:\n      containers:\n      - name: web\n        image: {{ values.image }}\n"
        "        ports:\n        - containerPort: {{ values.port }}\n"
        "        resources: {{ values.resources | to_json }}\n"),
    "charts/web/templates/service.yaml.j2": (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ release.name }}\nspec:\n"
        "  selector:\n    app.kubernetes.io/name: {{ release.name }}\n"
        "  ports:\n  - port: 80\n    targetPort: {{ values.port }}\n"),
    "overlays/base/kcompile.yaml": SCHEMA_COMMENT + (
        "charts:\n- chart: ../../charts/web\n  release: web\n"
        "configMapGenerator:\n- name: web-settings\n  literals: [LOG_LEVEL=info]\n"),
    "overlays/dev/kcompile.yaml": SCHEMA_COMMENT + (
        "resources:\n- ../base\nnamespace: dev\nchartValues:\n  web:\n    replicas: 1\n"),
    "overlays/prod/kcompile.yaml": SCHEMA_COMMENT + (
        "resources:\n- ../base\nnamespace: prod\ncommonLabels:\n  env: prod\n"
        "chartValues:\n  web:\n    replicas: 3\nimages:\n- name: nginx\n  newTag: \"1.27.2\"\n"),
}


def init(directory: str | os.PathLike[str]) -> list[str]:
    """Write the scaffold into ``directory``; the relative paths written. Nothing is
    written if any of the files exists already."""
    from ..commands.schema import schema_text

    root = Path(directory)
    files = dict(FILES, **{".kcompile.schema.json": schema_text()})
    existing = [rel for rel in files if os.path.lexists(root / rel)]
    if existing:
        raise KcompileError(f"{root / existing[0]} exists already; kcompile init writes only into a new "
                            "repository (nothing was written)")
    for rel in files:
        for parent in (root / rel).parents:  # up to the root: a file where a directory goes
            if os.path.lexists(parent) and not parent.is_dir():
                raise KcompileError(f"{parent} exists and is not a directory; kcompile init writes only into a "
                                    "new repository (nothing was written)")
            if parent == root:
                break
    for rel, text in files.items():
        path = root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise KcompileError(f"cannot write {path}: {e.strerror or e}") from None
    return sorted(files)
