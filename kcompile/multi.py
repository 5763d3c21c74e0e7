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

    cache, key, hit = cached_outcome(overlay, options, fmt, validate, strict, per_object)
    if hit is not None:
        return hit
    err = io.StringIO()
    try:
        with redirect_stderr(err):
            result = build(overlay, options)
            if validate:
                from .commands._validation import validate_or_fail

                validate_or_fail(result, strict=strict, kube_version=options.kube_version)
        objects = [r.body for r in result.resources]
        if per_object:
            outcome = Outcome(overlay, files=per_object_files(objects, fmt), messages=err.getvalue())
        else:
            outcome = Outcome(overlay, text=render(objects, fmt), messages=err.getvalue())
        if cache is not None and key is not None:
            cache.put(key, result.inputs, (outcome.text, outcome.files, outcome.messages))
        return outcome
    except KcompileError as e:
        return Outcome(overlay, error=f"kcompile: error: {e.format()}", messages=err.getvalue())


def cached_outcome(overlay: str, options: Any, fmt: str, validate: bool, strict: bool,
                   per_object: bool) -> tuple[Any, str | None, Outcome | None]:
    """(cache, key, outcome if the build cache holds an up-to-date one)."""
    if not options.use_cache:
        return None, None, None
    from pathlib import Path

    from .buildcache import BuildCache
    from .cachedir import default_cache_dir
    from .files import find_repo_root

    root = options.repo_root or find_repo_root(Path(overlay))
    cache = BuildCache(options.cache_dir or default_cache_dir(root))
    fingerprint = (options.load_restrictor, options.kube_version, tuple(options.set_values), fmt, validate,
                   strict, per_object)
    key = cache.key(Path(overlay), fingerprint)
    hit = cache.get(key)
    if hit is None:
        return cache, key, None
    text, files, messages = hit
    return cache, key, Outcome(overlay, text=text, files=[tuple(f) for f in files] if files is not None else None,
                               messages=messages)


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
    from .buildcache import new_run

    new_run()
    results: dict[int, Outcome] = {}
    # Cache hits are answered here: no worker process needed for them.
    for i, o in enumerate(overlays):
        hit = cached_outcome(o, options, fmt, validate, strict, per_object)[2]
        if hit is not None:
            results[i] = hit
    pending = [i for i in range(len(overlays)) if i not in results]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pending) or 1))
    work = {i: (overlays[i], options, fmt, validate, strict, per_object) for i in pending}
    done = len(results)
    if jobs == 1 or len(pending) <= 1:
        for i in pending:
            results[i] = _worker(work[i])
            done += 1
            if progress:
                progress(done, len(overlays), overlays[i])
        if progress and not pending and overlays:
            progress(len(overlays), len(overlays), "cached")
        return [results[i] for i in range(len(overlays))]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = {pool.submit(_worker, work[i]): i for i in pending}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            done += 1
            if progress:
                progress(done, len(overlays), overlays[i])
    return [results[i] for i in range(len(overlays))]


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
