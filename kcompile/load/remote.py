"""Remote resources and components: fetched once by ``kcompile vendor``, pinned in
``kcompile.lock``, read from the pinned copy by every build (offline, reproducible).

Kustomize's URL forms are accepted as written in an overlay:

- git: ``https://host/org/repo//sub/dir?ref=v1``, ``https://host/org/repo.git/sub?ref=…``,
  ``github.com/org/repo/sub?ref=…`` (no scheme: github.com's first two segments are the
  repository), ``git::<url>``, ``ssh://git@host/org/repo.git//sub``, ``git@host:org/repo.git/sub``,
  ``file:///path/to/repo//sub``; query ``ref`` (or ``version``), ``timeout``, ``submodules``;
- a plain file: ``https://host/path/install.yaml`` (``http(s)://`` ending ``.yaml``/``.yml``/``.json``).

``kcompile.lock`` gets a ``remotes`` list beside the charts Helm's vendoring pins::

    remotes:
    - url: https://github.com/org/repo//deploy?ref=v1.2
      commit: 3f1c…            # what the ref resolved to (git); absent for a plain file
      digest: sha256:…         # of the vendored content (every file's path and bytes)
      path: .kcompile/vendor/remotes/<digest prefix>

A build verifies the digest of the copy before using it; a URL without an entry, a
missing copy or a changed one is an error that says to run ``kcompile vendor``.
A remote base is built like a local one, its own directory the root for the files it names.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import KcompileError
from .files import is_remote  # noqa: F401  (re-exported)

VENDOR_DIR = os.path.join(".kcompile", "vendor", "remotes")
_FILE_SUFFIXES = (".yaml", ".yml", ".json")




class RemoteSpec:
    """A parsed remote URL: a git repository (with subdirectory, ref, submodules, timeout)
    or a plain file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ref = ""
        self.subdir = ""
        self.submodules = True
        self.timeout = 27.0  # seconds, Kustomize's default
        self.is_file = False
        raw = url[len("git::"):] if url.startswith("git::") else url
        query = ""
        if "?" in raw:
            raw, query = raw.split("?", 1)
        q = parse_qs(query)
        self.ref = (q.get("ref") or q.get("version") or [""])[0]
        if q.get("submodules"):
            self.submodules = q["submodules"][0].lower() not in ("false", "0", "no")
        if q.get("timeout"):
            t = q["timeout"][0]
            try:
                self.timeout = float(t[:-1]) if t.endswith("s") else float(t)
            except ValueError:
                raise KcompileError(f"remote {url!r}: invalid timeout {t!r}") from None
        if raw.startswith(("http://", "https://")) and raw.endswith(_FILE_SUFFIXES) and "//" not in raw.split("://", 1)[1] \
                and ".git/" not in raw and not url.startswith("git::"):
            self.is_file = True
            self.repo = raw
            return
        if raw.startswith("github.com/"):
            raw = "https://" + raw
        if "//" in raw.split("://", 1)[-1]:  # repo//subdir
            scheme, _, rest = raw.partition("://")
            if not rest:
                scheme, rest = "", raw
            repo_part, _, self.subdir = rest.partition("//")
            self.repo = f"{scheme}://{repo_part}" if scheme else repo_part
        elif ".git/" in raw:
            repo_part, _, self.subdir = raw.partition(".git/")
            self.repo = repo_part + ".git"
        elif raw.startswith("https://github.com/") or raw.startswith("http://github.com/"):
            parts = urlsplit(raw).path.strip("/").split("/")
            self.repo = f"https://github.com/{'/'.join(parts[:2])}"
            self.subdir = "/".join(parts[2:])
        else:
            self.repo = raw
        self.subdir = self.subdir.strip("/")
        if any(p == ".." for p in self.subdir.split("/")):
            raise KcompileError(f"remote {url!r}: the subdirectory may not leave the repository")


def _git(args: list[str], cwd: Path | None, timeout: float, url: str) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true")
    try:
        proc = subprocess.run(["git", "-c", "protocol.file.allow=always", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise KcompileError("remote resources need the git program; install git") from None
    except subprocess.TimeoutExpired:
        raise KcompileError(f"remote {url!r}: git {args[0]} timed out after {timeout:g} s "
                            "(set ?timeout= in the URL)") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise KcompileError(f"remote {url!r}: git {args[0]}: {last}")
    return proc.stdout


def content_digest(directory: Path) -> str:
    """sha256 over every file's relative path and bytes (symlinks by their target text)."""
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(directory).as_posix()
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        h.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + h.hexdigest()


def fetch(spec: RemoteSpec, target_parent: Path) -> tuple[Path, str, str]:
    """Fetch ``spec`` into a new directory under ``target_parent``; (directory, commit, digest)."""
    work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target_parent))
    try:
        commit = ""
        if spec.is_file:
            from urllib.request import urlopen

            try:
                with urlopen(spec.repo, timeout=spec.timeout) as resp:  # noqa: S310 (the user's URL)
                    data = resp.read(64 << 20)
            except OSError as e:
                raise KcompileError(f"remote {spec.url!r}: {getattr(e, 'reason', e)}") from None
            (work / Path(urlsplit(spec.repo).path).name).write_bytes(data)
        else:
            repo = work / "repo"
            _git(["init", "-q", str(repo)], None, spec.timeout, spec.url)
            _git(["remote", "add", "origin", spec.repo], repo, spec.timeout, spec.url)
            _git(["fetch", "-q", "--depth=1", "origin", spec.ref or "HEAD"], repo, spec.timeout, spec.url)
            commit = _git(["rev-parse", "FETCH_HEAD"], repo, spec.timeout, spec.url).strip()
            _git(["checkout", "-q", "--detach", commit], repo, spec.timeout, spec.url)
            if spec.submodules and (repo / ".gitmodules").is_file():
                _git(["submodule", "update", "-q", "--init", "--recursive", "--depth=1"], repo, spec.timeout * 4,
                     spec.url)
            for dot_git in list(repo.rglob(".git")):
                if dot_git.is_dir():
                    shutil.rmtree(dot_git)
                else:
                    dot_git.unlink()
        digest = content_digest(work)
        final = target_parent / digest.split(":", 1)[1][:32]
        if final.exists() and content_digest(final) == digest:
            shutil.rmtree(work)  # the same content is vendored already
        else:
            if final.exists():
                shutil.rmtree(final)  # a copy changed since it was vendored
            os.replace(work, final)
        return final, commit, digest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


class RemoteLock:
    """The ``remotes`` list of ``kcompile.lock`` (the file the chart lock reads and writes:
    ``lock`` is that object, so one save writes both)."""

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        remotes = lock.data.get("remotes") or []
        if not isinstance(remotes, list) or not all(isinstance(r, dict) for r in remotes):
            raise KcompileError("kcompile.lock: 'remotes' must be a list of maps", lock.path)
        lock.data["remotes"] = remotes
        self.remotes = remotes

    def find(self, url: str) -> dict | None:
        return next((r for r in self.remotes if r.get("url") == url), None)

    def pinned(self, url: str, where: tuple) -> Path:
        """The verified copy of ``url`` (its subdirectory for a git base, the file for a plain one)."""
        entry = self.find(url)
        root = self.lock.root
        if entry is None:
            raise KcompileError(f"remote resource {url!r} is not vendored: run 'kcompile vendor' on this overlay "
                                "(builds are offline; it pins the remote in kcompile.lock)", *where)
        copy = root / str(entry.get("path", ""))
        if not copy.is_dir() or content_digest(copy) != entry.get("digest"):
            raise KcompileError(f"remote resource {url!r}: the vendored copy {copy} is missing or does not match "
                                "the digest pinned in kcompile.lock; run 'kcompile vendor' to fetch it again", *where)
        return self._inside(copy, RemoteSpec(url), where)

    def vendor(self, url: str, update: bool, where: tuple, vendor_dir: str | None = None) -> Path:
        entry = self.find(url)
        if entry is not None and not update:
            try:
                return self.pinned(url, where)
            except KcompileError:
                pass  # fetched again
        spec = RemoteSpec(url)
        parent = (Path.cwd() / vendor_dir).resolve() if vendor_dir else self.lock.root / VENDOR_DIR
        if not parent.is_relative_to(self.lock.root.resolve()):
            raise KcompileError(f"--vendor-dir {vendor_dir}: must be inside the repository ({self.lock.root}), "
                                "since kcompile.lock names copies relative to it")
        for d in reversed([parent, *parent.parents]):
            if not d.exists() and d.is_relative_to(self.lock.root.resolve()):
                d.mkdir(mode=0o700)
        copy, commit, digest = fetch(spec, parent)
        new = {"url": url, "digest": digest, "path": copy.relative_to(self.lock.root.resolve()).as_posix()}
        if commit:
            new["commit"] = commit
        if entry is not None:
            entry.clear()
            entry.update(new)
        else:
            self.remotes.append(new)
        self.remotes.sort(key=lambda r: str(r.get("url")))
        self.lock.changed = True
        return self._inside(copy, spec, where)

    @staticmethod
    def _inside(copy: Path, spec: RemoteSpec, where: tuple) -> Path:
        if spec.is_file:
            files = [p for p in copy.iterdir() if p.is_file()]
            return files[0]
        target = copy / "repo" / spec.subdir if spec.subdir else copy / "repo"
        real = target.resolve()
        if not real.is_relative_to(copy.resolve()) or not real.exists():
            raise KcompileError(f"remote {spec.url!r}: {spec.subdir or '.'} is not in the repository", *where)
        return real


def remote_path(b: Any, entry: str, where: tuple) -> Path:
    """Where a build reads remote ``entry`` from: the pinned copy; with
    ``options.fetch_remotes`` (``kcompile vendor``) fetched and pinned first if needed."""
    from ..charts.helmbuild import chart_lock

    lock = chart_lock(b)
    remotes = RemoteLock(lock)
    if b.options.fetch_remotes:
        path = remotes.vendor(entry, b.options.update_remotes(entry), where, b.options.vendor_dir)
        lock.save()
    else:
        path = remotes.pinned(entry, where)
    return path

