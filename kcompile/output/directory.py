"""Output directories (``-o DIR/``): one file per object, written in, compared, stamped.

kcompile writes into a directory, never replaces it: each object's file is written beside
its place and renamed over it (a symlink there is replaced, never written through), and
files kcompile wrote before that the build no longer produces are removed — only those,
as listed in the stamp. Nothing else in the directory is touched, so pointing ``-o`` at a
directory that holds other files loses none of them. All files are written before the
first rename, so a failure (a full disk) leaves the directory as it was.

The stamp file records what was written (a digest of every path and content) and each
file's size and mtime as written: while it still holds, the directory is known to be up
to date without reading a file — which is what makes rewriting or ``--check``-ing a
repository's rendered manifests fast when little changed. A stamp is read as a list of
kcompile's own file names only (``[namespace/]kind-name.yaml``): a stamp committed by
someone else can name nothing outside the directory, nor any other file in it.
"""

from __future__ import annotations

import os
import re

STAMP = ".kcompile-stamp"
_STAMP_HEADER = "kcompile-stamp 2"


def is_directory_target(output: str) -> bool:
    """Whether ``-o OUTPUT`` names a directory: a trailing slash, or an existing one."""
    return output.endswith(("/", os.sep)) or os.path.isdir(output)


def files_digest(files) -> str:
    """A digest of ``(relative path, bytes)`` pairs, in order."""
    from _blake2 import blake2b

    h = blake2b(digest_size=20)
    for rel, data in files:
        h.update(rel.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


class FileSet:
    """The files for one directory: their names, a digest of the whole, and the contents
    only when asked (a cached build keeps them in the cache until then)."""

    __slots__ = ("names", "digest", "_load", "_files")

    def __init__(self, names: list[str], digest: str, load) -> None:
        self.names = names
        self.digest = digest
        self._load = load
        self._files: list[tuple[str, str]] | None = None

    @classmethod
    def of(cls, files) -> "FileSet":
        files = list(files)
        digest = files_digest((rel, text.encode("utf-8")) for rel, text in files)
        return cls([rel for rel, _ in files], digest, lambda: files)

    def files(self) -> list[tuple[str, str]]:
        if self._files is None:
            self._files = self._load()
        return self._files


def _as_file_set(files) -> FileSet:
    return files if isinstance(files, FileSet) else FileSet.of(files)


def _present(directory: str) -> set[str]:
    """The files under ``directory`` that have one of kcompile's own names (a file at
    the top or one directory down, ``*.yaml``/``*.json``), as relative POSIX paths; other
    files are the user's and never count. Symlinked directories are not entered."""
    found = set()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return found
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            try:
                found.update(f"{entry.name}/{e.name}" for e in os.scandir(entry.path)
                             if not e.is_dir(follow_symlinks=False))
            except OSError:
                pass
        else:
            found.add(entry.name)
    return {rel for rel in found if own_file_name(rel)}


def _stamp_of(directory: str, files: FileSet) -> str | None:
    lines = [f"{_STAMP_HEADER} {files.digest}"]
    for rel in sorted(files.names):
        try:
            st = os.stat(os.path.join(directory, rel))
        except OSError:
            return None
        lines.append(f"{rel}\t{st.st_size}\t{st.st_mtime_ns}")
    return "\n".join(lines) + "\n"


def is_up_to_date(directory: str | os.PathLike[str], files) -> bool:
    """Whether ``directory`` holds exactly ``files``, as kcompile last wrote them: the
    stamp names the same content, no file was added or removed, none was touched since."""
    directory = os.fspath(directory)
    files = _as_file_set(files)
    try:
        with open(os.path.join(directory, STAMP), encoding="utf-8") as f:
            recorded = f.read()
    except OSError:
        return False
    if not recorded.startswith(f"{_STAMP_HEADER} {files.digest}\n"):
        return False
    if _present(directory) != set(files.names):
        return False
    return _stamp_of(directory, files) == recorded


# The file names kcompile writes (output.emit.object_filename): the only names a stamp may list.
_OWN_NAME = re.compile(r"(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)?[A-Za-z0-9._-]+\.(?:yaml|json)")


def own_file_name(rel: str) -> bool:
    """Whether ``rel`` is a name kcompile could have written into an output directory."""
    return bool(_OWN_NAME.fullmatch(rel)) and not any(part in ("", ".", "..") for part in rel.split("/"))


def stamped_files(directory: str) -> list[str]:
    """The files the directory's stamp says kcompile wrote ([] without a valid stamp:
    a stamp with any line that is not one of kcompile's own file names is ignored)."""
    try:
        with open(os.path.join(directory, STAMP), encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError):
        return []
    if not re.fullmatch(re.escape(_STAMP_HEADER) + r" [0-9a-f]{40}", lines[0]):
        return []
    names = []
    for line in lines[1:]:
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not own_file_name(fields[0]) or not all(f.isdigit() for f in fields[1:]):
            return []
        names.append(fields[0])
    return names


def _folder(directory: str, rel: str, create: bool) -> str:
    """The directory ``rel`` goes in, inside ``directory``: a symlink (or file) in its
    place is refused — writing through it would put files outside the directory."""
    from ..errors import KcompileError

    sub = os.path.dirname(rel)
    if not sub:
        return directory
    folder = os.path.join(directory, sub)
    if os.path.islink(folder) or (os.path.lexists(folder) and not os.path.isdir(folder)):
        raise KcompileError(f"refusing to write into {folder}: it is a symlink or not a directory "
                            "(kcompile writes only into real directories inside the output directory)")
    if create and not os.path.isdir(folder):
        os.mkdir(folder)
    return folder


def write_directory(directory: str | os.PathLike[str], files) -> None:
    """Write ``files`` into ``directory`` (created if missing), unless it already holds
    them as kcompile last wrote them; remove the files the stamp lists that ``files``
    no longer has. Nothing else in the directory is touched (see module docstring)."""
    import tempfile

    from ..errors import KcompileError
    from .emit import umask

    files = _as_file_set(files)
    shown = os.fspath(directory)
    directory = os.path.realpath(directory)
    if is_up_to_date(directory, files):
        return
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise KcompileError(f"{shown} exists and is not a directory")
    before = stamped_files(directory)
    new_mode = 0o666 & ~umask()
    staged: list[tuple[str, str]] = []
    try:
        os.makedirs(directory, exist_ok=True)
        for rel, text in files.files():
            folder = _folder(directory, rel, create=True)
            target = os.path.join(directory, rel)
            try:
                st = os.lstat(target)
                mode = st.st_mode & 0o7777 if not os.path.islink(target) and os.path.isfile(target) else new_mode
            except FileNotFoundError:
                mode = new_mode
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(rel)}.", suffix=".tmp", dir=folder)
            staged.append((tmp, target))
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
        for tmp, target in staged:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _target in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    wanted = set(files.names)
    for rel in before:
        if rel in wanted:
            continue
        try:
            folder = _folder(directory, rel, create=False)
            os.unlink(os.path.join(directory, rel))
            if folder != directory and not os.listdir(folder):
                os.rmdir(folder)
        except (OSError, KcompileError):
            pass  # already gone, or not ours to remove
    stamp = _stamp_of(directory, files)
    if stamp:
        from .emit import write_atomic
        from pathlib import Path

        write_atomic(Path(directory) / STAMP, stamp, new_mode)


def directory_differences(directory: str | os.PathLike[str], files) -> list[str]:
    """How ``directory`` differs from ``files``: changed, missing and stale paths."""
    files = _as_file_set(files)
    if is_up_to_date(directory, files):
        return []
    directory = os.fspath(directory)
    found = _present(directory) if os.path.isdir(directory) else set()
    ours = set(stamped_files(directory))
    expected = dict(files.files())
    diffs = []
    for rel, text in sorted(expected.items()):
        path = os.path.join(directory, rel)
        if rel not in found:
            diffs.append(f"missing: {path}")
            continue
        try:
            with open(path, encoding="utf-8") as f:
                same = f.read() == text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            diffs.append(f"changed: {path}")
    for rel in sorted(found - set(expected)):
        note = "" if rel in ours else " (not written by kcompile: a write keeps it; remove it by hand)"
        diffs.append(f"stale: {os.path.join(directory, rel)}{note}")
    return diffs
