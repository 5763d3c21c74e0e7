"""Shared pieces of the state commands: environment names, the store, flags."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_state_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", metavar="NAME", help="environment name (default: the overlay path from the repository root)")
    p.add_argument("--state", metavar="PATH|URL",
                   help="state store: an SQLite file or postgresql://user@host:port/db "
                        "(default: $KCOMPILE_STATE or .kcompile/state.db)")


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
    from ..load.files import find_repo_root

    overlay = Path(args.overlay)
    if not overlay.is_dir():
        raise KcompileError(f"overlay directory {args.overlay} does not exist", args.overlay)
    root = find_repo_root(overlay)
    return overlay, root, environment_name(args, overlay, root)


def store_for(args: argparse.Namespace, root: Path):
    """The state store: ``--state``, else ``$KCOMPILE_STATE``, else ``<root>/.kcompile/state.db``
    (a ``postgresql://`` URL for a shared store)."""
    from ..state import default_state_path, open_store

    from ..cache.location import check_untracked

    spec = getattr(args, "state", None) or default_state_path(root)
    check_untracked(spec, "state")  # what a commit planted there is not this machine's history
    store = open_store(spec, root)
    _OPEN.append(store)
    return store


_OPEN: list = []


def close_stores() -> None:
    """Close every store this process opened (a PostgreSQL connection, an SQLite file):
    the CLI calls it when a command ends, however it ends."""
    while _OPEN:
        _OPEN.pop().close()


def warn_without_key(store) -> None:
    """Plans work without the state key, but cannot compare Secret values: say so."""
    if not store.key_available():
        print(f"kcompile: warning: the state key is not here ({store.key_origin()}): Secret values were not "
              "compared (shown unchanged); set $KCOMPILE_STATE_KEY to compare them", file=sys.stderr)


def git_commit(root: Path) -> str | None:
    import subprocess

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


def _kubectl(args: list[str], manifests: str, what: str) -> None:
    """Run ``kubectl ARGS`` with ``manifests`` on stdin; a failure is a user error."""
    import subprocess

    from ..errors import KcompileError

    kubectl = os.environ.get("KCOMPILE_KUBECTL", "kubectl")
    try:
        proc = subprocess.run([kubectl, *args], input=manifests, text=True, capture_output=True)
    except FileNotFoundError:
        raise KcompileError(f"--kubectl: {kubectl} not found on PATH; nothing was recorded") from None
    if proc.returncode != 0:
        raise KcompileError(f"{what} failed; nothing was recorded: {proc.stderr.strip()}")
    if proc.stdout:
        print(proc.stdout, end="")


def record_with_kubectl(store, env: str, objects: list[dict], *, use_kubectl: bool, commit: str | None,
                        message: str, lock_timeout: float):
    """Under the environment lock: plan against the latest revision, then (with
    ``use_kubectl``) `kubectl apply` the objects — with ``--force`` when the plan replaces
    an object in place (immutable field: delete and create) — and `kubectl delete` what the
    plan deletes (and old content-hash names), in reverse apply order; then record.
    Returns (revision, plan). Nothing is recorded if kubectl fails."""
    from ..output.emit import render
    from ..plan import compute_plan
    from ..plan.order import sort_key

    from ..state.store import pause_for_tests

    store.check_writable()  # a read-only store says so, not its lock
    with store.lock(env, lock_timeout):
        pause_for_tests("KCOMPILE_TEST_PAUSE_LOCKED")  # where kubectl runs: under the lock, outside any transaction
        base = store.latest(env)
        plan = compute_plan(base.objects if base else [], store.mask(objects, base.objects if base else []),
                            environment=env,
                            base_revision=base.revision if base else None)
        if use_kubectl:
            in_place = any(c.action == "replace" and not c.replaces for c in plan.changes)
            _kubectl(["apply", *(["--force"] if in_place else []), "-f", "-"], render(objects), "kubectl apply")
            stale = [c.before for c in plan.changes
                     if c.before is not None and (c.action == "delete" or c.replaces)]
            stale.sort(key=lambda o: sort_key("delete", o.get("kind", ""), (o.get("metadata") or {}).get("namespace") or "",
                                              (o.get("metadata") or {}).get("name") or ""))
            if stale:
                refs = [{"apiVersion": o.get("apiVersion"), "kind": o.get("kind"),
                         "metadata": {k: v for k, v in (o.get("metadata") or {}).items() if k in ("name", "namespace")}}
                        for o in stale]
                _kubectl(["delete", "--ignore-not-found", "-f", "-"], render(refs), "kubectl delete")
        rev = store.record(env, objects, commit=commit, message=message)
    return rev, plan
