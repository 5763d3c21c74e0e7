"""Caches: what is kept between runs, where it lives, and what invalidates it.

- :mod:`.parsed` — parsed YAML files, keyed by content.
- :mod:`.builds` — whole overlay builds, keyed by everything a build read.
- :mod:`.entries` — content-verified entries (key, digest, payload) every cache stores.
- :mod:`.location` — where caches live; fingerprints of the code and schemas that wrote them.

Entries are verified by content and by those fingerprints, never trusted by name. Owns no
build logic: callers say what to store and what a result depended on.
"""
