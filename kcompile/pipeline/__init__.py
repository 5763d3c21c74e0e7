"""The stages of one build, called in order by :func:`kcompile.build.build`.

- :mod:`.session` — the state one build shares; reading overlay and resource files.
- :mod:`.accumulate` — an overlay's resources, bases and components, recursively.
- :mod:`.generated` — chart instances and ConfigMap/Secret generators of an overlay.
- :mod:`.transformers` — an overlay's transformers, in Kustomize's order.
- :mod:`.subbuilds` — shared bases built once when several overlays are built.

Reads files only through :class:`kcompile.load.files.Files`; the work of each stage
lives in its package (``charts/``, ``generate/``, ``transform/``, ``patch/``).
"""
