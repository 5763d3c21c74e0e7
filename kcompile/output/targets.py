"""Where ``-o`` may write: never over what the build read, nor over the repository.

A directory target is refused when it is the repository root, the overlay's directory,
or an ancestor of anything the build read (a file, a directory it listed), or lies inside
``.git`` or ``.kcompile``: writing one file per object there could overwrite an input.
A file target is refused when it is one of the build's inputs. Paths are compared after
symlinks are resolved. (Writing into any other directory never removes a file kcompile
did not write there: see :mod:`.directory`.)
"""

from __future__ import annotations

import os
from typing import Iterable

from ..errors import KcompileError, display_path

PRIVATE_DIRS = (".git", ".kcompile")


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def check_output_target(output: str, directory: bool, inputs: Iterable[str], repo_root: str) -> None:
    """Raise a user error if writing ``output`` (``directory``: one file per object in
    it) could overwrite the build's ``inputs`` (real paths) or the repository."""
    real = os.path.realpath(output)
    for part in PRIVATE_DIRS:
        if f"/{part}/" in real + "/":
            raise KcompileError(f"refusing to write -o {output}: it is inside {part}/ (kcompile's or git's own files)")
    if directory:
        if real == os.path.realpath(repo_root):
            raise KcompileError(f"refusing to write -o {output}: it is the repository root "
                                "(use a directory of its own, e.g. -o rendered/)")
        for path in inputs:
            if _under(path, real):
                what = "the overlay's directory" if os.path.isdir(path) and path == real else \
                    f"a directory holding the build's input {display_path(path)}"
                raise KcompileError(f"refusing to write -o {output}: it is {what} "
                                    "(use a directory of its own, e.g. -o rendered/)")
        return
    for path in inputs:
        if path == real:
            raise KcompileError(f"refusing to write -o {output}: it is one of the build's inputs")
