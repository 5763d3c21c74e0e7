"""One overlay's outcome when several are built: rendered text or files, or an error,
with the messages its build printed; and writing outcomes out in argument order.

A cache hit's output stays in the cache file until it is written (no copy in memory).
"""

from __future__ import annotations

import os
import sys

# `typing` is not imported here: a fully cached run never needs it (~3 ms).


class Outcome:
    """What building one overlay gave: rendered output or an error (already formatted).

    The output is ``text`` (stdout / single file form) or ``files``, one (relative path,
    text) per object for ``-o DIR/``; a cache hit keeps it in the cache (``cached``) until
    it is asked for or written out with :meth:`write_to`.
    """

    __slots__ = ("overlay", "_text", "_files", "error", "messages", "cached", "inputs")

    def __init__(self, overlay: str, text: str | bytes | None = None, files: list[tuple[str, str]] | None = None,
                 error: str | None = None, messages: str = "", cached=None, inputs: tuple = ()) -> None:
        self.overlay = overlay
        self._text = text
        self._files = files
        self.error = error  # "kcompile: error: ..." line(s)
        self.messages = messages  # validation warnings etc., for stderr
        self.cached = cached  # cache.builds.CachedOutput of a cache hit
        # Real paths of what the build read (files, listed directories): -o never writes over them
        self.inputs = inputs if cached is None else cached.inputs

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str | None:
        if self._text is None and self.cached is not None and self.cached.parts is None:
            self._text = self.cached.data()
        if isinstance(self._text, bytes):
            self._text = self._text.decode("utf-8")
        return self._text

    @property
    def files(self) -> list[tuple[str, str]] | None:
        if self._files is None and self.cached is not None and self.cached.parts is not None:
            self._files = self.cached.files()
        return self._files

    def file_set(self):
        """The per-object files as an ``output.directory.FileSet`` (a cache hit's stay in the cache
        unless the directory they go to is out of date)."""
        from ..output.directory import FileSet

        cached = self.cached
        if self._files is None and cached is not None and cached.parts is not None and cached.digest:
            return FileSet([rel for rel, _n in cached.parts], cached.digest, cached.files)
        return FileSet.of(self.files or [])

    def write_to(self, fd: int) -> None:
        """Write the output (text form) to a file descriptor."""
        if self.cached is not None and self._text is None:
            self.cached.write_to(fd)
            return
        write_all(fd, self._text if isinstance(self._text, bytes) else (self.text or "").encode("utf-8"))


def write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to ``fd`` (os.write may write less than asked, to a pipe)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_outputs(parts: list, stream=None) -> None:
    """Write ``parts`` (strings and outcomes, in order) to ``stream`` (default stdout):
    through its file descriptor when it has one (cached outputs are then copied by the
    kernel), else as text."""
    stream = stream or sys.stdout
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        fd = None
    if fd is None:
        for p in parts:
            stream.write(p if isinstance(p, str) else (p.text or ""))
        return
    stream.flush()
    for p in parts:
        if isinstance(p, str):
            write_all(fd, p.encode("utf-8"))
        else:
            p.write_to(fd)
