"""The one error type of kcompile.

Every user-facing failure is a :class:`KcompileError` carrying where it happened
(file, line, field path). It travels up unformatted and is printed once, by the CLI,
as ``kcompile: error: FILE:LINE: message``.
"""

from __future__ import annotations

import os


class LazyLine:
    """A ``line`` attribute that may be given as a callable, computed on first use
    (finding a line can mean re-parsing a file, which only an error should pay for)."""

    _line: "int | None | object"

    @property
    def line(self) -> int | None:
        """1-based line, or None."""
        if callable(self._line):
            self._line = self._line()
        return self._line  # type: ignore[return-value]

    @line.setter
    def line(self, value: int | None) -> None:
        self._line = value


class KcompileError(LazyLine, Exception):
    """A user error: bad input, a failed check, a missing file.

    ``file`` is a filesystem path (absolute or relative to the working directory),
    ``line`` is 1-based, ``path`` is a field path inside an object (``spec.replicas``).
    """

    def __init__(
        self,
        message: str,
        file: str | os.PathLike[str] | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = os.fspath(file) if file is not None else None
        self._line = line
        self.path = path

    def located(self, file: str | os.PathLike[str] | None, line: int | None = None) -> "KcompileError":
        """Fill in a location if the error does not have one yet; return self."""
        if self.file is None and file is not None:
            self.file = os.fspath(file)
            if self._line is None:
                self._line = line
        return self

    def location(self, cwd: str | None = None) -> str:
        """``FILE:LINE`` with FILE relative to ``cwd`` (the current directory by default)."""
        if not self.file:
            return ""
        shown = display_path(self.file, cwd)
        return f"{shown}:{self.line}" if self.line else shown

    def format(self, cwd: str | None = None) -> str:
        loc = self.location(cwd)
        msg = self.message
        if self.path and self.path not in msg:
            msg = f"{self.path}: {msg}"
        return f"{loc}: {msg}" if loc else msg

    def __str__(self) -> str:  # pragma: no cover - convenience for debugging
        return self.format()


def display_path(path: str, cwd: str | None = None) -> str:
    """A path as the user should read it: relative to ``cwd`` when below it."""
    cwd = cwd or os.getcwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # different drive (Windows)
        return path
    return path if rel.startswith(".." + os.sep + "..") else rel


# Set by the CLI's --debug: unexpected failures then keep their traceback (forked
# workers inherit it).
DEBUG = False


def as_user_error(e: BaseException) -> KcompileError:
    """A clean error for an exception that escaped as something other than a
    :class:`KcompileError`: the machine's limits (memory, disk, nesting) say what they
    are; anything else is a bug of kcompile's, reported without the exception's text
    (it may hold a value from the input, such as a Secret's)."""
    import errno

    if isinstance(e, KcompileError):
        return e
    if isinstance(e, RecursionError):
        return KcompileError("input is nested too deeply (or a template recurses without end)")
    if isinstance(e, MemoryError):
        return KcompileError("out of memory")
    if isinstance(e, OSError):
        name = e.filename if isinstance(e.filename, str) else None
        what = os.strerror(e.errno) if e.errno else (e.strerror or type(e).__name__)
        if e.errno == errno.ENOSPC:
            what = "no space left on device"
        return KcompileError(f"cannot {'write' if e.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT) else 'access'}"
                             f" {display_path(name) if name else 'a file'}: {what}")
    return KcompileError(
        f"internal error ({type(e).__name__}); please report it (--debug shows the traceback)"
    )
