"""Helm charts from a chart repository: vendored once, pinned in ``kcompile.lock``.

Builds never fetch. ``kcompile vendor`` pulls each chart a build names with ``repo:``
(``helm pull``, so ``https://`` repositories with an ``index.yaml`` and ``oci://``
registries both work) into ``.kcompile/vendor/charts/`` of the repository root and
records it in ``kcompile.lock`` beside ``.kcompile/``::

    charts:
    - repo: https://charts.example.com
      name: podinfo
      version: 6.5.0            # as the overlay asks ('' when it names none)
      resolved: 6.5.0           # the version fetched
      digest: sha256:4c1f...    # of the chart archive
      path: .kcompile/vendor/charts/4c1f.../podinfo-6.5.0.tgz

A build renders the archive at ``path`` after checking its digest; a chart without an
entry, a missing archive or a digest mismatch is an error that says to run
``kcompile vendor``. The lock is YAML with sorted keys; remote bases add their own
top-level list beside ``charts``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from ..errors import KcompileError

LOCK_FILE = "kcompile.lock"
VENDOR_DIR = os.path.join(".kcompile", "vendor", "charts")


class ChartLock:
    """``kcompile.lock`` of one repository root: read once, written back after vendoring."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / LOCK_FILE
        self.data: dict[str, Any] = {}
        self.changed = False
        if self.path.is_file():
            from ..yaml.read import load_one

            data = load_one(self.path.read_text(encoding="utf-8"), str(self.path))
            if data is not None and not isinstance(data, dict):
                raise KcompileError("kcompile.lock must be a YAML map", self.path, 1)
            self.data = data or {}
        charts = self.data.get("charts") or []
        if not isinstance(charts, list) or not all(isinstance(c, dict) for c in charts):
            raise KcompileError("kcompile.lock: 'charts' must be a list of maps", self.path)
        self.charts: list[dict[str, Any]] = charts

    def find(self, repo: str, name: str, version: str) -> dict[str, Any] | None:
        for c in self.charts:
            if (str(c.get("repo", "")), str(c.get("name", "")), str(c.get("version", ""))) == (
                    repo, name, version):
                return c
        return None

    def chart(self, repo: str, name: str, version: str, where: tuple) -> Path:
        """The verified archive of a pinned chart (see the module docstring)."""
        what = f"chart {name!r}{f' {version}' if version else ''} from {repo}"
        entry = self.find(repo, name, version)
        if entry is None:
            raise KcompileError(f"{what} is not vendored: run 'kcompile vendor' on this overlay "
                                f"(builds are offline; it pins the chart in {LOCK_FILE})", *where)
        rel = str(entry.get("path", ""))
        path = self.root / rel
        if ".." in Path(rel).parts or not rel.startswith(VENDOR_DIR + os.sep):
            raise KcompileError(f"{what}: kcompile.lock names {rel!r}, which is not under {VENDOR_DIR}",
                                self.path)
        try:
            data = path.read_bytes()
        except OSError:
            raise KcompileError(f"{what} is pinned in {self.path} but {path} is missing: "
                                "run 'kcompile vendor' to fetch it again", *where) from None
        if archive_digest(data) != entry.get("digest"):
            raise KcompileError(f"{what}: {path} does not match the digest pinned in {self.path} "
                                "(changed since it was vendored); run 'kcompile vendor' to fetch it again",
                                *where)
        return path

    def vendor(self, repo: str, name: str, version: str, helm: str, where: tuple,
               plain_http: bool = False) -> Path:
        """Fetch a chart with ``helm pull`` unless the lock pins a present, intact copy
        (``plain_http``: an ``oci://`` registry over plain HTTP)."""
        entry = self.find(repo, name, version)
        if entry is not None:
            try:
                return self.chart(repo, name, version, where)
            except KcompileError:
                pass  # fetched again below
        from ..cache.location import state_dir

        state_dir(self.root)  # refuses a .kcompile that is a symlink or tracked by git
        filename, data = pull_chart(helm, repo, name, version, where, plain_http)
        digest = archive_digest(data)
        target_dir = self.root / VENDOR_DIR / digest.split(":", 1)[1][:32]
        target = target_dir / filename
        _write_private(target, data)
        resolved = filename[len(name) + 1:-len(".tgz")] if filename.startswith(name + "-") else ""
        new = {"repo": repo, "name": name, "version": version, "resolved": resolved, "digest": digest,
               "path": str(target.relative_to(self.root))}
        if entry is not None:
            entry.clear()
            entry.update(new)
        else:
            self.charts.append(new)
        self.changed = True
        return target

    def save(self) -> None:
        if not self.changed:
            return
        from ..output.emit import write_atomic
        from ..yaml.write import dump

        self.data["charts"] = sorted(self.charts, key=lambda c: (str(c.get("repo")), str(c.get("name")),
                                                                 str(c.get("version"))))
        header = "# Pinned remote charts, written by 'kcompile vendor'. Commit this file.\n"
        write_atomic(self.path, header + dump(self.data))
        self.changed = False


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically under ``.kcompile`` (directories 0700, files 0600: nothing there is
    readable by other users)."""
    for d in reversed(path.parents):
        if not d.exists() and len(d.parts) > len(Path(path.anchor).parts):
            d.mkdir(mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def archive_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pull_chart(helm: str, repo: str, name: str, version: str, where: tuple,
               plain_http: bool = False) -> tuple[str, bytes]:
    """``helm pull`` in a temporary directory: the archive's file name and content. An
    ``oci://`` chart is ``REPO/NAME`` of the registry (``helm push`` puts it there)."""
    import tempfile

    from .helm import HelmFailed, _run, helm_environment

    if repo.startswith("oci://"):
        args = ["pull", repo.rstrip("/") + "/" + name] + (["--plain-http"] if plain_http else [])
    else:
        args = ["pull", "--repo", repo, name]
    if version:
        args += ["--version", version]
    with tempfile.TemporaryDirectory(prefix="kcompile-pull-") as home:
        dest = os.path.join(home, "out")
        os.mkdir(dest)
        try:
            _run(helm, args + ["--destination", dest], helm_environment(home), where, cwd=home)
        except HelmFailed as e:
            text = " ".join(ln.strip() for ln in e.stderr.strip().splitlines() if ln.strip())
            raise KcompileError(f"cannot fetch chart {name!r} from {repo}: {text.removeprefix('Error: ')}",
                                *where) from None
        found = sorted(Path(dest).glob("*.tgz"))
        if len(found) != 1:
            raise KcompileError(f"helm pull of chart {name!r} from {repo} gave no chart archive", *where)
        return found[0].name, found[0].read_bytes()


def archive_values(archive: Path) -> bytes:
    """The ``values.yaml`` of a packaged chart (b'' when it has none)."""
    return archive_file(archive, "values.yaml")


def archive_file(archive: Path, name: str) -> bytes:
    """A top-level file of a packaged chart (``<chart>/<name>``; b'' when it has none)."""
    import tarfile

    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == name and member.isfile():
                    f = tar.extractfile(member)
                    return f.read() if f is not None else b""
    except (OSError, tarfile.TarError) as e:
        raise KcompileError(f"cannot read chart archive {archive}: {e}") from None
    return b""


def vendored_charts_at(snapshot: Any) -> None:
    """Make the charts pinned at a git commit buildable in its snapshot (``kcompile diff
    --base-ref``): the commit's ``kcompile.lock``, and the working tree's vendor directory
    (git-ignored, so not in the snapshot), where archives are kept by digest and vendoring
    never removes one. A build there still checks each archive's digest."""
    from ..load.gitref import _git

    try:
        data = _git(snapshot.repo, "show", f"{snapshot.commit}:{LOCK_FILE}", binary=True)
    except KcompileError:  # no lock at that commit: nothing pinned there
        return
    (snapshot.path / LOCK_FILE).write_bytes(data)
    vendor = snapshot.repo / ".kcompile" / "vendor"
    link = snapshot.path / ".kcompile" / "vendor"
    if vendor.is_dir() and not link.exists():
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(vendor, target_is_directory=True)
