"""Progress of a many-overlay run, on a terminal only."""

from __future__ import annotations

import os
import sys


class ProgressBar:
    """A one-line progress bar on a terminal's stderr; silent elsewhere (CI logs)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)()) and not os.environ.get("CI")

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} {label[-40:]:<40}")
        if done == total:
            self.stream.write("\r" + " " * (width + 50) + "\r")
        self.stream.flush()
