"""Transformers: one module per Kustomize transformer, each a function over the list of
objects (``namespace``, ``prefixsuffix``, ``metadata``, ``images``, ``replicas``,
``patches``, ``replacements``, ``vars``, ``nameref``, ``order``), plus the builtin
plugin configurations (``plugins``), where each applies (``config``, from ``fields/``)
and how targets are selected (``selectors``).

A transformer never reads files or knows the overlay file: ``pipeline/transformers.py``
reads the fields and calls them in Kustomize's order.
"""
