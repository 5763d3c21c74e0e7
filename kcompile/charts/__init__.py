"""Charts: Jinja2 templates with layered values, rendered into an overlay's resources.

- :mod:`.values`: merging value layers with provenance, ``--set``, schema validation.
- :mod:`.environment`: the sandboxed Jinja2 environment and its loader.
- :mod:`.filters`: the filters and globals chart authors expect (Sprig semantics).
- :mod:`.render`: rendering a chart instance into :class:`~kcompile.model.Resource` objects.
- :mod:`.masking`: what a rendering error may show of rendered text and values (never a
  Secret's value).
"""
