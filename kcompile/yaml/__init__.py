"""YAML for JSON-shaped data: reading (a fast path and the reference path) and writing.

- :mod:`.read` — the entry points (``load_documents``, ``load_one``); picks the reader.
- :mod:`.fast` — yaml-rs, used only where it provably reads a text as the reference does.
- :mod:`.libyaml` — the reference reader: libyaml with go-yaml v3's scalar rules.
- :mod:`.scalars` — what a plain scalar means, shared by both readers and the writer.
- :mod:`.write` — the emitter (``dump``, ``dump_all``, ``dump_json``).

Owns text <-> data only: knows nothing of files, overlays, resources or caches.
"""
