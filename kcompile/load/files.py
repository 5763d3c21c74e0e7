"""Reading the repository's files, under Kustomize's load restrictor.

With the default restrictor (``rootOnly``), a file an overlay names (resource, patch,
generator source, values file) must lie inside that overlay's directory, as Kustomize
requires, and a directory it names (a base, a component, a chart) must lie inside the
repository. ``--load-restrictor none`` lifts both. Symlinks are resolved first.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..errors import KcompileError, display_path

RESTRICT_ROOT_ONLY = "rootOnly"
RESTRICT_NONE = "none"


def find_repo_root(start: Path) -> Path:
    """The nearest ancestor holding ``.git`` or ``.kcompile``; else the current
    directory if ``start`` is below it; else ``start`` itself."""
    from ..cache.location import repo_root_of

    return Path(repo_root_of(str(start)))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class Files:
    """File access for one build: restrictor checks and a read cache."""

    def __init__(self, repo_root: Path, load_restrictor: str = RESTRICT_ROOT_ONLY) -> None:
        if load_restrictor not in (RESTRICT_ROOT_ONLY, RESTRICT_NONE):
            raise KcompileError(
                f"unknown load restrictor {load_restrictor!r} (use {RESTRICT_ROOT_ONLY!r} or {RESTRICT_NONE!r})"
            )
        self.repo_root = repo_root.resolve()
        self.restrict = load_restrictor == RESTRICT_ROOT_ONLY
        self._text: dict[Path, str] = {}
        # What the build read, for the build-output cache: files, and directories whose
        # listing mattered (overlay-file probes, plain manifest directories, charts).
        self.read: set[Path] = set()
        self.listed: set[Path] = set()
        # Sub-builds being recorded (pipeline.subbuilds.SubBuild): each hears of every file read and
        # every directory listed while it is on this stack.
        self.recorders: list = []
        self.seen: dict[str, tuple[int, int, bytes]] = {}  # path -> (size, mtime, content) as read
        # Real paths of directories, resolved once per build: Path.resolve walks every
        # component with lstat, and a build resolves hundreds of files in a few directories.
        self._real_dirs: dict[Path, Path] = {}

    def _real_dir(self, directory: Path, where: tuple = (None, None)) -> Path:
        real = self._real_dirs.get(directory)
        if real is None:
            real = self._real_dirs[directory] = real_path(directory, where)
        return real

    def resolve(self, base_dir: Path, rel: str, where: tuple[str | os.PathLike | None, int | None]) -> Path:
        """An absolute path for ``rel`` (relative to ``base_dir``); no checks."""
        if not isinstance(rel, str) or not rel:
            raise KcompileError(f"expected a path, found {rel!r}", *where)
        if "://" in rel or rel.startswith(("git@", "github.com/")):
            raise KcompileError(
                f"remote resource {rel!r}: kcompile builds offline from the repository only", *where
            )
        path = base_dir / rel
        name = path.name
        if not name or name in (".", "..") or rel.endswith("/") or os.path.islink(path):
            return real_path(path, where)
        return self._real_dir(path.parent, where) / name

    def check_file(self, path: Path, overlay_dir: Path, where) -> None:
        if not self.restrict:
            return
        root = self._real_dir(overlay_dir)
        if not _inside(path, root):
            raise KcompileError(
                f"security: file {path} is not in or below the overlay directory {root} "
                "(Kustomize's load restrictor; '--load-restrictor none' lifts it)",
                *where,
            )

    def check_dir(self, path: Path, where) -> None:
        if not self.restrict:
            return
        if not _inside(path, self.repo_root):
            raise KcompileError(
                f"security: directory {path} is outside the repository {self.repo_root} "
                "('--load-restrictor none' lifts this)",
                *where,
            )

    def note_read(self, path: Path) -> None:
        self.read.add(path)
        for rec in self.recorders:
            rec.read.add(path)

    def note_listed(self, directory: Path) -> None:
        """A directory whose listing the build depends on (an input, like a file)."""
        self.listed.add(directory)
        for rec in self.recorders:
            rec.listed.add(directory)

    def read_text(self, path: Path, where) -> str:
        cached = self._text.get(path)
        if cached is not None and self.recorders:
            self.note_read(path)
        if cached is None:
            try:
                cached = self.read_bytes(path, where).decode("utf-8")
            except UnicodeDecodeError:
                raise KcompileError(f"file is not UTF-8 text: {path}", *where) from None
            self._text[path] = cached
        return cached

    def read_bytes(self, path: Path, where) -> bytes:
        data, st = read_regular_file(path, where)
        self.note_read(path)
        # Recorded as read, for the build cache: it need not read the file again.
        self.seen[str(path)] = (st.st_size, st.st_mtime_ns, data)
        return data


def real_path(path: Path, where: tuple = (None, None)) -> Path:
    """``path`` with every symlink resolved; a symlink loop is a user error."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a symlink loop (Python < 3.13)
        raise KcompileError(f"symlink loop: {display_path(str(path))} cannot be resolved", *where) from None


def read_regular_file(path: Path, where: tuple = (None, None)) -> tuple[bytes, os.stat_result]:
    """The content of a regular file, and its status as read. A FIFO, socket or device
    is refused without blocking on it or reading without end (``/dev/zero``)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise KcompileError(f"file not found: {path}", *where) from None
    except IsADirectoryError:
        raise KcompileError(f"expected a file, found a directory: {path}", *where) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise KcompileError(f"symlink loop: {display_path(str(path))} cannot be resolved", *where) from None
        raise KcompileError(f"cannot read {path}: {e.strerror}", *where) from None
    with open(fd, "rb") as f:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise KcompileError(f"expected a file, found a directory: {path}", *where)
        if not stat.S_ISREG(st.st_mode):
            raise KcompileError(f"{display_path(str(path))} is not a regular file (a FIFO, socket or device is never read)",
                               *where)
        try:
            data = f.read()
        except OSError as e:
            raise KcompileError(f"cannot read {path}: {e.strerror}", *where) from None
    return data, st


def read_text_file(path: Path, where: tuple | None = None) -> str:
    """A regular file's UTF-8 text (``where`` defaults to the file itself)."""
    where = where or (path, None)
    data, _ = read_regular_file(path, where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise KcompileError("file is not UTF-8 text", path, line) from None
