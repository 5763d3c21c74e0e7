"""Shared pieces of the state commands: environment names, the store, flags."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path


def add_state_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", metavar="NAME", help="environment name (default: the overlay path from the repository root)")
    p.add_argument("--state", metavar="PATH", help="state database (default: $KCOMPILE_STATE or .kcompile/state.db)")


def environment_name(args: argparse.Namespace, overlay: Path, root: Path) -> str:
    """``--env NAME``, else the overlay directory relative to the repository root
    (``overlays/prod``), so the name is the same from any working directory."""
    if getattr(args, "env", None):
        return args.env
    try:
        rel = overlay.resolve().relative_to(root.resolve())
        return rel.as_posix() or "."
    except ValueError:
        return overlay.resolve().as_posix()


def locate(args: argparse.Namespace) -> tuple[Path, Path, str]:
    """(overlay directory, repository root, environment) without building: for commands
    that only read the state (history, rollback)."""
    from ..errors import KcompileError
    from ..files import find_repo_root

    overlay = Path(args.overlay)
    if not overlay.is_dir():
        raise KcompileError(f"overlay directory {args.overlay} does not exist", args.overlay)
    root = find_repo_root(overlay)
    return overlay, root, environment_name(args, overlay, root)


def store_for(args: argparse.Namespace, root: Path):
    """The state store: ``--state``, else ``$KCOMPILE_STATE``, else ``<root>/.kcompile/state.db``."""
    from ..state import default_state_path, open_store

    path = Path(args.state) if getattr(args, "state", None) else default_state_path(root)
    return open_store(path)


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    commit = out.stdout.strip()
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10)
    return commit + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def kubectl_apply(manifests: str) -> None:
    """Pipe manifests to `kubectl apply -f -`; a failure is a user error (nothing recorded)."""
    from ..errors import KcompileError

    kubectl = os.environ.get("KCOMPILE_KUBECTL", "kubectl")
    try:
        proc = subprocess.run([kubectl, "apply", "-f", "-"], input=manifests, text=True, capture_output=True)
    except FileNotFoundError:
        raise KcompileError(f"--kubectl: {kubectl} not found on PATH; nothing was recorded") from None
    if proc.returncode != 0:
        raise KcompileError(f"kubectl apply failed; nothing was recorded: {proc.stderr.strip()}")
    if proc.stdout:
        print(proc.stdout, end="")
