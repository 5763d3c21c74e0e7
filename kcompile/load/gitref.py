"""Reading the repository as it was at a git revision, without touching the work tree.

``kcompile diff --base-ref REF`` builds overlays at REF: the files of that revision are
exported from git's object store (``git archive``) into a temporary directory, which is
built like any checkout. The working tree, the index and HEAD are never changed.

Only what the overlays can read is exported: their directories, and every directory their
overlay files name (bases, components, charts), followed from overlay file to overlay file
in git's objects. Under the default load restrictor an overlay reads files only below its
own directory, so this is everything; a repository's other files (application source,
committed rendered manifests) are never written out. With ``--load-restrictor none``, a
symlink in the tree, or an overlay file that cannot be read, the whole revision is exported.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ..errors import KcompileError


def _git(repo: Path, *args: str, binary: bool = False, stdin: bytes | None = None) -> bytes | str:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), *args], check=True, capture_output=True, input=stdin,
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
    """The repository's files at a revision, in a temporary directory (a context manager).

    With ``overlays`` (paths in the working tree), only what building them at the revision
    can read is exported; ``everything`` exports the whole tree."""

    def __init__(self, repo: Path, ref: str, overlays: list[Path] | None = None, everything: bool = False) -> None:
        self.repo = git_toplevel(repo)
        self.ref = ref
        self.commit = resolve_commit(self.repo, ref)
        self.path: Path | None = None
        self.overlays = overlays
        self.everything = everything or overlays is None
        self.exported: list[str] | None = None  # the directories exported (None: all)

    def __enter__(self) -> "Snapshot":
        paths = None if self.everything else needed_directories(
            self.repo, self.commit, [self._rel(p) for p in self.overlays or []])
        self.exported = paths
        if paths == []:
            data = b""
        else:
            literal = [f":(literal){p}" for p in paths or []]  # a directory may be named like a glob
            data = _git(self.repo, "archive", "--format=tar", self.commit, *(["--", *literal] if paths else []),
                        binary=True)
        self.path = Path(tempfile.mkdtemp(prefix="kcompile-ref-"))
        try:  # removed on every way out, an interrupt included (no __exit__ if this raises)
            if data:
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # type: ignore[arg-type]
                    try:
                        tar.extractall(self.path, filter="data")
                    except tarfile.FilterError as e:
                        raise self._refused(e) from None
            (self.path / ".kcompile").mkdir(exist_ok=True)  # marks the snapshot's repository root
        except BaseException:
            self.__exit__()
            raise
        return self

    def _refused(self, e: "tarfile.FilterError") -> KcompileError:
        """A file git holds at the revision that the export refuses to write (a symlink
        leading out of the exported tree, a device), named by its repository path."""
        member = e.tarinfo
        what = {tarfile.AbsoluteLinkError: f"a symlink to an absolute path ({member.linkname})",
                tarfile.LinkOutsideDestinationError: f"a symlink leading out of the repository ({member.linkname})",
                tarfile.SpecialFileError: "not a regular file, directory or symlink"}.get(type(e), str(e))
        shown = os.path.relpath(self.repo / member.name)
        return KcompileError(f"{what} at {self.ref}: the revision is built from an exported copy, where such a "
                             "file cannot be written", shown)

    def repository_path(self, path: str) -> str:
        """A path inside the export as the same path in the repository."""
        assert self.path is not None
        for export in {str(self.path), os.path.realpath(self.path)}:
            if path == export or path.startswith(export + os.sep):
                return str(self.repo) + path[len(export):]
        return path

    def repository_text(self, text: str) -> str:
        """``text`` (a message) with every path into the export, absolute or as shown
        relative to the working directory, made the repository's path as shown."""
        import re

        from ..errors import display_path

        assert self.path is not None
        exports = {str(self.path), os.path.realpath(self.path)}
        exports |= {display_path(e) for e in exports}
        pattern = "|".join(re.escape(e) for e in sorted(exports, key=len, reverse=True))
        return re.sub(rf"(?<![\w./-])(?:{pattern})((?:/[^\s:'\"()]*)?)",
                      lambda m: display_path(str(self.repo) + m.group(1)), text)

    def _rel(self, path: Path) -> str:
        return Path(os.path.relpath(path.resolve(), self.repo)).as_posix()

    def __exit__(self, *exc: object) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None

    def map(self, path: Path) -> Path:
        """Where a working-tree path lies inside the snapshot."""
        assert self.path is not None
        return self.path / self._rel(path)


def needed_directories(repo: Path, commit: str, overlays: list[str]) -> list[str] | None:
    """The directories (relative, POSIX) that building ``overlays`` at ``commit`` can read,
    outermost only; None when that cannot be told from the tree (then export everything)."""
    from .overlay import OVERLAY_FILES

    listing = _git(repo, "ls-tree", "-r", "-t", "-z", "--full-tree", commit, binary=True)
    dirs: set[str] = set()
    overlay_files: dict[str, list[str]] = {}  # directory -> blob ids of its overlay files
    for record in bytes(listing).split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        if mode == "120000":
            return None  # a symlink: where it leads is not plain path arithmetic
        if kind == "tree":
            dirs.add(path)
        elif os.path.basename(path) in OVERLAY_FILES:
            overlay_files.setdefault(os.path.dirname(path), []).append(blob)
    texts = _read_blobs(repo, [blob for blobs in overlay_files.values() for blob in blobs])
    needed: set[str] = set()
    queue = [o for o in overlays if o in dirs or o == "."]
    while queue:
        d = queue.pop()
        if d in needed:
            continue
        needed.add(d)
        for blob in overlay_files.get("" if d == "." else d, []):
            referenced = _referenced_directories(texts.get(blob))
            if referenced is None:
                return None
            for entry in referenced:
                target = os.path.normpath(os.path.join(d, entry)).replace(os.sep, "/")
                if target == ".." or target.startswith("../"):
                    continue  # outside the repository: the build reports it
                if target in dirs or target == ".":
                    queue.append(target)
    if "." in needed:
        return None
    # Outermost only: a directory inside another exported one comes with it.
    return sorted(d for d in needed if not any(a in needed for a in _ancestors(d)))


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:k]) for k in range(1, len(parts))]


def _read_blobs(repo: Path, blobs: list[str]) -> dict[str, bytes]:
    """Blob contents by id, in one `git cat-file --batch`."""
    if not blobs:
        return {}
    try:
        out = bytes(_git(repo, "cat-file", "--batch", binary=True, stdin="".join(b + "\n" for b in blobs).encode()))
    except KcompileError:
        return {}  # the overlay files count as unreadable: everything is exported
    at, texts = 0, {}
    for blob in blobs:
        header_end = out.index(b"\n", at)
        fields = out[at:header_end].split()
        if len(fields) < 3:
            at = header_end + 1
            continue
        size = int(fields[2])
        texts[blob] = out[header_end + 1:header_end + 1 + size]
        at = header_end + 1 + size + 1
    return texts


def _referenced_directories(data: bytes | None) -> list[str] | None:
    """The paths an overlay file names that may be directories (resources, bases,
    components, charts); None if it cannot be read."""
    from ..yaml.read import load_documents

    if data is None:
        return None
    try:
        docs = load_documents(data.decode("utf-8"), "overlay")
    except (KcompileError, UnicodeDecodeError):
        return None
    doc = docs[0].data if len(docs) == 1 else None
    if not isinstance(doc, dict):
        return None
    found = []
    def listed(key: str) -> list:
        value = doc.get(key)
        return value if isinstance(value, list) else []  # another shape: the build reports it

    for key in ("resources", "bases", "components"):
        for entry in listed(key):
            if isinstance(entry, str):
                found.append(entry)
    for entry in listed("charts"):
        if isinstance(entry, dict) and isinstance(entry.get("chart"), str):
            found.append(entry["chart"])
    return found
