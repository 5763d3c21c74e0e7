"""kcompile: a declarative Kubernetes deployment compiler.

Library entry points (all usable without the CLI):

- :func:`kcompile.build.build` — build an overlay into a list of resources.
- :mod:`kcompile.yaml.read` and :mod:`kcompile.yaml.write` — YAML in and out.
"""

__version__ = "0.1.0"
