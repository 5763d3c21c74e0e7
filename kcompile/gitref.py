"""Reading the repository as it was at a git revision, without touching the work tree.

``kcompile diff --base-ref REF`` builds overlays at REF: the files of that revision are
exported from git's object store (``git archive``) into a temporary directory, which is
built like any checkout. The working tree, the index and HEAD are never changed.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .errors import KcompileError


def _git(repo: Path, *args: str, binary: bool = False) -> bytes | str:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), *args], check=True, capture_output=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        raise KcompileError("git is not installed; --base-ref needs git") from None
    except subprocess.CalledProcessError as e:
        msg = e.stderr.decode("utf-8", "replace").strip().splitlines()
        raise KcompileError(f"git {' '.join(args[:2])} failed: {msg[-1] if msg else e.returncode}") from None
    return out.stdout if binary else out.stdout.decode("utf-8", "replace")


def git_toplevel(path: Path) -> Path:
    """The top of the git work tree holding ``path``."""
    return Path(str(_git(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel")).strip())


def resolve_commit(repo: Path, ref: str) -> str:
    """The full commit id a ref names (an error if it names none)."""
    try:
        return str(_git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")).strip()
    except KcompileError:
        raise KcompileError(f"git revision {ref!r} not found in {repo}") from None


class Snapshot:
    """The repository's files at a revision, in a temporary directory (a context manager)."""

    def __init__(self, repo: Path, ref: str) -> None:
        self.repo = git_toplevel(repo)
        self.ref = ref
        self.commit = resolve_commit(self.repo, ref)
        self.path: Path | None = None

    def __enter__(self) -> "Snapshot":
        data = _git(self.repo, "archive", "--format=tar", self.commit, binary=True)
        self.path = Path(tempfile.mkdtemp(prefix="kcompile-ref-"))
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # type: ignore[arg-type]
            tar.extractall(self.path, filter="data")
        (self.path / ".kcompile").mkdir(exist_ok=True)  # marks the snapshot's repository root
        return self

    def __exit__(self, *exc: object) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def map(self, path: Path) -> Path:
        """Where a working-tree path lies inside the snapshot."""
        assert self.path is not None
        rel = Path(os.path.relpath(path.resolve(), self.repo))
        return self.path / rel
