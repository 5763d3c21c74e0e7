"""Building several overlays at once: parallel processes, one outcome per overlay.

The parent process answers what it can from the build cache; every overlay the cache
cannot answer is built (and validated) in a worker process, and the parent only collects
rendered text and formatted errors, so output is identical to single builds. Used by
``kcompile build overlays/*`` (and, for one overlay, ``kcompile build OVERLAY``).

On Linux the workers are forked by :class:`_ForkPool`: the first one before the cache
checks start, so that it imports the build pipeline while the parent checks, and the
first overlay that needs building starts as soon as it is found. Elsewhere a process
pool is used (``spawn``), or everything runs in this process with ``jobs=1``.
:func:`map_in_workers` runs any per-overlay function in the same pool (``kcompile diff``
and ``kcompile validate`` use it).
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

    __slots__ = ("overlay", "_text", "_files", "error", "messages", "cached")

    def __init__(self, overlay: str, text: str | bytes | None = None, files: list[tuple[str, str]] | None = None,
                 error: str | None = None, messages: str = "", cached=None) -> None:
        self.overlay = overlay
        self._text = text
        self._files = files
        self.error = error  # "kcompile: error: ..." line(s)
        self.messages = messages  # validation warnings etc., for stderr
        self.cached = cached  # cache.builds.CachedOutput of a cache hit

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
        from .output.directory import FileSet

        cached = self.cached
        if self._files is None and cached is not None and cached.parts is not None and cached.digest:
            return FileSet([rel for rel, _n in cached.parts], cached.digest, cached.files)
        return FileSet.of(self.files or [])

    def write_to(self, fd: int) -> None:
        """Write the output (text form) to a file descriptor."""
        if self.cached is not None and self._text is None:
            self.cached.write_to(fd)
            return
        _write_all(fd, self._text if isinstance(self._text, bytes) else (self.text or "").encode("utf-8"))


def _write_all(fd: int, data: bytes) -> None:
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
            _write_all(fd, p.encode("utf-8"))
        else:
            p.write_to(fd)


class _Job:
    """One `build_many` call's settings: how to check, build and report an overlay."""

    def __init__(self, options, fmt: str, validate: bool, strict: bool, per_object: bool) -> None:
        self.options = options
        self.fmt = fmt
        self.validate = validate
        self.strict = strict
        self.per_object = per_object
        self.fingerprint = cache_fingerprint(options, "build", fmt, validate, strict, per_object)

    def cache(self, overlay: str):
        """The build cache for ``overlay`` (None with --no-cache)."""
        return build_cache_for(overlay, self.options)

    def cached(self, overlay: str) -> Outcome | None:
        """The outcome from the build cache, if it holds an up-to-date one."""
        cache = self.cache(overlay)
        if cache is None:
            return None
        hit = cache.get(cache.key(overlay, self.fingerprint))
        if hit is None:
            return None
        messages, output = hit
        return Outcome(overlay, messages=messages, cached=output)

    def build(self, overlay: str) -> Outcome:
        """Build one overlay and record it in the cache; never raises for user errors
        (they go into the outcome)."""
        import io
        from contextlib import redirect_stderr

        from .build import build
        from .output.emit import per_object_files, render
        from .errors import KcompileError

        err = io.StringIO()
        try:
            with redirect_stderr(err):
                result = build(overlay, self.options)
                if self.validate:
                    from .commands._validation import validate_or_fail

                    validate_or_fail(result, strict=self.strict, kube_version=self.options.kube_version)
            objects = [r.body for r in result.resources]
            if self.per_object:
                outcome = Outcome(overlay, files=per_object_files(objects, self.fmt), messages=err.getvalue())
            else:
                outcome = Outcome(overlay, text=render(objects, self.fmt), messages=err.getvalue())
        except Exception as e:  # noqa: BLE001 - one overlay's failure is its outcome
            from .errors import DEBUG, as_user_error

            if DEBUG and not isinstance(e, KcompileError):
                raise
            return Outcome(overlay, error=f"kcompile: error: {as_user_error(e).format()}", messages=err.getvalue())
        cache = self.cache(overlay)
        if cache is not None:
            cache.put(cache.key(overlay, self.fingerprint), result.inputs, outcome._text, outcome._files,
                      outcome.messages)
        return outcome

    # How outcomes travel from a worker (marshal-able plain data) and what a failed worker leaves.
    @staticmethod
    def frame(outcome: Outcome) -> tuple:
        text = outcome._text.encode("utf-8") if isinstance(outcome._text, str) else outcome._text
        return text, outcome._files, outcome.error, outcome.messages

    @staticmethod
    def unframe(overlay: str, payload: tuple) -> Outcome:
        text, files, error, messages = payload
        return Outcome(overlay, text=text, files=files, error=error, messages=messages)

    @staticmethod
    def failed(overlay: str, message: str, detail: str = "") -> Outcome:
        return Outcome(overlay, error=f"kcompile: error: {message}", messages=detail)

    def prepare(self) -> None:
        """Import what building needs (in a fresh worker, while the parent checks caches):
        the pipeline's core, which every build uses; charts (jinja2) load when needed."""
        from importlib import import_module

        for name in _PIPELINE_MODULES + (_VALIDATION_MODULES if self.validate else ()):
            import_module(f"kcompile.{name}")


_PIPELINE_MODULES = (
    "build", "output.emit", "cache.parsed", "yaml.fast", "fields.path", "patch.schema", "patch.strategic", "generate.generators",
    "transform.images", "transform.metadata", "transform.nameref", "transform.namespace", "transform.order",
    "transform.patches", "transform.prefixsuffix", "transform.replicas",
)
_VALIDATION_MODULES = ("commands._validation", "validate")


def build_cache_for(overlay: str, options):
    """The build cache ``overlay``'s results go to (None with --no-cache)."""
    if not options.use_cache:
        return None
    from .cache.builds import BuildCache
    from .cache.location import default_cache_dir, repo_root_of

    root = options.repo_root or repo_root_of(overlay)
    return BuildCache(options.cache_dir or default_cache_dir(root))


def cache_fingerprint(options, *what) -> tuple:
    """What, besides the inputs, a cached result depends on: the options, what was asked
    (``what``), and the current directory (messages name files relative to it)."""
    from .charts.helmpath import helm_identity

    # which helm renders Helm charts (charts: need no flag) is an input too
    helm = (options.enable_helm, options.helm_kube_version, options.helm_api_versions,
            helm_identity(options.helm_command))
    return (options.load_restrictor, options.kube_version, tuple(options.set_values), options.api_versions,
            *helm, *what, os.getcwd())


def render_overlay(overlay: str, options, fmt: str, validate: bool, strict: bool, per_object: bool) -> Outcome:
    """Build one overlay, or take it from the build cache; never raises for user errors."""
    job = _Job(options, fmt, validate, strict, per_object)
    return job.cached(overlay) or job.build(overlay)


def build_many(
    overlays: list[str],
    options,
    *,
    fmt: str = "yaml",
    validate: bool = True,
    strict: bool = False,
    per_object: bool = False,
    jobs: int | None = None,
    progress=None,
) -> list[Outcome]:
    """Build every overlay, in parallel processes; outcomes in argument order.
    ``progress(done, total, label)`` is called as overlays finish."""
    from .cache.builds import new_run

    new_run()
    if len(overlays) > 1 and options.sub_builds is None:
        options = options.for_several_overlays()  # each worker reuses the bases it built
    return run_jobs(_Job(options, fmt, validate, strict, per_object), overlays, jobs, progress)


def run_jobs(job, overlays: list[str], jobs: int | None = None, progress=None) -> list:
    """One result per overlay, in argument order: from the build cache when it holds one
    (``job.cached``), else built in a worker (``job.build``). ``job`` also says how a result
    travels from a worker (``frame``/``unframe``), what a failed worker leaves (``failed``)
    and what a worker imports before its first job (``prepare``)."""
    total = len(overlays)
    jobs = _worker_count(jobs, total)
    results: dict[int, object] = {}

    def finished(i: int, result) -> None:
        results[i] = result
        if progress:
            progress(len(results), total, overlays[i])

    pool = None
    if jobs > 1 and _can_fork():
        if job.options.use_cache:
            from .cache.location import code_fingerprint, schemas_identity

            code_fingerprint(), schemas_identity()  # computed once, before forking
        pool = _ForkPool(lambda i: job.frame(job.build(overlays[i])), job.prepare, jobs)
        pool.start()
    pending = []
    try:
        for i, overlay in enumerate(overlays):
            hit = job.cached(overlay)
            if hit is not None:
                finished(i, hit)
            elif pool is not None:
                pool.submit(i)
            else:
                pending.append(i)
    except BaseException:
        if pool is not None:
            pool.abort()
        raise
    if pool is not None:
        for i, ok, payload in pool.results():
            finished(i, job.unframe(overlays[i], payload) if ok else job.failed(overlays[i], *payload))
        for i in sorted(set(pool.submitted) - set(results)):
            finished(i, job.failed(overlays[i], _DIED.format(overlays[i])))
    elif jobs == 1 or len(pending) <= 1:
        for i in pending:
            finished(i, job.build(overlays[i]))
    else:
        _spawn_pool(job, overlays, pending, jobs, finished)
    return [results[i] for i in range(total)]


_DIED = "{}: the worker process building it ended unexpectedly"


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def _worker_count(jobs: int | None, count: int) -> int:
    return max(1, min(jobs or os.cpu_count() or 1, count or 1))


def map_in_workers(fn, labels: list[str], jobs: int | None = None, prepare=None, progress=None) -> list:
    """``[fn(0), fn(1), ...]`` (one per label), computed in forked workers where the
    platform allows (results travel pickled), else here. A user error (KcompileError) in
    any call is raised here after all finished — the first in order, as a loop would.
    ``progress(done, total, label)`` is called as calls finish."""
    from .errors import KcompileError

    count = len(labels)
    jobs = _worker_count(jobs, count)
    if jobs == 1 or count <= 1 or not _can_fork():
        values = []
        for i in range(count):
            values.append(fn(i))
            if progress:
                progress(i + 1, count, labels[i])
        return values
    import pickle

    def run(i: int) -> tuple:
        try:
            return True, pickle.dumps(fn(i), protocol=pickle.HIGHEST_PROTOCOL)
        except KcompileError as e:
            return False, e.format()

    pool = _ForkPool(run, prepare or (lambda: None), jobs)
    pool.start()
    for i in range(count):
        pool.submit(i)
    results: dict[int, tuple] = {}
    for i, ok, payload in pool.results():
        results[i] = payload if ok else (False, "\n".join(filter(None, payload)))
        if progress:
            progress(len(results), count, labels[i])
    values = []
    for i in range(count):
        ok, payload = results.get(i, (False, _DIED.format(labels[i])))
        if not ok:
            raise KcompileError(payload)
        values.append(pickle.loads(payload))
    return values


def _spawn_pool(job, overlays: list[str], pending: list[int], jobs: int, finished) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(job.build, overlays[i]): i for i in pending}
        for fut in as_completed(futures):
            finished(futures[fut], fut.result())


class _ForkPool:
    """Worker processes forked from this one, fed job numbers through one shared pipe.

    A job is 4 bytes (writes that small are atomic, so workers never split one); each
    worker returns length-prefixed marshal frames on its own pipe: ``(job, True, what
    run(job) returned)``, or ``(job, False, (message, traceback))`` if it raised. Workers are forked as
    jobs arrive (up to ``limit``); the first by :meth:`start`, ahead of any job, so it is
    ready when one comes. Closing the job pipe tells workers to finish; a worker with
    nothing to do by then is killed rather than waited for.
    """

    def __init__(self, run, prepare, limit: int) -> None:
        self.run = run  # job number -> marshal-able result
        self.prepare = prepare
        self.limit = limit
        self.jobs_r, self.jobs_w = os.pipe()  # jobs_w: None once closed
        self.workers: dict[int, int] = {}  # result pipe (read end) -> pid
        self.submitted: list[int] = []

    def start(self) -> int:
        """Fork a worker; its result pipe."""
        import gc

        # Objects that exist now are shared with the worker page by page; a collection in
        # the worker would touch them all and copy every page (copy-on-write). Frozen, the
        # worker's collector leaves them alone; the parent thaws its own at once.
        gc.freeze()
        results_r, results_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller's code
            status = 0
            try:
                os.close(results_r)
                if self.jobs_w is not None:
                    os.close(self.jobs_w)
                for fd in self.workers:
                    os.close(fd)
                self._work(results_w)
            except KeyboardInterrupt:
                status = 130
            except BaseException:  # noqa: BLE001 — reported through the missing result
                status = 1
            finally:
                os._exit(status)
        gc.unfreeze()
        os.close(results_w)
        self.workers[results_r] = pid
        return results_r

    def _work(self, results_w: int) -> None:
        import marshal
        import traceback

        self.prepare()
        while True:
            data = os.read(self.jobs_r, 4)
            if len(data) < 4:
                return  # job pipe closed and empty: done
            i = int.from_bytes(data, "little")
            try:
                frame = (i, True, self.run(i))
            except Exception as e:  # noqa: BLE001 - the machine's limits, or a bug: one clean line
                from .errors import DEBUG, as_user_error

                frame = (i, False, (as_user_error(e).format(), traceback.format_exc() if DEBUG else ""))
            body = marshal.dumps(frame)
            _write_all(results_w, len(body).to_bytes(8, "little") + body)

    def submit(self, i: int) -> None:
        os.write(self.jobs_w, i.to_bytes(4, "little"))
        self.submitted.append(i)
        if len(self.submitted) > len(self.workers) and len(self.workers) < self.limit:
            self.start()

    def results(self):
        """Yield every frame the workers send, then reap them. A worker that dies (a
        crash, the OOM killer) loses the job it was building; another is forked for
        the jobs still queued."""
        import marshal
        import select

        os.close(self.jobs_w)
        self.jobs_w = None
        if not self.submitted:
            import signal

            for pid in self.workers.values():
                os.kill(pid, signal.SIGKILL)
        buffers = {fd: bytearray() for fd in self.workers}
        received = 0
        replacements = len(self.submitted)  # each death loses at least one job: this bounds them
        try:
            while buffers:
                ready, _, _ = select.select(list(buffers), [], [])
                for fd in ready:
                    chunk = os.read(fd, 1 << 20)
                    buf = buffers[fd]
                    if not chunk:
                        del buffers[fd]
                        if self._reap(fd) != 0 and received < len(self.submitted) and replacements:
                            replacements -= 1
                            buffers[self.start()] = bytearray()  # exits at once if no job is left
                        continue
                    buf += chunk
                    while len(buf) >= 8:
                        n = int.from_bytes(buf[:8], "little")
                        if len(buf) < 8 + n:
                            break
                        frame = marshal.loads(bytes(buf[8:8 + n]))
                        del buf[:8 + n]
                        received += 1
                        yield frame
        finally:
            os.close(self.jobs_r)
            for fd in list(self.workers):
                self._reap(fd)

    def abort(self) -> None:
        """Stop every worker now (the parent is failing)."""
        import signal

        for pid in self.workers.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.jobs_w is not None:
            os.close(self.jobs_w)
            self.jobs_w = None
        os.close(self.jobs_r)
        for fd in list(self.workers):
            self._reap(fd)

    def _reap(self, fd: int) -> int:
        """Close a worker's pipe and wait for it; its exit status (non-zero: died)."""
        pid = self.workers.pop(fd)
        os.close(fd)
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return 0


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
