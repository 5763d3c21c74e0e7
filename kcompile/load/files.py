"""Reading the files a build names: the one resolver, under Kustomize's load restrictor.

Kustomize has no repository boundary: each kustomization directory is the root for the
files it names (resources, patches, generator sources, values files, schemas), which
must lie in or below it; the directories it names (bases, components, charts) may lie
anywhere. A plain directory of manifests is the root for the files in it, and a chart
for its own files (templates, helpers, values, schema). Every such path is resolved
here, symlinks first, and checked here — nowhere else. ``--load-restrictor none``
(Kustomize's LoadRestrictionsNone) lifts the in-or-below rule; a file that is not a
regular file (a FIFO, a device) is never read, whatever the restrictor.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from ..errors import KcompileError, display_path

RESTRICT_ROOT_ONLY = "rootOnly"
RESTRICT_NONE = "none"


def find_repo_root(start: Path) -> Path:
    """Where state goes: the git top-level above ``start``; else the current directory
    if ``start`` is below it; else ``start`` itself. Never decides what a build reads."""
    from ..cache.location import repo_root_of

    return Path(repo_root_of(str(start)))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class Files:
    """File access for one build: the resolver (:meth:`file`, :meth:`directory`,
    :meth:`root`), reads of regular files only, a read cache, and the record of what was
    read (the build cache's inputs)."""

    def __init__(self, load_restrictor: str = RESTRICT_ROOT_ONLY) -> None:
        if load_restrictor not in (RESTRICT_ROOT_ONLY, RESTRICT_NONE):
            raise KcompileError(
                f"unknown load restrictor {load_restrictor!r} (use {RESTRICT_ROOT_ONLY!r} or {RESTRICT_NONE!r})"
            )
        self.restrict = load_restrictor == RESTRICT_ROOT_ONLY
        self._text: dict[Path, str] = {}
        # What the build read, for the build-output cache: files, and directories whose
        # listing mattered (overlay-file probes, plain manifest directories, charts).
        self.read: set[Path] = set()
        self.listed: set[Path] = set()
        # Sub-builds being recorded (pipeline.subbuilds.SubBuild): each hears of every file read and
        # every directory listed while it is on this stack.
        self.recorders: list = []
        self.seen: dict[str, tuple[tuple, bytes]] = {}  # path -> (file identity, content) as read
        # Real paths of directories, resolved once per build: Path.resolve walks every
        # component with lstat, and a build resolves hundreds of files in a few directories.
        self._real_dirs: dict[Path, Path] = {}

    def _real_dir(self, directory: Path) -> Path:
        real = self._real_dirs.get(directory)
        if real is None:
            real = self._real_dirs[directory] = directory.resolve()
        return real

    def resolve(self, base_dir: Path, rel: str, where: tuple[str | os.PathLike | None, int | None]) -> Path:
        """The real path ``rel`` (relative to the real ``base_dir``) leads to, every
        symlink resolved; no checks (see :meth:`file` and :meth:`directory`)."""
        if not isinstance(rel, str) or not rel:
            raise KcompileError(f"expected a path, found {rel!r}", *where)
        if "\0" in rel:  # a "\0" escape in a quoted YAML string; no file name can hold one
            raise KcompileError("a path cannot hold a NUL character", *where)
        if "://" in rel or rel.startswith(("git@", "github.com/")):
            raise KcompileError(
                f"remote resource {rel!r}: kcompile builds offline from the repository only", *where
            )
        path = base_dir / rel
        name = path.name
        if not name or name in (".", "..") or rel.endswith("/") or os.path.islink(path):
            real = Path(os.path.realpath(path))  # realpath, not resolve: a symlink loop is not a crash
            if os.path.islink(real):  # realpath stops at a link it cannot resolve: a loop
                raise KcompileError(f"symlink loop: {display_path(str(path))} cannot be resolved", *where)
            return real
        return self._real_dir(path.parent) / name

    def check_file(self, path: Path, root: Path, where, what: str = "kustomization directory") -> None:
        """``path`` (real) must lie in or below the real ``root``, unless the restrictor is off."""
        if not self.restrict:
            return
        real_root = self._real_dir(root)
        if not _inside(path, real_root):
            raise KcompileError(
                f"security: file {path} is not in or below the {what} {real_root} "
                "(Kustomize's load restrictor; '--load-restrictor none' lifts it)",
                *where,
            )

    def file(self, root: Path, rel: str, where, what: str = "kustomization directory") -> Path:
        """The real path of a file named relative to ``root`` (a kustomization directory,
        a manifest directory, a chart), checked to lie in or below it."""
        path = self.resolve(root, rel, where)
        self.check_file(path, root, where, what)
        return path

    def directory(self, base: Path, rel: str, where) -> Path:
        """The real path of a directory named relative to ``base`` (a base, a component,
        a chart): it may lie anywhere, as in Kustomize."""
        return self.resolve(base, rel, where)

    def root(self, directory: Path, what: str) -> "Root":
        """Reading the files of one directory (a chart), confined to it."""
        return Root(self, directory, what)

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
        """The content of a regular file (a FIFO or device is refused, never opened for
        long: O_NONBLOCK keeps a FIFO without writer from blocking)."""
        from ..cache.builds import file_identity

        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            raise KcompileError(f"file not found: {path}", *where) from None
        except IsADirectoryError:
            raise KcompileError(f"expected a file, found a directory: {path}", *where) from None
        except OSError as e:
            raise KcompileError(f"cannot read {path}: {e.strerror}", *where) from None
        except ValueError:  # a NUL in the name
            raise KcompileError("a path cannot hold a NUL character", *where) from None
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise KcompileError(f"expected a file, found a directory: {path}", *where)
            if not stat.S_ISREG(st.st_mode):
                raise KcompileError(f"not a regular file (a FIFO, device or socket is never read): {path}", *where)
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read()
        except OSError as e:
            raise KcompileError(f"cannot read {path}: {e.strerror}", *where) from None
        finally:
            os.close(fd)
        self.note_read(path)
        # Recorded as read, for the build cache: it need not read the file again.
        self.seen[str(path)] = (file_identity(st), data)
        return data


class Root:
    """One directory whose files are read confined to it (a chart): every name is
    resolved through :class:`Files` and must stay in or below the directory — or in or
    below ``confine``, for a directory inside another (a subchart inside its chart)."""

    def __init__(self, files: Files, directory: Path, what: str, confine: Path | None = None) -> None:
        self.files = files
        self.directory = Path(os.path.realpath(directory))
        self.confine = confine if confine is not None else self.directory
        self.what = what

    def descend(self, rel: str) -> "Root":
        """The root of a subdirectory, whose files must still lie inside this one's."""
        return Root(self.files, self.directory / rel, self.what, self.confine)

    @classmethod
    def standalone(cls, directory: Path, what: str = "chart directory") -> "Root":
        """A root with its own default-restricted :class:`Files` (outside a build)."""
        return cls(Files(), directory, what)

    def path(self, rel: str, where: tuple | None = None) -> Path:
        """The real path of ``rel`` (relative to the directory), checked; an error names
        the file itself unless ``where`` says otherwise."""
        where = where or (self.directory / rel, None)
        path = self.files.resolve(self.directory, rel, where)
        self.files.check_file(path, self.confine, where, self.what)
        return path

    def is_file(self, rel: str) -> bool:
        """Whether ``rel`` names something that is not a directory (a file, a link to
        one, or a link leading nowhere: reading it then says why)."""
        p = self.directory / rel
        return os.path.lexists(p) and not os.path.isdir(p)

    def read_text(self, rel: str, where: tuple | None = None) -> str:
        path = self.path(rel, where)
        return self.files.read_text(path, where or (self.directory / rel, None))

    def read_bytes(self, rel: str, where: tuple | None = None) -> bytes:
        path = self.path(rel, where)
        return self.files.read_bytes(path, where or (self.directory / rel, None))

    def walk(self, under: str = "") -> list[str]:
        """Every file below the directory (or below ``under`` in it), as sorted POSIX
        paths relative to the directory; symlinked directories are not entered."""
        found = []
        top = os.path.join(self.directory, under) if under else str(self.directory)
        for dirpath, dirnames, names in os.walk(top):
            dirnames.sort()
            rel = os.path.relpath(dirpath, self.directory)
            prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            found.extend(prefix + n for n in names)
        return sorted(found)


def is_remote(entry: Any) -> bool:
    """A resource or base entry naming a remote location (git repository or URL); kept
    here, light, so that a local build never imports the remote loader."""
    return isinstance(entry, str) and ("://" in entry or entry.startswith(("git@", "github.com/", "git::")))
