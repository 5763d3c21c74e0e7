"""Running kcompile's CLI in this process, isolated, for the fuzz properties: the same
``kcompile.cli.main`` a user runs, with its own working directory, environment, cache
directory and captured output; and the property every run must keep."""

from __future__ import annotations

import io
import re
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Run:
    argv: list[str]
    code: int
    out: str
    err: str
    # tracebacks of exceptions other than KcompileError that reached the CLI's last guard
    # (each printed as "internal error" or a machine limit: a bug the fuzzer found)
    escaped: list[str] = field(default_factory=list)


class _Capture(io.TextIOWrapper):
    """A text stream with a binary ``buffer``, as ``sys.stdout`` has; never a terminal."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="replace", write_through=True)

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8", "replace")  # type: ignore[attr-defined]


def run_cli(argv: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: bytes = b"") -> Run:
    """``kcompile ARGV`` in ``cwd`` with ``env`` over an environment without any
    ``KCOMPILE_*`` variable; SystemExit (argparse) counts as its exit status."""
    import kcompile.cli as cli
    import kcompile.errors as errors

    escaped: list[str] = []
    real = errors.as_user_error

    def recording(e: BaseException):
        if not isinstance(e, errors.KcompileError):
            escaped.append("".join(traceback.format_exception(type(e), e, e.__traceback__)))
        return real(e)

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = sys.stdout, sys.stderr, sys.stdin
    saved_tempdir = tempfile.tempdir
    out, err = _Capture(), _Capture()
    try:
        for k in [k for k in os.environ if k.startswith("KCOMPILE_")]:
            del os.environ[k]
        os.environ.update(env or {})
        tempfile.tempdir = None  # read $TMPDIR again
        os.chdir(cwd)
        sys.stdout, sys.stderr = out, err
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        cli.as_user_error, errors.as_user_error = recording, recording
        try:
            code = cli.main(list(argv))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if isinstance(e.code, str):
                print(e.code, file=err)
    finally:
        cli.as_user_error, errors.as_user_error = real, real
        sys.stdout, sys.stderr, sys.stdin = saved_streams
        os.chdir(saved_cwd)
        tempfile.tempdir = saved_tempdir
        os.environ.clear()
        os.environ.update(saved_env)
    return Run(list(argv), code, out.text(), err.text(), escaped)


def assert_no_traceback(run: Run, changes_exit: bool = False) -> None:
    """The property: exit 0 or 1 (2 only where ``--detailed-exitcode`` reports changes),
    no traceback, nothing that escaped as other than a user error, and every line of
    stderr that is an error begins ``kcompile: error:``."""
    context = f"kcompile {' '.join(map(repr, run.argv))}\n--- stderr:\n{run.err[-3000:]}"
    assert not run.escaped, context + "\n--- escaped:\n" + run.escaped[0]
    allowed = {0, 1, 2} if changes_exit else {0, 1}
    assert run.code in allowed, f"exit {run.code}\n{context}"
    assert "Traceback" not in run.err, context
    assert "internal error" not in run.err, context
    for line in run.err.splitlines():
        assert not _PYTHON_LINE.search(line), f"a Python exception or warning on stderr: {line!r}\n{context}"
    if run.code == 1 and not (run.argv[:1] == ["validate"] and run.out):  # validate's report is its findings
        assert any(ln.startswith(("kcompile: error: ", "kcompile: interrupted")) for ln in run.err.splitlines()), \
            f"exit 1 without a 'kcompile: error:' line\n{context}"


# What Python prints for an exception or a warning, never kcompile: "ValueError: ...",
# "  File "x.py", line 3", "x.py:12: DeprecationWarning: ...".
_PYTHON_LINE = re.compile(r'^(\w+\.)*\w*(Error|Exception|Interrupt)(: |$)|^\s*File ".*", line \d+|\.py:\d+: \w*Warning')
