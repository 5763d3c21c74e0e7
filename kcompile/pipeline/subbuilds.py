"""Shared bases built once per process: a base's objects and what building it read.

When several overlays are built with the same options (``BuildOptions.sub_builds``), a
base they share is accumulated once and reused while its inputs are unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..load.files import Files


class SubBuild:
    """A base's accumulation and what producing it read: recorded while it is
    built (``Files.recorders``), then kept for other overlays built with the same options.
    Kept only if it rendered no chart and read no environment variable; reused only if
    every file it read still has its size, mtime, ctime and inode, every directory it listed its
    listing, and none of its overlays is on the current include chain (that is a cycle,
    which building it again reports)."""

    def __init__(self) -> None:
        self.read: set[Path] = set()
        self.listed: set[Path] = set()
        self.dirs: set[Path] = set()  # overlay directories it accumulated
        self.charts = False
        self.accumulation: Any = None  # the base's Accumulation (objects, configuration, vars)
        self.seen: dict[str, tuple[tuple, bytes]] = {}  # path -> (file identity, content)
        self.listings: list[tuple[Path, list[str]]] = []

    def keep(self, acc: Any, seen: dict[str, tuple[tuple, bytes]]) -> "SubBuild":
        from ..cache.builds import listing

        self.accumulation = acc.copy()
        self.seen = {str(p): seen[str(p)] for p in self.read}
        self.listings = [(d, listing(d)) for d in self.listed]
        return self

    def unchanged(self) -> bool:
        from ..cache.builds import file_identity, listing

        for path, (identity, _data) in self.seen.items():
            try:
                st = os.stat(path)
            except OSError:
                return False
            if file_identity(st) != identity:
                return False
        return all(listing(d) == entries for d, entries in self.listings)

    def replay(self, files: Files) -> None:
        """Tell the build reusing this what it read (its build-cache inputs)."""
        for path in self.read:
            files.note_read(path)
            files.seen.setdefault(str(path), self.seen[str(path)])
        for d in self.listed:
            files.note_listed(d)
