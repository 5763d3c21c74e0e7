"""Building several overlays at once: parallel processes, one outcome per overlay.

- :mod:`.jobs` — a build job: the build cache first, else a build in a worker.
- :mod:`.pool` — the worker processes (fork pool on Linux, spawn elsewhere, or inline).
- :mod:`.outcome` — what one overlay produced, and writing outcomes in order.
- :mod:`.progress` — the terminal progress bar.

Owns scheduling and collection only: what a build does is :mod:`kcompile.build`.
"""
