"""Output directories (``-o DIR/``): one file per object, written whole, compared, stamped.

A directory is replaced as a unit (the new tree is written beside the old one and swapped
in with renames), so stale files disappear and a failure leaves the old tree. A stamp
file records what was written (a digest of every path and content) and each file's size
and mtime as written: while it still holds, the directory is known to be up to date
without reading a file — which is what makes rewriting or ``--check``-ing a repository's
rendered manifests fast when little changed.
"""

from __future__ import annotations

import os

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
    """Every file under ``directory``, as a relative POSIX path."""
    found = set()
    for dirpath, _dirs, names in os.walk(directory):
        rel = os.path.relpath(dirpath, directory)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.update(prefix + n for n in names)
    return found


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
    if _present(directory) != set(files.names) | {STAMP}:
        return False
    return _stamp_of(directory, files) == recorded


def write_directory(directory: str | os.PathLike[str], files) -> None:
    """Replace ``directory`` by one holding exactly ``files`` (stale files disappear),
    unless it already does."""
    import shutil
    import tempfile

    from ..errors import KcompileError

    files = _as_file_set(files)
    directory = os.path.realpath(directory)
    if is_up_to_date(directory, files):
        return
    parent, name = os.path.split(directory)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{name}.new.", dir=parent)
    try:
        made = {staging}
        for rel, text in files.files():
            target = os.path.join(staging, rel)
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
        stamp = _stamp_of(staging, files)
        if stamp:
            with open(os.path.join(staging, STAMP), "w", encoding="utf-8") as f:
                f.write(stamp)
        old = None
        if os.path.lexists(directory):
            if not os.path.isdir(directory):
                raise KcompileError(f"{directory} exists and is not a directory")
            old = tempfile.mkdtemp(prefix=f".{name}.old.", dir=parent)
            os.rmdir(old)
            os.replace(directory, old)
        os.replace(staging, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def directory_differences(directory: str | os.PathLike[str], files) -> list[str]:
    """How ``directory`` differs from ``files``: changed, missing and stale paths."""
    files = _as_file_set(files)
    if is_up_to_date(directory, files):
        return []
    directory = os.fspath(directory)
    found = _present(directory) - {STAMP} if os.path.isdir(directory) else set()
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
        diffs.append(f"stale: {os.path.join(directory, rel)}")
    return diffs
