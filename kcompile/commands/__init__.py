"""The CLI's subcommands: one module per command, each ``add_arguments(parser)`` and
``run(args) -> exit code``; modules starting with ``_`` hold what several share.

A command parses nothing itself (``cli.py`` owns argparse) and computes nothing itself:
it calls the library (``build``, ``validate``, ``plan``, ``report``, ``state``) and
prints. Each is imported only when its command runs.
"""
