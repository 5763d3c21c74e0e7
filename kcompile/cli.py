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

from .errors import as_user_error

# No `typing` import: it costs ~3 ms on every run, and annotations here are never evaluated.

# Subcommand modules, in the order `kcompile --help` lists them.
COMMANDS = ["init", "build", "validate", "plan", "apply", "history", "rollback", "diff", "edit", "vendor", "state", "schema"]


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal width: left to find it, argparse
    imports shutil (with bz2 and lzma, ~2.5 ms) on every run, help or not."""

    def __init__(self, prog: str, **kwargs) -> None:
        if kwargs.get("width") is None:
            try:
                columns = int(os.environ.get("COLUMNS", "0")) or os.get_terminal_size(sys.__stdout__.fileno()).columns
            except (OSError, ValueError, AttributeError):
                columns = 80
            kwargs["width"] = columns - 2
        super().__init__(prog, **kwargs)


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 like every other error (2 means "changes" with
    --detailed-exitcode, Terraform's convention)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # never returns: exits 1
        self.print_usage(sys.stderr)
        self.exit(1, f"kcompile: error: {message}\n")


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``command``, only that subcommand's module is imported
    (the others' imports cost several milliseconds on every run)."""
    parser = _Parser(
        prog="kcompile",
        description="Declarative Kubernetes deployment compiler.",
    )
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in [command] if command in COMMANDS else COMMANDS:
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


def _command_named(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    argv = list(argv)
    parser = make_parser(_command_named(argv))
    args = parser.parse_args(argv)
    from . import errors

    errors.DEBUG = bool(args.debug)
    try:
        try:
            return int(args.run(args) or 0)
        finally:
            state = sys.modules.get("kcompile.commands._state")  # only if a command opened a store
            if state is not None:
                state.close_stores()
    except KeyboardInterrupt:
        print("kcompile: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as e:  # noqa: BLE001 - every failure ends as one line, never a traceback
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"kcompile: error: {as_user_error(e).format()}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
