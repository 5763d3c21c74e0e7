"""Field specs: which fields of which kinds hold names, labels, images (data), and walking them.

- :mod:`.specs` — the tables, as Kustomize's builtin field specs.
- :mod:`.path` — applying a spec to an object (lists along the way are walked).

Data and a walker only: the transformers decide what to do at each field.
"""
