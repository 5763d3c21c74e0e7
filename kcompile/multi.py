"""Building several overlays at once: parallel processes, one outcome per overlay.

Each overlay is built (and validated) in a worker process; the parent only collects
rendered text and formatted errors, so output is identical to single builds. Used by
``kcompile build overlays/*`` and ``kcompile validate overlays/*``.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence


class Outcome:
    """What building one overlay gave: rendered output or an error (already formatted)."""

    __slots__ = ("overlay", "text", "files", "error", "messages")

    def __init__(self, overlay: str, text: str | None = None, files: list[tuple[str, str]] | None = None,
                 error: str | None = None, messages: str = "") -> None:
        self.overlay = overlay
        self.text = text  # whole output (stdout / single file form)
        self.files = files  # one (relative path, text) per object, for -o DIR/
        self.error = error  # "kcompile: error: ..." line(s)
        self.messages = messages  # validation warnings etc., for stderr

    @property
    def ok(self) -> bool:
        return self.error is None


def render_overlay(overlay: str, options: Any, fmt: str, validate: bool, strict: bool,
                   per_object: bool) -> Outcome:
    """Build one overlay; never raises for user errors (they go into the outcome)."""
    import io
    from contextlib import redirect_stderr

    from .build import build
    from .emit import per_object_files, render
    from .errors import KcompileError

    err = io.StringIO()
    try:
        with redirect_stderr(err):
            result = build(overlay, options)
            if validate:
                from .commands._validation import validate_or_fail

                validate_or_fail(result, strict=strict, kube_version=options.kube_version)
        objects = [r.body for r in result.resources]
        if per_object:
            return Outcome(overlay, files=per_object_files(objects, fmt), messages=err.getvalue())
        return Outcome(overlay, text=render(objects, fmt), messages=err.getvalue())
    except KcompileError as e:
        return Outcome(overlay, error=f"kcompile: error: {e.format()}", messages=err.getvalue())


def _worker(job: tuple) -> Outcome:
    return render_overlay(*job)


def build_many(
    overlays: Sequence[str],
    options: Any,
    *,
    fmt: str = "yaml",
    validate: bool = True,
    strict: bool = False,
    per_object: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Outcome]:
    """Build every overlay, in parallel processes; outcomes in argument order."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(overlays)))
    work = [(o, options, fmt, validate, strict, per_object) for o in overlays]
    if jobs == 1:
        outcomes = []
        for i, job in enumerate(work):
            outcomes.append(_worker(job))
            if progress:
                progress(i + 1, len(work), job[0])
        return outcomes
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    results: dict[int, Outcome] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = {pool.submit(_worker, job): i for i, job in enumerate(work)}
        for done, fut in enumerate(as_completed(futures), 1):
            i = futures[fut]
            results[i] = fut.result()
            if progress:
                progress(done, len(work), work[i][0])
    return [results[i] for i in range(len(work))]


class ProgressBar:
    """A one-line progress bar on a terminal's stderr; silent elsewhere (CI logs)."""

    def __init__(self, stream: Any = None) -> None:
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
