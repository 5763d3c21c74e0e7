"""Finding the helm binary, and identifying it for cache keys without running it.

Kept apart from :mod:`.helm` with nothing but ``os`` imported: the build cache's key
includes the helm binary's identity, and a cached run imports little.
"""

from __future__ import annotations

import os

from ..errors import KcompileError

INSTALL_HINT = (
    "install Helm v3 or v4 (https://helm.sh/docs/intro/install/) and put it on PATH, "
    "or pass --helm-command PATH"
)


def find_helm(command: str | None, where: tuple = (None, None)) -> str:
    """The helm executable ``command`` names (a path, or a name looked up on PATH)."""
    command = command or "helm"
    if os.sep in command:
        if os.path.isfile(command) and os.access(command, os.X_OK):
            return os.path.abspath(command)
        raise KcompileError(f"helm command {command!r} is not an executable file; {INSTALL_HINT}", *where)
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(d or ".", command)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise KcompileError(f"rendering a Helm chart needs the helm binary, but {command!r} is not on PATH: "
                        f"{INSTALL_HINT}", *where)


def helm_identity(command: str | None) -> str:
    """The helm binary's real path, size and mtime ('' when there is none)."""
    try:
        path = os.path.realpath(find_helm(command))
        st = os.stat(path)
    except (KcompileError, OSError):
        return ""
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"
