"""Patch engines: strategic merge (``strategic``, schema-driven) and JSON 6902
(``json6902``), and the merge metadata they read from the Kubernetes schemas
(``schema``: list merge keys and strategies, cached as an index).

Engines work on JSON-shaped data only: no files, no overlay, no selection of targets
(``transform/patches.py`` does that).
"""
