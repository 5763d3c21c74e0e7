"""Building overlays as jobs: from the build cache when it holds an up-to-date result,
else built (and validated) in a worker, the result recorded in the cache.

Used by ``kcompile build overlays/*`` (and, for one overlay, ``kcompile build OVERLAY``);
the parent only collects rendered text and formatted errors, so output is identical to
single builds. The worker mechanism itself is :mod:`.pool`.
"""

from __future__ import annotations

import os

from .outcome import Outcome
from .pool import run_jobs


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
        return build_cache_for(self.options)

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

        from ..build import build
        from ..output.emit import per_object_files, render
        from ..errors import KcompileError

        err = io.StringIO()
        try:
            with redirect_stderr(err):
                result = build(overlay, self.options)
                if self.validate:
                    from ..commands._validation import validate_or_fail

                    validate_or_fail(result, strict=self.strict, kube_version=self.options.kube_version)
            objects = [r.body for r in result.resources]
            if self.per_object:
                outcome = Outcome(overlay, files=per_object_files(objects, self.fmt), messages=err.getvalue())
            else:
                outcome = Outcome(overlay, text=render(objects, self.fmt), messages=err.getvalue())
        except Exception as e:  # noqa: BLE001 - one overlay's failure is its outcome
            from ..errors import DEBUG, as_user_error

            if DEBUG and not isinstance(e, KcompileError):
                raise
            return Outcome(overlay, error=f"kcompile: error: {as_user_error(e).format()}", messages=err.getvalue())
        outcome.inputs = build_inputs(result)
        cache = self.cache(overlay)
        if cache is not None:
            cache.put(cache.key(overlay, self.fingerprint), result.inputs, outcome._text, outcome._files,
                      outcome.messages)
        return outcome

    # How outcomes travel from a worker (marshal-able plain data) and what a failed worker leaves.
    @staticmethod
    def frame(outcome: Outcome) -> tuple:
        text = outcome._text.encode("utf-8") if isinstance(outcome._text, str) else outcome._text
        return text, outcome._files, outcome.error, outcome.messages, outcome.inputs

    @staticmethod
    def unframe(overlay: str, payload: tuple) -> Outcome:
        text, files, error, messages, inputs = payload
        return Outcome(overlay, text=text, files=files, error=error, messages=messages, inputs=inputs)

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


def build_inputs(result) -> tuple:
    """The real paths a build read (files) and listed (directories), as strings."""
    read, listed = result.inputs[0], result.inputs[1]
    return tuple(map(str, read)) + tuple(map(str, listed))


def build_cache_for(options):
    """The build cache results go to (None with --no-cache or without a cache directory)."""
    if not options.use_cache:
        return None
    from ..cache.builds import BuildCache

    root = options.caches()
    return BuildCache(root) if root is not None else None


def cache_fingerprint(options, *what) -> tuple:
    """What, besides the inputs, a cached result depends on: the options, what was asked
    (``what``), and the current directory (messages name files relative to it)."""
    from ..charts.helmpath import helm_identity

    # which helm renders Helm charts (charts: need no flag) is an input too
    helm = (options.enable_helm, options.helm_kube_version, options.helm_api_versions,
            helm_identity(options.helm_command))
    return (options.load_restrictor, options.kube_version, tuple(options.set_values), options.api_versions,
            getattr(options, "strict", False), *helm, *what, os.getcwd())


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
    from ..cache.builds import new_run

    new_run()
    if len(overlays) > 1 and options.sub_builds is None:
        options = options.for_several_overlays()  # each worker reuses the bases it built
    return run_jobs(_Job(options, fmt, validate, strict, per_object), overlays, jobs, progress)
