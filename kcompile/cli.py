"""Command-line interface: parses arguments and calls library functions, nothing else.

argparse rather than click: click costs ~25 ms of import time on every run, and
`kcompile build` on a small overlay must start faster than `kubectl kustomize`
(docs/decisions.md). Each subcommand lives in ``kcompile/commands/<name>.py`` and
exposes ``add_parser(subparsers)``; its parser's ``run`` default returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn, Sequence

from .errors import KcompileError

# Subcommand modules, in the order `kcompile --help` lists them.
COMMANDS = ["build", "validate", "plan", "apply", "history", "rollback", "diff"]


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 like every other error (2 means "changes" with
    --detailed-exitcode, Terraform's convention)."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(1, f"kcompile: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kcompile",
        description="Declarative Kubernetes deployment compiler.",
    )
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"kcompile.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"kcompile.commands.{name}":
                continue  # not built yet
            raise
        module.add_parser(sub)
    return parser


def _version() -> str:
    from . import __version__

    return f"kcompile {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KcompileError as e:
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"kcompile: error: {e.format()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kcompile: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
