"""Running one function per overlay in worker processes; results in argument order.

On Linux the workers are forked by :class:`_ForkPool`: the first one before the cache
checks start, so that it imports the build pipeline while the parent checks, and the
first overlay that needs building starts as soon as it is found. Elsewhere a process
pool is used (``spawn``), or everything runs in this process with ``jobs=1``.
:func:`run_jobs` checks a job's cache first, then builds what it misses;
:func:`map_in_workers` runs any per-overlay function in the same pool (``kcompile diff``
and ``kcompile validate`` use it). Knows nothing of what a job builds.
"""

from __future__ import annotations

import os
import sys

from .outcome import write_all


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
            from ..cache.location import code_fingerprint, schemas_identity

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
    from ..errors import KcompileError

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
                from ..errors import DEBUG, as_user_error

                frame = (i, False, (as_user_error(e).format(), traceback.format_exc() if DEBUG else ""))
            body = marshal.dumps(frame)
            write_all(results_w, len(body).to_bytes(8, "little") + body)

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
