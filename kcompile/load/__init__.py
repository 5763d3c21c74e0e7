"""Loading what a build reads: overlay files, repository files, a repository at a git revision.

- :mod:`.overlay` — finding and reading the overlay file, checking its fields.
- :mod:`.files` — file access under Kustomize's load restrictor; the repository root.
- :mod:`.gitref` — the repository as it was at a git revision (``diff --base-ref``).

Every path a build reads goes through :class:`.files.Files`. Owns no transformation.
"""
